@testable import Attestation
import CryptoIO
import Foundation
@testable import Intake
@testable import PassboxKit
import Testing

/// The matcher alone, on hand-built inventories and verified manifests (no files, no
/// signatures): which status each item gets, and which findings.
@Suite struct MatcherTests {
    static func digest(_ text: String) -> Digests {
        var d = Digests()
        d[.sha256] = Hex.encode(Hasher.digest(.sha256, Data(text.utf8)))
        return d
    }

    static func item(_ path: String, _ content: String? = nil, kind: ItemKind = .regular, target: String? = nil,
                     container: Int? = nil) -> Item {
        Item(path: path, kind: kind, size: Int64(content?.utf8.count ?? 0), digests: content.map(digest) ?? Digests(),
             linkTarget: target, container: container, depth: container == nil ? 0 : 1, mode: nil, complete: true)
    }

    static func inventory(_ items: [Item], kind: DeliveryKind = .directory) -> Inventory {
        Inventory(deliveryPath: "delivery", deliveryKind: kind, rootItem: nil, items: items, findings: [], captured: [:],
                  tooLargeToCapture: [], stoppedEarly: false)
    }

    static func manifest(_ subjects: [(String, String)], links: [(String, String)] = [], origin: UnverifiedManifest.Origin = .delivery) -> ManifestCheck {
        var check = ManifestCheck(path: "m.dsse.json", origin: origin)
        var predicate = DeliveryPredicate(vendor: nil, product: nil, version: nil, kind: nil)
        predicate.links = links.isEmpty ? nil : links.map { DeliveryPredicate.Link(name: $0.0, target: $0.1) }
        let statement = Statement(type: "https://in-toto.io/Statement/v1",
                                  subjects: SubjectList(subjects.map { Subject(name: $0.0, digests: digest($0.1)) }),
                                  predicateType: nil, delivery: predicate)
        check.verified = VerifiedManifest(path: check.path, origin: origin, statement: statement, signers: [])
        return check
    }

    static func match(_ inventory: Inventory, _ checks: [ManifestCheck], policy: Policy = .builtIn) -> Coverage {
        let applied = ManifestApplication.applied(checks: checks, inventory: inventory, evidence: [])
        var matcher = Matcher(inventory: inventory, evidence: [], checks: checks, applied: applied, policy: policy)
        return matcher.match()
    }

    @Test func verifiedUnlistedMismatchMissing() {
        let inv = Self.inventory([Self.item("a.bin", "A"), Self.item("b.bin", "B changed"), Self.item("extra", "X")])
        let coverage = Self.match(inv, [Self.manifest([("a.bin", "A"), ("b.bin", "B"), ("gone.bin", "G")])])
        #expect(coverage.statuses == [.verified, .mismatch, .unlisted])
        #expect(coverage.findings.map(\.code) == [.fileMismatch, .fileUnlisted])
        #expect(coverage.missing.map(\.path) == ["gone.bin"])
        #expect(coverage.missingFindings.map(\.code) == [.fileMissing])
    }

    @Test func entriesOfAVerifiedArchiveAreCovered() {
        let inv = Self.inventory([Self.item("fw.tar", "TAR", kind: .archive), Self.item("fw.tar!/x", "X", container: 0)])
        let coverage = Self.match(inv, [Self.manifest([("fw.tar", "TAR")])])
        #expect(coverage.statuses == [.verified, .covered])
        #expect(coverage.findings.isEmpty)
    }

    /// Mix-and-match: every applied manifest that names a file must agree with it.
    @Test func everyApplyingManifestMustAgree() {
        let inv = Self.inventory([Self.item("fw.bin", "v2")])
        let coverage = Self.match(inv, [Self.manifest([("fw.bin", "v2")]), Self.manifest([("fw.bin", "v1")])])
        #expect(coverage.statuses == [.mismatch])
        #expect(coverage.findings.first?.message.contains("each must agree") == true)
    }

    @Test func linksByRecordedTargetAndByTargetDigest() {
        let inv = Self.inventory([
            Self.item("lib.so.1", "CODE"),
            Self.item("lib.so", kind: .symlink, target: "lib.so.1"),      // recorded link
            Self.item("alias.so", kind: .symlink, target: "lib.so"),      // in-toto: named with the content's digest
            Self.item("other.so", kind: .symlink, target: "lib.so.1"),    // named with a wrong digest
            Self.item("loose.so", kind: .symlink, target: "lib.so.1"),    // named by nothing
        ])
        let coverage = Self.match(inv, [Self.manifest([("lib.so.1", "CODE"), ("alias.so", "CODE"), ("other.so", "NOT")],
                                                      links: [("lib.so", "lib.so.1")])])
        #expect(coverage.statuses == [.verified, .verified, .verified, .mismatch, .unlisted])
    }

    /// A registered manifest that shares one identical file with the delivery, and
    /// names others it lacks, does not apply (another product's manifest).
    @Test func registeredManifestSharingOneFileDoesNotApply() {
        let inv = Self.inventory([Self.item("LICENSE", "MIT"), Self.item("fw.bin", "FW")])
        let own = Self.manifest([("LICENSE", "MIT"), ("fw.bin", "FW")], origin: .registered)
        let other = Self.manifest([("LICENSE", "MIT"), ("other.bin", "O")], origin: .registered)
        let applied = ManifestApplication.applied(checks: [other, own], inventory: inv, evidence: [])
        #expect(applied == [1])
    }

