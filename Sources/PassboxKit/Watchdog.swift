import Foundation

/// Calls `onExpiry` on its own thread once `seconds` have passed, unless cancelled
/// first. passbox checks `limits.maxSeconds` itself as bytes and entries pass; this is
/// for what never comes back to that check (a format parser spinning inside
/// libarchive, a read that blocks on a failing medium): the command ends with exit 2
/// instead of hanging a kiosk.
public final class Watchdog: @unchecked Sendable {
    private let condition = NSCondition()
    private var cancelled = false

    public init(seconds: Double, onExpiry: @escaping @Sendable () -> Void) {
        let until = Date(timeIntervalSinceNow: max(0, min(seconds, 1e9)))
        let thread = Thread { [self] in
            condition.lock()
            while !cancelled && condition.wait(until: until) {}
            let expired = !cancelled
            condition.unlock()
            if expired { onExpiry() }
        }
        thread.name = "passbox-watchdog"
        thread.stackSize = 256 << 10
        thread.start()
    }

    /// The watched work finished: `onExpiry` will not be called.
    public func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    deinit { cancel() }
}
