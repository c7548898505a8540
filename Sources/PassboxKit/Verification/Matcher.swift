import Attestation
import CryptoIO
import Foundation
import Intake

/// What the matcher decided: a status for every item it judged (nil: a directory,
/// evidence, or the archive delivery itself), the findings about files, and the files
/// the manifests name that the delivery lacks.
struct Coverage {
    var statuses: [FileStatus?]
    /// Findings in item order (unlisted, mismatch, links, unreadable content).
    var findings: [Finding]
    /// Named by a trusted manifest, absent from the delivery (subjects, then links).
    var missing: [Report.File]
    var missingFindings: [Finding]
}

/// Decides every file's status against the applied manifests.
///
/// A file is **verified** when every applied manifest that names it agrees with its
/// digest; inside a verified archive it is **covered**; named by none it is
/// **unlisted**; named with other content **mismatch**; named and absent **missing**.
/// Symbolic links are verified by their recorded target, or (in-toto's convention) by
/// the digest of the file they lead to.
struct Matcher {
    let inventory: Inventory
    let evidence: Set<Int>
    let checks: [ManifestCheck]
    let applied: [Int]
    let policy: Policy
    /// Path -> item, built on the first symbolic link that a subject names.
    private var pathIndex: [String: Int]?

    init(inventory: Inventory, evidence: Set<Int>, checks: [ManifestCheck], applied: [Int], policy: Policy) {
        self.inventory = inventory
        self.evidence = evidence
        self.checks = checks
        self.applied = applied
        self.policy = policy
    }

    /// true: every digest both sides have is equal (at least one); false: one differs;
    /// nil: no algorithm in common.
    static func digestsMatch(_ item: Item, _ subject: Subject) -> Bool? {
        subject.digests.agrees(with: item.digests)
    }

    /// Matches and lets the matcher go (it holds the checks, and so their subjects).
    static func match(inventory: Inventory, evidence: Set<Int>, checks: [ManifestCheck], applied: [Int], policy: Policy) -> Coverage {
        var matcher = Matcher(inventory: inventory, evidence: evidence, checks: checks, applied: applied, policy: policy)
        return matcher.match()
    }

    mutating func match() -> Coverage {
        let items = inventory.items
        var subjectsByName = SubjectIndex()
        // Sized once: growing a table of 200,000 names holds the old and the new one.
        subjectsByName.reserve(applied.reduce(0) { $0 + (checks[$1].verified?.statement.subjects.count ?? 0) })
        // Symbolic links the applied manifests record (passbox's predicate), by name.
        var linksByName: [String: [(target: String, manifest: Int)]] = [:]
        for index in applied {
            subjectsByName.add(checks[index].verified?.statement.subjects ?? [], from: index)
            for link in checks[index].verified?.statement.delivery?.links ?? [] {
                linksByName[link.name, default: []].append((link.target, index))
            }
        }
        var linksSeen = Set<String>()
        var findings: [Finding] = []

        // Every item's status, containers before their entries.
        var status = [FileStatus?](repeating: nil, count: items.count)
        var trustedContainers = Set<Int>()
        let unlistedSeverity: Severity = policy.unlisted == .reject ? .error : .warning
        let intakeFlagged = Set(inventory.findings.filter { !$0.isAdvisory }.map(\.path))
        for i in items.indices where items[i].kind != .directory && !evidence.contains(i) {
            // Subject names some item of the delivery has (the others are missing).
            subjectsByName.markPresent(items[i].path)
            if items[i].kind == .symlink, linksByName[items[i].path] != nil { linksSeen.insert(items[i].path) }
            if let c = items[i].container, trustedContainers.contains(c) {
                status[i] = .covered
                if items[i].kind == .archive { trustedContainers.insert(i) }
                continue
            }
            if !items[i].complete {
                status[i] = .skipped
                if !intakeFlagged.contains(items[i].path) && !inventory.stoppedEarly {
                    findings.append(Finding(code: .corrupt, severity: .error, path: items[i].path, message: "content could not be read to the end"))
                }
                continue
            }
            switch items[i].kind {
            case .special:
                status[i] = .skipped
                continue
            case .symlink:
                status[i] = matchLink(i, linksByName: linksByName, subjects: subjectsByName, unlisted: unlistedSeverity, findings: &findings)
                continue
            case .hardlink:
                break // its content (the file it names, or its own data: see intake) is judged like a file's
            default:
                break
            }
            guard let (first, others) = subjectsByName.subjects(named: items[i].path) else {
                if i == inventory.rootItem && inventory.deliveryKind == .archive {
                    continue // the delivery itself: its entries are judged one by one
                }
                status[i] = .unlisted
                if !applied.isEmpty {
                    findings.append(Finding(code: .fileUnlisted, severity: unlistedSeverity, path: items[i].path,
                                            message: "present in the delivery, named by no trusted manifest"))
                }
                continue
            }
            // Verified when every subject of that name agrees: manifests that speak for
            // this delivery and disagree about a file leave it unverified (fail closed).
            var differing: SubjectIndex.Named?
            var uncompared = false
            for k in -1..<others.count {
                let named = k < 0 ? first : others[k]
                switch Self.digestsMatch(items[i], named.subject) {
                case true?: break
                case false?: differing = differing ?? named
                case nil: uncompared = true
                }
            }
            if differing == nil && !uncompared {
                status[i] = .verified
                if items[i].kind == .archive { trustedContainers.insert(i) }
            } else {
                status[i] = .mismatch
                findings.append(Finding(code: .fileMismatch, severity: .error, path: items[i].path,
                                        message: mismatchMessage(items[i], differing: differing, others: others.count)))
            }
        }

        // Named by a manifest, absent from the delivery.
        let missingSeverity: Severity = policy.missing == .reject ? .error : .warning
        var missing: [Report.File] = []
        var missingFindings: [Finding] = []
        for name in subjectsByName.namesNotPresent().sorted() {
            missing.append(Report.File(path: name, kind: .regular, size: 0, digests: Digests(), status: .missing))
            missingFindings.append(Finding(code: .fileMissing, severity: missingSeverity, path: name,
                                           message: "named by a trusted manifest, absent from the delivery"))
        }
        for name in linksByName.keys.filter({ !linksSeen.contains($0) }).sorted() {
            missing.append(Report.File(path: name, kind: .symlink, size: 0, digests: Digests(), status: .missing))
            missingFindings.append(Finding(code: .fileMissing, severity: missingSeverity, path: name,
                                           message: "a symbolic link to \(linksByName[name]?.first?.target ?? "?") recorded by a trusted manifest, absent from the delivery (or no longer a link)"))
        }
        return Coverage(statuses: status, findings: findings, missing: missing, missingFindings: missingFindings)
    }

