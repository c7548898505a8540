import Foundation

/// What intake has done so far, for a progress display, and a way to cancel it.
///
/// Intake updates it as it goes (a file or entry started, bytes read from the
/// medium); any thread may read a `snapshot()` or `cancel()` at any time. A cancelled
/// run stops at the next chunk or entry and `Intake.run` throws `IntakeError`.
public final class IntakeProgress: @unchecked Sendable {
    /// One reading of the counters.
    public struct Snapshot: Sendable, Equatable {
        /// Files and archive entries started (directories not counted).
        public var items = 0
        /// Bytes read from the medium (each byte once, whatever is nested in it).
        public var bytesRead: Int64 = 0
        /// The delivery's size on the medium when known (a single file or archive);
        /// nil for a directory (a medium's file tree is not walked twice to count it).
        public var totalBytes: Int64?
        /// The file or entry being read (relative to the delivery root).
        public var current = ""
        /// The innermost archive being read, if any.
        public var archive: String?
    }

    private let lock = NSLock()
    private var state = Snapshot()
    private var cancelled = false

    public init() {}

    public func snapshot() -> Snapshot {
        lock.lock()
        defer { lock.unlock() }
        return state
    }

    /// Asks the run to stop; it ends at the next chunk or entry.
    public func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }

    public var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    func started(_ path: String) {
        lock.lock()
        state.items += 1
        state.current = path
        lock.unlock()
    }

    func read(_ bytes: Int) {
        guard bytes > 0 else { return }
        lock.lock()
        state.bytesRead += Int64(bytes)
        lock.unlock()
    }

    func total(_ bytes: Int64?) {
        lock.lock()
        state.totalBytes = bytes
        lock.unlock()
    }

    func archive(_ path: String?) {
        lock.lock()
        state.archive = path
        lock.unlock()
    }
}
