import Foundation
import PassboxKit

/// Where a station's decisions are also sent: a syslog collector (RFC 5424 or CEF).
public struct SIEMDestination: Sendable, Equatable {
    public var target: SyslogTarget
    public var format: SIEMFormat

    public init(target: SyslogTarget, format: SIEMFormat) {
        self.target = target
        self.format = format
    }

    /// From a `udp://HOST:PORT` / `tcp://HOST:PORT` (an option, else the station policy's
    /// `siem.syslog`) and a format (else the policy's, else rfc5424). nil when no
    /// collector is configured; throws `StationError` on a malformed one.
    public static func resolve(url: String?, format: SIEMFormat?, policy: StationPolicy) throws -> SIEMDestination? {
        guard let url = url ?? policy.siemSyslog else {
            if format != nil { throw StationError("--syslog-format needs a collector: --syslog udp://HOST:PORT or the policy's siem.syslog") }
            return nil
        }
        guard let target = SyslogTarget(url: url) else {
            throw StationError("syslog collector \(url.prefix(200)) is not udp://HOST:PORT or tcp://HOST:PORT")
        }
        return SIEMDestination(target: target, format: format ?? policy.siemFormat.flatMap(SIEMFormat.init(rawValue:)) ?? .rfc5424)
    }
}

/// The one place a station records a decision: the hash-chained audit log first, then
/// (when configured) the SIEM. Problems are returned as text, never thrown: a
/// verification still reports when its record could not be written (`admit` refuses
/// before copying, see `Admission`).
public struct DecisionRecorder: Sendable {
    public var log: AuditLog
    public var siem: SIEMDestination?
    public var version: String
    /// The inventory, when one is configured: every decision, queryable.
    public var store: (any DecisionStore)?
    /// sha256 of the policy file (nil: built-in) and of the trust store, for the records.
    public var policySha256: String?
    public var trustStoreSha256: String?
    /// Who decided, when it is not the account running passbox (the kiosk's signed-in
    /// person or API token): goes into the records' `user`.
    public var user: String?

    public init(stateDirectory: String, siem: SIEMDestination?, version: String, store: (any DecisionStore)? = nil) {
        log = AuditLog(directory: stateDirectory)
        self.siem = siem
        self.version = version
        self.store = store
    }

    /// Appends the record of `report` and sends it to the SIEM. Returns the record
    /// (with seq and hash when recorded) and the problems, as text.
    @discardableResult
    public func record(command: String, input: String, report: Report, admitted: String? = nil) -> (record: AuditRecord, problems: [String]) {
        let (record, problem) = append(command: command, input: input, report: report, admitted: admitted)
        var problems = problem.map { ["not recorded in the audit log: \($0)"] } ?? []
        if let failure = store(Decision(command: command, input: input, report: report, audit: record,
                                        policySha256: policySha256, trustStoreSha256: trustStoreSha256)) {
            problems.append(failure)
        }
        if let failure = send(record, recorded: problem == nil) { problems.append(failure) }
        return (record, problems)
    }

    /// Writes the decision into the inventory, if one is configured; the problem as text.
    public func store(_ decision: Decision) -> String? {
        guard let store else { return nil }
        do {
            try store.record(decision)
            return nil
        } catch {
            return "not recorded in the inventory: \(error)"
        }
    }

    /// Appends the audit record only (admit sends to the SIEM after the folder is in place).
    public func append(command: String, input: String, report: Report, admitted: String? = nil) -> (AuditRecord, String?) {
        var draft = AuditRecord(command: command, input: input, deliverySha256: deliveryDigest(report),
                                verdict: report.verdict.rawValue, findings: findingCodes(report), admitted: admitted,
                                medium: Medium.identify(path: input))
        let described = report.manifests.first { $0.status == .verified && $0.product != nil }
        draft.vendor = described?.vendor
        draft.product = described?.product
        draft.version = described?.version
        draft.kind = described?.kind
        return append(draft)
    }

    /// A command that could not evaluate (exit 2: unreadable path, malformed trust store,
    /// a report that could not be written) is recorded and sent like any decision, with
    /// verdict `error` and the reason.
    @discardableResult
    public func recordError(command: String, input: String, message: String) -> (record: AuditRecord, problems: [String]) {
        var draft = AuditRecord(command: command, input: input, deliverySha256: "", verdict: "error", findings: [],
                                medium: Medium.identify(path: input))
        draft.error = String(message.prefix(4096))
        let (record, problem) = append(draft)
        var problems = problem.map { ["not recorded in the audit log: \($0)"] } ?? []
        if let failure = send(record, recorded: problem == nil) { problems.append(failure) }
        return (record, problems)
    }

    private func append(_ draft: AuditRecord) -> (AuditRecord, String?) {
        var draft = draft
        draft.path = realPath(draft.input)
        if let user { draft.user = user }
        draft.policySha256 = policySha256
        draft.trustStoreSha256 = trustStoreSha256
        do {
            return (try log.append(draft), nil)
        } catch {
            return (draft, "\(error)")
        }
    }

    /// Sends a record to the SIEM, if one is configured; the problem as text.
    public func send(_ record: AuditRecord, recorded: Bool) -> String? {
        guard let siem else { return nil }
        let message = Syslog.message(SIEMEvent(record: record, recorded: recorded), format: siem.format, version: version)
        do {
            try Syslog.send(message, to: siem.target)
            return nil
        } catch {
            return "decision not sent to the SIEM: \(error)"
        }
    }
}

extension Report {
    /// What the station adds to a report once its decision is recorded: the station,
    /// the delivery digest, the policy's and trust store's digests, the audit record.
    public mutating func annotate(recorder: DecisionRecorder, record: AuditRecord?, policyFile: String?) {
        station = stationName()
        deliveryDigest = ["sha256": PassboxKit.deliveryDigest(self)]
        policy = PolicyReference(source: policyFile ?? "built-in", sha256: recorder.policySha256)
        if var trust = trustStore {
            trust.sha256 = recorder.trustStoreSha256
            trustStore = trust
        }
        auditSeq = record.flatMap { $0.seq > 0 ? $0.seq : nil }
    }
}
