import Foundation

/// The run's limits as one budget that the walk, the archive reader and the content
/// streams draw on: entries, bytes out (per entry and in all), time, and the
/// operator's cancel. The first limit crossed stops the whole run (`IntakeStop`) and is
/// reported once, through `onStop` (the run turns it into `archive.limit-exceeded`).
final class LimitBudget {
    let limits: IntakeLimits
    let progress: IntakeProgress?
    /// Bytes that came out of every stream so far (nested levels counted at each level).
    private(set) var totalBytes: Int64 = 0
    private(set) var entries = 0
    /// A limit was crossed: nothing more is read.
    private(set) var stopped = false
    /// The operator cancelled (`IntakeProgress.cancel`).
    private(set) var cancelled = false
    /// When the reading must stop (monotonic clock, nanoseconds).
    let deadline: UInt64
    /// Told once, when a limit stops the run.
    var onStop: (_ path: String, _ message: String) -> Void = { _, _ in }

    init(limits: IntakeLimits, progress: IntakeProgress?) {
        self.limits = limits
        self.progress = progress
        let now = DispatchTime.now().uptimeNanoseconds
        let budget = limits.maxSeconds * 1e9
        deadline = budget >= Double(UInt64.max - now) ? UInt64.max : now + UInt64(max(0, budget))
    }

    /// Stops everything: the verdict cannot be better than rejected now.
    func exceeded(_ path: String, _ message: String) -> IntakeStop {
        if !stopped {
            stopped = true
            onStop(path, message)
        }
        return IntakeStop()
    }

    func countEntry(_ path: String) throws {
        entries += 1
        if entries > limits.maxEntries {
            throw exceeded(path, "more than \(limits.maxEntries) entries (limits.maxEntries)")
        }
        try checkTime(path)
    }

    /// Entries still allowed (a directory is listed at most this far, plus one to trip).
    var entriesLeft: Int { max(0, limits.maxEntries - entries) }

    /// `n` bytes came out of a stream, `entryTotal` of them so far for this entry.
    func charge(_ n: Int64, entryTotal: Int64, path: String) throws {
        totalBytes += n
        if entryTotal > limits.maxEntryBytes {
            throw exceeded(path, "entry larger than \(limits.maxEntryBytes) bytes (limits.maxEntryBytes)")
        }
        try chargeTotal(path)
    }

    /// Checks the total only (bytes already added, or added by `add`).
    func add(_ n: Int64) { totalBytes += n }

    func chargeTotal(_ path: String) throws {
        if totalBytes > limits.maxTotalBytes {
            throw exceeded(path, "delivery unpacks to more than \(limits.maxTotalBytes) bytes (limits.maxTotalBytes)")
        }
        try checkTime(path)
    }

    /// Stops the reading once `limits.maxSeconds` have passed, or when cancelled
    /// (called as entries and bytes pass: a format parser that never calls back is the
    /// watchdog's to stop).
    func checkTime(_ path: String) throws {
        if let progress, progress.isCancelled {
            cancelled = true
            throw IntakeStop()
        }
        if DispatchTime.now().uptimeNanoseconds > deadline {
            throw exceeded(path, "reading took longer than \(limits.maxSeconds) seconds (limits.maxSeconds)")
        }
    }
}