    @Test func unlistedIsAWarningWhenThePolicySaysSo() {
        var policy = Policy()
        policy.unlisted = .warn
        let coverage = Self.match(Self.inventory([Self.item("extra", "X")]), [Self.manifest([])], policy: policy)
        #expect(coverage.findings.map(\.severity) == [.warning])
    }

    /// A finding added after verification goes through Report.add, which keeps the verdict right.
    @Test func addingAnErrorRejects() {
        var report = Report(verdict: .accepted, delivery: .init(path: "d", kind: .directory), files: [], manifests: [],
                            findings: [], summary: .init(files: 0, bytes: 0, archives: 0, byStatus: [:]))
        report.setFindings([])
        #expect(report.verdict == .accepted)
        report.add(Finding(code: .versionRollback, severity: .warning, path: nil, message: "allowed"))
        #expect(report.verdict == .accepted)
        report.add(Finding(code: .versionRollback, severity: .error, path: nil, message: "older"))
        #expect(report.verdict == .rejected)
        #expect(report.findings.first?.severity == .error)
        report.complete = false
        report.setFindings([])
        #expect(report.verdict == .rejected, "incomplete: never accepted")
    }

    /// The index keeps a name's hash and where its first subject is: names whose
    /// hashes meet (every name, with this hash) are still told apart, a name several
    /// subjects share lists them all, and a name no subject has is not found.
    @Test(arguments: [false, true])
    func subjectIndexTellsNamesApartWhateverTheirHashes(poorHash: Bool) {
        var index = poorHash ? SubjectIndex(hash: { _ in 7 }) : SubjectIndex()
        let first = SubjectList((0..<300).map { Subject(name: "dir/file-\($0).bin", digests: MatcherTests.digest("\($0)")) })
        let second = SubjectList([Subject(name: "dir/file-7.bin", digests: MatcherTests.digest("again")),
                                  Subject(name: "only-here", digests: MatcherTests.digest("x"))])
        index.reserve(302)
        index.add(first, from: 0)
        index.add(second, from: 1)
        for n in [0, 1, 150, 299] {
            let found = index.subjects(named: "dir/file-\(n).bin")
            #expect(found?.first.subject.digests == MatcherTests.digest("\(n)"))
            #expect(found?.first.manifest == 0)
            #expect(found?.others.count == (n == 7 ? 1 : 0))
        }
        #expect(index.subjects(named: "dir/file-7.bin")?.others.first?.manifest == 1)
        #expect(index.subjects(named: "only-here")?.first.manifest == 1)
        #expect(index.subjects(named: "dir/file-300.bin").map { _ in true } == nil)
        for n in 0..<300 where n != 42 { index.markPresent("dir/file-\(n).bin") }
        index.markPresent("not-a-subject")
        #expect(index.namesNotPresent().sorted() == ["dir/file-42.bin", "only-here"])
    }

    /// A statement's subjects stored packed read back exactly (names of every length,
    /// non-ASCII ones too, and their digests).
    @Test func subjectListReadsBackWhatWasStored() {
        let subjects = ["a", "", "fw/ファームウェア.bin", String(repeating: "x", count: 300), "d000/f000000.bin"].enumerated()
            .map { Subject(name: $1, digests: MatcherTests.digest("\($0)")) }
            + [Subject(name: "sha512-only", digests: Digests(sha512: Hex.encode(Hasher.digest(.sha512, Array("a".utf8))))),
               Subject(name: "both", digests: Digests(sha256: Hex.encode(Hasher.digest(.sha256, Array("b".utf8))),
                                                      sha512: Hex.encode(Hasher.digest(.sha512, Array("b".utf8)))))]
        let list = SubjectList(subjects)
        #expect(list.digests(at: 5).algorithms == [.sha512])
        #expect(list.digests(at: 6).algorithms == [.sha256, .sha512])
        #expect(list.count == subjects.count)
        #expect(Array(list) == subjects)
        #expect(list.name(at: 2) == "fw/ファームウェア.bin")
        #expect(SubjectList() == [])
    }
}

/// Evidence checked before the delivery is read sizes its list of files: by the most
/// subjects one manifest given for this delivery names; registered manifests (for any
/// delivery) and unverified ones do not count.
@Suite struct EarlyCheckHintTests {
    @Test func expectedEntriesCountOnlyVerifiedManifestsForThisDelivery() {
        let given = MatcherTests.manifest((0..<40).map { ("f\($0)", "\($0)") }, origin: .explicit)
        let beside = MatcherTests.manifest((0..<25).map { ("g\($0)", "\($0)") }, origin: .delivery)
        let registered = MatcherTests.manifest((0..<900).map { ("r\($0)", "\($0)") }, origin: .registered)
        let unverified = ManifestCheck(path: "bad.dsse.json", origin: .explicit)
        #expect(EarlyChecks.expectedEntries([given, beside, registered, unverified]) == 40)
        #expect(EarlyChecks.expectedEntries([registered, unverified]) == 0)
        #expect(EarlyChecks.expectedEntries([]) == 0)
    }
}
