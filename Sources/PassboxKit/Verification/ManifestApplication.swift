import Attestation
import Foundation
import Intake

/// Which verified manifests speak for this delivery (indices into the checks, sorted).
///
/// - In the delivery's root, beside a single file, or given with `--manifest`: always.
/// - Registered in advance (`--manifests DIR`): when it names some of the delivery's
///   files with their content, and covers a file no manifest applied before it names.
///   Candidates matching the most files go first. So another release's or product's
///   manifest that shares identical files (a licence text) does not apply and does not
///   report its other files missing; two products delivered together each bring their
///   own manifest; files of two releases combined (mix-and-match) bring both, and every
///   file one of them names otherwise is a mismatch (`Matcher`).
enum ManifestApplication {
    static func applied(checks: [ManifestCheck], inventory: Inventory, evidence: Set<Int>) -> [Int] {
        let items = inventory.items
        // First item of each path (a second one is a duplicate entry, reported by intake);
        // built only when a registered manifest has to be matched by name.
        var byPath: [String: Int] = [:]
        if checks.contains(where: { $0.verified?.origin == .registered }) {
            byPath.reserveCapacity(items.count)
            for i in items.indices where items[i].kind != .directory && !evidence.contains(i) {
                if byPath[items[i].path] == nil { byPath[items[i].path] = i }
            }
        }
        var applied: [Int] = []
        var candidates: [(index: Int, matched: [Int])] = []
        for (index, check) in checks.enumerated() {
            guard let manifest = check.verified else { continue }
            switch manifest.origin {
            case .delivery, .explicit:
                applied.append(index)
            case .registered:
                var matched: [Int] = []
                for subject in manifest.statement.subjects {
                    if let i = byPath[subject.name], subject.digests.agrees(with: items[i].digests) == true { matched.append(i) }
                }
                if !matched.isEmpty { candidates.append((index, matched)) }
            }
        }
        guard !candidates.isEmpty else { return applied }
        var covered = Set<Int>()
        for index in applied {
            for subject in checks[index].verified?.statement.subjects ?? [] {
                if let i = byPath[subject.name] { covered.insert(i) }
            }
        }
        candidates.sort { ($0.matched.count, $1.index) > ($1.matched.count, $0.index) }
        for candidate in candidates where candidate.matched.contains(where: { !covered.contains($0) }) {
            applied.append(candidate.index)
            covered.formUnion(candidate.matched)
        }
        return applied.sorted()
    }
}
