import Attestation
import CryptoIO
import Foundation
import Intake

/// A trusted manifest that names files by digests this run did not compute (a
/// sha512-only subject): those are computed in a second pass over the delivery, never
/// left unchecked (the manifest may turn up only after the bytes it names, in the root
/// of an archive delivery). docs/usage.md, "Digests".
enum SecondPass {
    enum Outcome {
        /// The second reading, with the first's digests and the missing ones.
        case replaced(Inventory)
        /// The content changed between the two readings: the finding says where.
        case changed(Finding)
    }

    /// nil when no second pass is needed.
    static func run(path: String, first: Inventory, checks: [ManifestCheck], options: IntakeOptions,
                    progress: VerificationProgress?) throws -> Outcome? {
        let needed = algorithmsNeeded(by: checks, computed: options.algorithms)
        guard !needed.isEmpty else { return nil }
        progress?.enter(.secondPass)
        var again = options
        again.algorithms = options.algorithms + needed
        let second: Inventory
        do {
            second = try Intake.run(path: path, options: again)
        } catch let error as IntakeError {
            throw EvaluationError("second pass for \(needed.map(\.rawValue).joined(separator: ", ")): \(error.message)")
        }
        if let changed = changedBetweenPasses(first, second) {
            return .changed(Finding(code: .corrupt, severity: .error, path: changed,
                                    message: "the content changed between the first read and the second (for \(needed.map(\.rawValue).joined(separator: ", ")) digests): the medium is being modified"))
        }
        return .replaced(second)
    }
}

/// Algorithms that verified manifests name some subject by and that were not
/// computed, for subjects that share no computed algorithm (sha256 is computed always,
/// so in practice: sha384- or sha512-only subjects).
func algorithmsNeeded(by checks: [ManifestCheck], computed: [DigestAlgorithm]) -> [DigestAlgorithm] {
    var needed = Set<DigestAlgorithm>()
    for check in checks {
        guard let manifest = check.verified else { continue }
        for subject in manifest.statement.subjects where !computed.contains(where: { subject.digests.has($0) }) {
            for (algorithm, _) in subject.digests where !computed.contains(algorithm) { needed.insert(algorithm) }
        }
    }
    return DigestAlgorithm.allCases.filter { needed.contains($0) }
}

/// The first item whose content differs between two reads of the same delivery
/// (by sha256, or a different list of items), or nil when they agree.
func changedBetweenPasses(_ first: Inventory, _ second: Inventory) -> String? {
    guard first.items.count == second.items.count else { return first.deliveryPath }
    for i in first.items.indices {
        let a = first.items[i], b = second.items[i]
        if a.path != b.path || a.size != b.size || a.digests.sha256 != b.digests.sha256 { return a.path }
    }
    return nil
}
