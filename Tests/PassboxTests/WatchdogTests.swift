import Foundation
@testable import PassboxKit
import Testing

/// The watchdog ends a command that never comes back to passbox's own time check.
@Suite struct WatchdogTests {
    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.lock(); value = true; lock.unlock() }
        var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    }

    @Test func firesWhenTheWorkOverruns() async throws {
        let fired = Flag()
        let watchdog = Watchdog(seconds: 0.05) { fired.set() }
        for _ in 0..<200 where !fired.isSet { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(fired.isSet)
        watchdog.cancel()
    }

    @Test func cancelledInTimeNeverFires() async throws {
        let fired = Flag()
        let watchdog = Watchdog(seconds: 0.2) { fired.set() }
        watchdog.cancel()
        try await Task.sleep(nanoseconds: 400_000_000)
        #expect(!fired.isSet)
    }
}
