import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PassboxKit

/// One decision as the inventory records it: the report with everything the station
/// knows about it. Written in the same step as the audit record (`DecisionRecorder`).
public struct Decision: Sendable {
    /// verify | admit
    public var command: String
    /// The delivery path as given, and as an absolute real path when it exists.
    public var input: String
    public var absolutePath: String?
    public var report: Report
    /// The audit record (seq, time, user, station, medium); seq 0 when not recorded.
    public var audit: AuditRecord
    /// admit, accepted: the folder and the receipt.
    public var admittedFolder: String?
    public var receiptPath: String?
    public var receiptSha256: String?
    /// sha256 of the policy file (nil: the built-in policy) and of the trust store.
    public var policySha256: String?
    public var trustStoreSha256: String?

    public init(command: String, input: String, report: Report, audit: AuditRecord, admittedFolder: String? = nil,
                receiptPath: String? = nil, receiptSha256: String? = nil, policySha256: String? = nil, trustStoreSha256: String? = nil) {
        self.command = command
        self.input = input
        self.absolutePath = realPath(input)
        self.report = report
        self.audit = audit
        self.admittedFolder = admittedFolder
        self.receiptPath = receiptPath
        self.receiptSha256 = receiptSha256
        self.policySha256 = policySha256
        self.trustStoreSha256 = trustStoreSha256
    }
}

/// Where decisions are kept queryable (the inventory: SQLite on the station, and
/// PostgreSQL for a plant). `record` writes one decision in one transaction, or throws
/// (then `admit` admits nothing, as for the audit log).
public protocol DecisionStore: Sendable {
    func record(_ decision: Decision) throws
}

/// The absolute path with symbolic links resolved, when it exists.
public func realPath(_ path: String) -> String? {
    guard let resolved = Glibc.realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}
