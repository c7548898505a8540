import Attestation
import Foundation

/// Manifests known before the delivery is read are checked on another thread while
/// it is read (a 50,000-file statement takes a quarter of a second to parse).
enum EarlyChecks {
    static func start(envelopes: [UnverifiedManifest], lists: [UnverifiedChecksumList], trust: TrustContext) -> Background<[ManifestCheck]> {
        let pending = PendingManifests(envelopes: envelopes, lists: lists)
        let verifier = trust.manifests, detached = trust.detached
        return Background {
            // Each manifest's bytes are let go once it is checked (a large one is 17 MB).
            pending.takeEnvelopes { (manifest: consuming UnverifiedManifest) in verifier.check(consume manifest) }
                + pending.takeLists { verifier.check($0, detached: detached) }
        }
    }
}

extension EarlyChecks {
    /// Early evidence of this many bytes or more is checked before the delivery is read
    /// rather than beside it: a statement naming 200,000 files is a 30 MB envelope and
    /// a 23 MB payload, and held while the delivery's list of 200,000 files grows, the
    /// two peaked together (docs/benchmarks.md). Costs the check's time (about 0.3 s
    /// for 200,000 subjects); smaller evidence is still checked while the delivery is read.
    static let checkedFirstFrom = 16 << 20

    /// The entries a delivery is expected to hold: the most subjects one trusted
    /// manifest given for it (`--manifest`, or beside it) names. Registered manifests
    /// (`--manifests DIR`) are for any delivery and do not count.
    static func expectedEntries(_ checks: [ManifestCheck]) -> Int {
        checks.filter { $0.origin != .registered }.compactMap { $0.verified?.statement.subjects.count }.max() ?? 0
    }
}

/// Manifests handed to the early check: taken out one at a time, so that each one's
/// bytes are freed as soon as it is checked (nothing else holds them).
final class PendingManifests: @unchecked Sendable {
    private var envelopes: [UnverifiedManifest]
    private var lists: [UnverifiedChecksumList]

    init(envelopes: [UnverifiedManifest], lists: [UnverifiedChecksumList]) {
        self.envelopes = envelopes
        self.lists = lists
    }

    /// Used by one thread only (the early check's).
    func takeEnvelopes(_ check: (consuming UnverifiedManifest) -> ManifestCheck) -> [ManifestCheck] {
        var out: [ManifestCheck] = []
        envelopes.reverse()
        // Moved out of the list straight into the check (a binding here would hold the
        // bytes until the check returns: the check lets go of them once decoded).
        while !envelopes.isEmpty { out.append(check(envelopes.removeLast())) }
        return out
    }

    func takeLists(_ check: (UnverifiedChecksumList) -> ManifestCheck) -> [ManifestCheck] {
        var out: [ManifestCheck] = []
        lists.reverse()
        while let next = lists.popLast() { out.append(check(next)) }
        return out
    }
}

/// Work started on another thread; `wait` returns its result.
final class Background<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var value: Value?

    init(_ work: @escaping @Sendable () -> Value) {
        let thread = Thread { [self] in
            value = work()
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Blocks until the work is done and hands its result over (call once: nothing
    /// here keeps it, so what the caller lets go of is freed).
    func wait() -> Value {
        done.wait()
        defer { done.signal() } // `join` returns at once after this
        guard let out = value else { preconditionFailure("Background work finished without a value, or taken twice") }
        value = nil
        return out
    }

    /// Blocks until the work is done, leaving its result (if not taken) where it is.
    func join() {
        done.wait()
        done.signal()
    }
}
