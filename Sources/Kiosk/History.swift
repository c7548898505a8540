import Attestation
import Foundation
import InventoryStore
import Station

/// Which past decisions *History* and `GET /api/v1/history` show: the inventory's
/// deliveries, filtered. Every value comes from a query string, so each is bounded
/// here and bound as an SQL parameter by the inventory.
struct HistoryQuery: Sendable {
    var verdict = ""
    /// verify | admit
    var command = ""
    var vendor = ""
    var product = ""
    var operatorName = ""
    /// A date (2026-12-01) or an RFC 3339 time; since inclusive, until exclusive.
    var since = ""
    var until = ""
    var limit = 200

    static let verdicts = ["", "accepted", "rejected"]
    static let commands = ["", "verify", "admit"]
    static let maxLimit = 1000

    /// From query parameters; throws a message for the person or pipeline that asked.
    init(_ get: (String) -> String?) throws {
        func text(_ key: String, _ max: Int) -> String {
            String((get(key) ?? "").trimmingCharacters(in: .whitespaces).prefix(max))
        }
        verdict = text("verdict", 16)
        command = text("command", 16)
        vendor = text("vendor", 200)
        product = text("product", 200)
        operatorName = text("operator", 200)
        since = text("since", 40)
        until = text("until", 40)
        guard Self.verdicts.contains(verdict) else { throw HistoryQueryError("verdict is accepted or rejected") }
        guard Self.commands.contains(command) else { throw HistoryQueryError("command is verify or admit") }
        for (name, value) in [("since", since), ("until", until)] where !value.isEmpty {
            guard parseRFC3339(value.count == 10 ? value + "T00:00:00Z" : value) != nil else {
                throw HistoryQueryError("\(name) is a date (2026-12-01) or an RFC 3339 time (2026-12-01T08:00:00Z)")
            }
        }
        if let l = get("limit"), !l.isEmpty {
            guard let n = Int(l.prefix(8)), (1...Self.maxLimit).contains(n) else { throw HistoryQueryError("limit is 1-\(Self.maxLimit)") }
            limit = n
        }
    }

    var filter: DeliveryFilter {
        var f = DeliveryFilter()
        f.includeChecked = true // every decision, not only admitted deliveries
        func nonEmpty(_ s: String) -> String? { s.isEmpty ? nil : s }
        f.verdict = nonEmpty(verdict)
        f.command = nonEmpty(command)
        f.vendor = nonEmpty(vendor)
        f.product = nonEmpty(product)
        f.operatorName = nonEmpty(operatorName)
        f.since = nonEmpty(since)
        f.until = nonEmpty(until)
        return f
    }
}

struct HistoryQueryError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// The audit log checked: its records (newest first) and whether the hash chain holds.
struct AuditState: Sendable {
    var records: [AuditRecord]
    var intact: Bool
    var problems: [String]
}

/// Past decisions from the inventory, with the audit log's state.
struct History: Sendable {
    var deliveries: [DeliverySummary]
    /// false: `inventory: off`; then only the audit log is shown.
    var inventoryOn: Bool
    /// The inventory could not be read (the message is generic; details in the server log).
    var inventoryError: String?
    var audit: AuditState
    /// Verifications still in memory (the last 100), by audit sequence: their pages and reports.
    var scans: [Int: Scan]
}

extension KioskServices {
    /// The audit log, verified (`passbox log verify`): records newest first.
    func auditState() -> AuditState {
        guard let check = try? recorder.log.verify() else { return AuditState(records: [], intact: false, problems: ["the audit log cannot be read"]) }
        return AuditState(records: check.records.reversed(), intact: check.intact, problems: check.problems.prefix(20).map { $0.message })
    }

    /// Past decisions from the inventory, filtered, newest first, and the audit log's state.
    func history(_ query: HistoryQuery) -> History {
        var scans: [Int: Scan] = [:]
        for scan in queue.all {
            for seq in [scan.report?.auditSeq, scan.admission?.report.auditSeq].compactMap({ $0 }) where scans[seq] == nil { scans[seq] = scan }
        }
        var deliveries: [DeliverySummary] = []
        var failure: String?
        if let inventory {
            do {
                deliveries = try inventory.deliveries(query.filter, limit: query.limit)
            } catch {
                FileHandle.standardError.write(Data("passbox serve: history: \(error)\n".utf8))
                failure = "The inventory could not be read."
            }
        }
        return History(deliveries: deliveries, inventoryOn: inventory != nil, inventoryError: failure, audit: auditState(), scans: scans)
    }
}

extension History {
    /// `GET /api/v1/history`: the deliveries and the audit log's state, as JSON.
    func json() -> [String: Any] {
        var audit: [String: Any] = ["intact": self.audit.intact, "records": self.audit.records.count]
        audit["problems"] = self.audit.problems
        let items: [[String: Any]] = deliveries.map { d in
            var item: [String: Any] = ["uid": d.uid, "time": d.time, "station": d.station, "command": d.command,
                                       "admitted": d.admitted, "verdict": d.verdict, "operator": d.operator, "sha256": d.sha256,
                                       "input": d.input, "files": d.files, "components": d.components]
            for (key, value) in [("vendor", d.vendor), ("product", d.product), ("version", d.version), ("kind", d.kind),
                                 ("admittedFolder", d.admittedFolder), ("mediumLabel", d.mediumLabel)] {
                if let value { item[key] = value }
            }
            if let seq = d.auditSeq {
                item["auditSeq"] = seq
                if let scan = scans[Int(seq)] { item["verification"] = scan.id }
            }
            return item
        }
        return ["inventory": inventoryOn ? "on" : "off", "audit": audit, "deliveries": items]
    }

    /// `GET /api/v1/history/{uid}`: one recorded decision, with the fields of `passbox inventory show --format json`.
    static func json(_ detail: DeliveryDetail) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(detail)
    }
}

extension KioskServices {
    /// Everything the inventory recorded about one decision (`passbox inventory show`),
    /// by its uid (or any key `show` takes); nil when there is none or no inventory.
    func pastDecision(_ key: String) throws -> DeliveryDetail? {
        guard let inventory, !key.isEmpty, key.utf8.count <= 200 else { return nil }
        return try inventory.show(key)
    }

    /// The verification still in memory for a recorded decision, if the kiosk keeps it.
    func scan(forAuditSeq seq: Int64?) -> Scan? {
        guard let seq else { return nil }
        return queue.all.first { $0.report?.auditSeq == Int(seq) || $0.admission?.report.auditSeq == Int(seq) }
    }
}
