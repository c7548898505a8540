import Attestation
import CryptoIO
import Foundation
import PassboxKit
import Station

/// One verification started at the kiosk or through the API, and what became of it.
public final class Scan: @unchecked Sendable {
    public enum State: String, Sendable, Codable { case queued, running, done, failed }

    public struct Admission: Sendable {
        public var folder: String?
        public var receipt: String?
        public var files: Int
        public var by: String
        public var reason: String
        public var approvedBy: String?
        public var report: Report
        public var warnings: [String]
    }

    public struct PendingApproval: Sendable {
        public var requestedBy: String
        public var reason: String
    }

    public let id: String
    /// The real path verified.
    public let path: String
    /// What the person picked (a mount point, a drop folder entry, an upload's name).
    public let label: String
    public let startedBy: String
    public let progress = VerificationProgress()
    /// A spool directory to remove once done (uploads).
    let spool: String?

    private let lock = NSLock()
    private var _state = State.queued
    private var _report: Report?
    private var _error: String?
    private var _admission: Admission?
    private var _pending: PendingApproval?
    private var _quarantined: [String] = []
    private var _admitting = false

    init(id: String, path: String, label: String, startedBy: String, spool: String?) {
        self.id = id
        self.path = path
        self.label = label
        self.startedBy = startedBy
        self.spool = spool
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    public var state: State { locked { _state } }
    public var report: Report? { locked { _report } }
    public var error: String? { locked { _error } }
    public var admission: Admission? { locked { _admission } }
    public var pending: PendingApproval? { locked { _pending } }
    public var quarantined: [String] { locked { _quarantined } }

    func set(_ state: State) { locked { _state = state } }
    func finish(report: Report, quarantined: [String]) { locked { _report = report; _quarantined = quarantined; _state = .done } }
    func fail(_ message: String) { locked { _error = message; _state = .failed } }
    func setPending(_ p: PendingApproval?) { locked { _pending = p } }
    func setAdmission(_ a: Admission) { locked { _admission = a; _pending = nil } }
    /// Claims the right to admit (once at a time, never twice).
    func claimAdmission() -> Bool {
        locked {
            guard !_admitting, _admission?.folder == nil else { return false }
            _admitting = true
            return true
        }
    }
    func releaseAdmission() { locked { _admitting = false } }

    /// Accepted with warnings: a second person approves before admission (when configured).
    public var hasWarnings: Bool { report?.findings.contains { $0.severity == .warning } ?? false }
}

/// The queue is full: the client should retry later.
public struct Busy: Error, Sendable {
    public let retryAfter: Int
}

/// Runs verifications, at most `concurrent` at once and `queue` waiting; each on its
/// own thread (verification is blocking work that must not hold Swift's cooperative pool).
public final class ScanQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var running = 0
    private var waiting: [(Scan, @Sendable () -> Void)] = []
    private var scans: [String: Scan] = [:]
    private var order: [String] = []
    private let concurrent: Int
    private let queueLimit: Int
    /// Scans kept in memory for their pages and reports (the audit log keeps the rest;
    /// a report of 50,000 files is tens of MB, so not many).
    static let kept = 100

    init(concurrent: Int, queue: Int) {
        self.concurrent = concurrent
        self.queueLimit = queue
    }

    public func scan(_ id: String) -> Scan? {
        lock.lock()
        defer { lock.unlock() }
        return scans[id]
    }

    public var all: [Scan] {
        lock.lock()
        defer { lock.unlock() }
        return order.reversed().compactMap { scans[$0] }
    }

    public var load: (running: Int, waiting: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (running, waiting.count)
    }

    /// Starts `work` now, or queues it; throws `Busy` when the queue is full.
    func submit(_ scan: Scan, _ work: @escaping @Sendable () -> Void) throws {
        lock.lock()
        if running >= concurrent {
            guard waiting.count < queueLimit else {
                lock.unlock()
                throw Busy(retryAfter: 5 + 5 * waiting.count)
            }
            waiting.append((scan, work))
            remember(scan)
            lock.unlock()
            return
        }
        running += 1
        remember(scan)
        lock.unlock()
        start(work)
    }

    private func remember(_ scan: Scan) {
        scans[scan.id] = scan
        order.append(scan.id)
        while order.count > Self.kept {
            let old = order.removeFirst()
            scans[old] = nil
        }
    }

    private func start(_ work: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            work()
            self.next()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func next() {
        lock.lock()
        if waiting.isEmpty {
            running -= 1
            lock.unlock()
            return
        }
        let (_, work) = waiting.removeFirst()
        lock.unlock()
        start(work)
    }
}

/// Runs blocking work on its own thread and awaits it.
func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try work()) } catch { continuation.resume(throwing: error) }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