    /// A symbolic link is its target path: verified when every applied manifest that
    /// records it (passbox's predicate) records that target; or, in-toto's convention
    /// (`in-toto-run`, `sha256sum *`), when subjects name the link with its target's
    /// content digest and it leads to such a file inside the delivery.
    private mutating func matchLink(_ i: Int, linksByName: [String: [(target: String, manifest: Int)]], subjects: SubjectIndex,
                                    unlisted: Severity, findings: inout [Finding]) -> FileStatus {
        let item = inventory.items[i]
        let target = item.linkTarget ?? ""
        guard let listed = linksByName[item.path] else {
            if let named = subjects.subjects(named: item.path) {
                let all = [named.first] + named.others
                let resolved = resolvedLinkTarget(i)
                if let t = resolved, all.allSatisfy({ Self.digestsMatch(inventory.items[t], $0.subject) == true }) {
                    return .verified
                }
                findings.append(Finding(code: .fileMismatch, severity: .error, path: item.path,
                                        message: "symbolic link to \(target), named by a trusted manifest with a digest, but "
                                            + (resolved == nil ? "it does not lead to a file inside the delivery"
                                                               : "the content it leads to differs from the manifest")))
                return .mismatch
            }
            findings.append(Finding(code: .fileUnlisted, severity: unlisted, path: item.path,
                                    message: "symbolic link to \(target), recorded by no trusted manifest (`passbox manifest create` records a tree's links)"))
            return .unlisted
        }
        if let other = listed.first(where: { $0.target != target }) {
            findings.append(Finding(code: .fileMismatch, severity: .error, path: item.path,
                                    message: "symbolic link to \(target); \(checks[other.manifest].path) records it as a link to \(other.target)"))
            return .mismatch
        }
        return .verified
    }

    private func mismatchMessage(_ item: Item, differing: SubjectIndex.Named?, others: Int) -> String {
        var message: String
        if let differing {
            message = "content differs from the manifest"
            if let (algorithm, hex) = Array(differing.subject.digests).first(where: { item.digests.has($0.algorithm) }) {
                message += ": \(algorithm.rawValue) expected \(hex.prefix(16))…, found \(item.digests[algorithm]?.prefix(16) ?? "not computed")…"
            }
        } else {
            message = "the manifest's digests use no algorithm passbox computed"
        }
        if others > 0 {
            // Several manifests name this file: say which one it differs from.
            let which = differing.map { " (\(checks[$0.manifest].path) says otherwise)" } ?? ""
            message += "\(which); \(others + 1) subjects of trusted manifests name this file, and each must agree with it"
        }
        return message
    }

