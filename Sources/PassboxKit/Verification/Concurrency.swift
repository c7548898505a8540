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
            pending.takeEnvelopes { verifier.check($0) } + pending.takeLists { verifier.check($0, detached: detached) }
        }
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
        while let next = envelopes.popLast() { out.append(check(next)) }
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

    /// Blocks until the work is done (call once).
    func wait() -> Value {
        done.wait()
        guard let value else { preconditionFailure("Background work finished without a value") }
        return value
    }
}
