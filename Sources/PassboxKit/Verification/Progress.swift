import Foundation
import Intake

/// Progress and cancellation of one verification, for any front end: the CLI draws
/// it on a terminal, the kiosk streams it to a browser. Poll `snapshot()` from any
/// thread (a few times a second is plenty); `cancel()` stops the run, and
/// `Verifier.verify` then throws `EvaluationError` ("cancelled").
///
/// ```swift
/// let progress = VerificationProgress()
/// // on another thread: progress.snapshot() -> stage, files, bytes, current item, ETA
/// let report = try Verifier.verify(path: path, options: options, progress: progress)
/// ```
public final class VerificationProgress: @unchecked Sendable {
    /// The named stages of `Verifier.verify`, in order.
    public enum Stage: String, Sendable, Codable, CaseIterable {
        case starting
        case trustStore = "trust-store"
        case evidence
        case reading
        case checkingSignatures = "checking-signatures"
        case secondPass = "second-pass"
        case judging
        case done
    }

    /// One reading: where the run is, and how far.
    public struct Snapshot: Sendable, Codable, Equatable {
        public var stage: Stage
        /// Files and archive entries started.
        public var items: Int
        /// Bytes read from the medium.
        public var bytesRead: Int64
        /// The delivery's size when known (a single file or archive), else nil.
        public var totalBytes: Int64?
        public var current: String
        /// The innermost archive being read.
        public var archive: String?
        /// Seconds since the run started.
        public var elapsed: Double
        /// Bytes per second so far.
        public var throughput: Double { elapsed > 0 ? Double(bytesRead) / elapsed : 0 }
        /// Seconds left, when the total is known and something was read.
        public var eta: Double? {
            guard let totalBytes, bytesRead > 0, throughput > 0 else { return nil }
            return max(0, Double(totalBytes - bytesRead) / throughput)
        }
    }

    /// Intake's counters (it updates them itself).
    public let intake = IntakeProgress()
    private let lock = NSLock()
    private var stage = Stage.starting
    private let started = DispatchTime.now().uptimeNanoseconds

    public init() {}

    /// The stage and counters now (any thread).
    public func snapshot() -> Snapshot {
        let i = intake.snapshot()
        lock.lock()
        let stage = self.stage
        lock.unlock()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return Snapshot(stage: stage, items: i.items, bytesRead: i.bytesRead, totalBytes: i.totalBytes,
                        current: i.current, archive: i.archive, elapsed: elapsed)
    }

    /// Stops the run at the next chunk or entry.
    public func cancel() { intake.cancel() }

    public var isCancelled: Bool { intake.isCancelled }

    func enter(_ next: Stage) {
        lock.lock()
        stage = next
        lock.unlock()
    }

    func checkCancelled() throws {
        if isCancelled { throw EvaluationError("cancelled") }
    }
}