    /// The file a symbolic link leads to inside the delivery (following link chains,
    /// at most 40 hops, as the kernel does), or nil when it leaves the delivery or its
    /// container archive, is dangling, loops, or is not a file. Paths inside archives
    /// resolve within the same archive (`tools.tar!/lib/x.so -> x.so.1`).
    mutating func resolvedLinkTarget(_ link: Int) -> Int? {
        let items = inventory.items
        if pathIndex == nil {
            var map: [String: Int] = [:]
            for i in items.indices where items[i].kind != .directory && !evidence.contains(i) {
                if map[items[i].path] == nil { map[items[i].path] = i }
            }
            pathIndex = map
        }
        var current = link
        for _ in 0..<40 {
            guard items[current].kind == .symlink, let target = items[current].linkTarget, !target.isEmpty,
                  !target.hasPrefix("/") else {
                return items[current].kind == .regular || items[current].kind == .archive || items[current].kind == .hardlink
                    ? current : nil
            }
            let path = items[current].path
            // The container prefix ("outer.tar!/") stays; the rest is resolved like a path.
            var prefix = ""
            var inner = Substring(path)
            if let bang = path.range(of: "!/", options: .backwards) {
                prefix = String(path[..<bang.upperBound])
                inner = path[bang.upperBound...]
            }
            var parts = inner.split(separator: "/", omittingEmptySubsequences: true).dropLast().map(String.init)
            for component in target.split(separator: "/", omittingEmptySubsequences: true) {
                if component == "." { continue }
                if component == ".." {
                    guard !parts.isEmpty else { return nil } // leaves its root
                    parts.removeLast()
                } else {
                    parts.append(String(component))
                }
            }
            guard let next = pathIndex?[prefix + parts.joined(separator: "/")] else { return nil }
            current = next
        }
        return nil
    }
}

/// The applied manifests' subjects by name: one table entry per name, and a list
/// only for the rare name that several subjects share (a manifest of 50,000 files
/// would otherwise make 50,000 one-element arrays). The subjects stay in their
/// statements' lists; the table holds a name's hash and where its first subject is
/// (8 bytes a slot, 8 an entry): at 200,000 subjects, a table keyed by the names with
/// a copy of each subject took 27 MB.
struct SubjectIndex {
    /// A subject and the manifest it comes from (an index into the checks).
    typealias Named = (subject: Subject, manifest: Int)
    private var lists: [(subjects: SubjectList, manifest: Int)] = []
    /// Where a name's first subject is: its list and position there.
    private struct Entry {
        var list: Int32
        var position: Int32
    }
    private var entries: [Entry] = []
    /// Entry by 32 bits of the name's hash; names whose hash another name took first
    /// are in `spill` (a few in 200,000 names).
    private var slots: [UInt32: Int32] = [:]
    private var spill: [String: Int32] = [:]
    private var present: [Bool] = []
    private var others: [Int32: [Named]] = [:]
    private let hashOf: (String) -> Int

    /// `hash` is replaced only by tests (a poor hash makes names share slots).
    init(hash: @escaping (String) -> Int = { $0.hashValue }) {
        hashOf = hash
    }

    mutating func reserve(_ count: Int) {
        slots.reserveCapacity(count)
        entries.reserveCapacity(count)
        present.reserveCapacity(count)
    }

    /// Adds a statement's subjects (manifests hold at most `maxSubjects` each, and
    /// entries fit in 32 bits).
    mutating func add(_ subjects: SubjectList, from manifest: Int) {
        let list = Int32(clamping: lists.count)
        lists.append((subjects, manifest))
        for position in subjects.indices {
            let name = subjects.name(at: position)
            if let entry = entry(named: name) {
                others[entry, default: []].append((subjects[position], manifest))
                continue
            }
            let entry = Int32(clamping: entries.count)
            entries.append(Entry(list: list, position: Int32(clamping: position)))
            present.append(false)
            let hash = UInt32(truncatingIfNeeded: hashOf(name))
            if slots[hash] == nil {
                slots[hash] = entry
            } else {
                spill[name] = entry
            }
        }
    }

    private func named(_ entry: Int32) -> Named {
        let e = entries[Int(entry)]
        let list = lists[Int(e.list)]
        return (list.subjects[Int(e.position)], list.manifest)
    }

    private func name(_ entry: Int32) -> String {
        let e = entries[Int(entry)]
        return lists[Int(e.list)].subjects.name(at: Int(e.position))
    }

    private func entry(named name: String) -> Int32? {
        if let entry = slots[UInt32(truncatingIfNeeded: hashOf(name))], self.name(entry) == name { return entry }
        return spill.isEmpty ? nil : spill[name]
    }

    /// The delivery has an item of this name (a name no subject has is ignored).
    mutating func markPresent(_ name: String) {
        guard !entries.isEmpty, let entry = entry(named: name) else { return }
        present[Int(entry)] = true
    }

    func subjects(named name: String) -> (first: Named, others: [Named])? {
        guard !entries.isEmpty, let entry = entry(named: name) else { return nil }
        return (named(entry), others[entry] ?? [])
    }

    /// Names of subjects no item of the delivery has, in no particular order.
    func namesNotPresent() -> [String] {
        present.indices.filter { !present[$0] }.map { name(Int32($0)) }
    }
}
