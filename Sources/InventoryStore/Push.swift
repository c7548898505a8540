import Foundation
import Station

/// What `push` did.
public struct PushResult: Sendable, Codable, Equatable {
    /// Deliveries written to the central store by this push.
    public var pushed = 0
    /// Deliveries the central store had already (an earlier push whose local mark was lost).
    public var alreadyThere = 0
    /// Deliveries still waiting (after a failure).
    public var remaining = 0

    public init() {}
}

extension DeliveryInventory {
    /// Deliveries recorded here and not yet in the central store.
    public func pendingPushCount() throws -> Int {
        try database.read { Int(try $0.query("SELECT COUNT(*) FROM deliveries WHERE pushed = 0", []).first?.first?.integer ?? 0) }
    }

    /// Copies every delivery not yet pushed to `central`, oldest first, each in one
    /// transaction there, then marks it pushed here. Idempotent: the central store keeps
    /// one row per (station, audit sequence) and per uid (`ON CONFLICT DO NOTHING`), so
    /// a push repeated after a failure, or two pushes at once, write each delivery once.
    /// Stops at the first failure and throws `PushFailure` with what was done.
    public func push(to central: DeliveryInventory) throws -> PushResult {
        var result = PushResult()
        let columns = Schema.deliveries.dataColumns
        while true {
            let ids = try database.read { session in
                try session.query("SELECT id FROM deliveries WHERE pushed = 0 ORDER BY id LIMIT 100", []).compactMap { $0.first?.integer }
            }
            if ids.isEmpty { return result }
            for id in ids {
                do {
                    let (delivery, children) = try database.read { session in
                        try Self.load(id, columns: columns, session)
                    }
                    let inserted = try central.database.write { session in
                        try DeliveryWriter.insert(delivery, children: children, in: session)
                    }
                    if inserted == nil {
                        try Self.confirmSame(delivery, in: central)
                        result.alreadyThere += 1
                    } else {
                        result.pushed += 1
                    }
                    try database.write { try $0.execute("UPDATE deliveries SET pushed = 1 WHERE id = ?", [.integer(id)]) }
                } catch {
                    result.remaining = (try? pendingPushCount()) ?? 0
                    throw PushFailure(result: result, message: "\(error)")
                }
            }
        }
    }

    /// The central store's delivery with this station and sequence number must be this
    /// one (same audit record hash): a station whose audit log was started anew reuses
    /// sequence numbers, and its decisions must not be taken for ones already pushed.
    static func confirmSame(_ delivery: [String: SQLValue], in central: DeliveryInventory) throws {
        guard let seq = delivery["audit_seq"], seq != .null, let station = delivery["station"] else { return }
        let there = try central.database.read { session in
            try session.query("SELECT audit_hash FROM deliveries WHERE station = ? AND audit_seq = ?", [station, seq])
        }
        guard let hash = there.first?.first, hash != delivery["audit_hash"] ?? .null else { return }
        throw InventoryError("station \(station.text ?? "") seq \(seq.text ?? "") is in the central store with another audit record"
            + " (hash \(hash.text?.prefix(16) ?? "none")…): was this station's audit log started anew under the same name?")
    }

    /// A delivery's row (by column name) and its children's rows, as `DeliveryWriter` takes them.
    static func load(_ id: Int64, columns: [String], _ session: any SQLSession) throws -> ([String: SQLValue], [String: ChildRows]) {
        guard let row = try session.query("SELECT \(columns.joined(separator: ", ")) FROM deliveries WHERE id = ?",
                                          [.integer(id)]).first, row.count == columns.count
        else { throw InventoryError("delivery \(id) vanished while it was pushed") }
        var delivery = Dictionary(uniqueKeysWithValues: zip(columns, row))
        delivery["pushed"] = .integer(0)
        var children: [String: ChildRows] = [:]
        for table in Schema.children {
            let childColumns = DecisionRows.childColumns(table)
            children[table.name] = ChildRows(try session.query(
                "SELECT \(childColumns.joined(separator: ", ")) FROM \(table.name) WHERE delivery_id = ? ORDER BY id",
                [.integer(id)]))
        }
        return (delivery, children)
    }
}

/// A push that stopped: what it did before, and why.
public struct PushFailure: Error, CustomStringConvertible, Sendable {
    public var result: PushResult
    public var message: String
    public var description: String {
        "push stopped after \(result.pushed) deliveries (\(result.remaining) still to push): \(message)"
    }
}

/// What `check` found.
public struct InventoryCheck: Sendable, Codable {
    public struct Missing: Sendable, Codable, Equatable {
        public var station: String
        public var seq: Int
        public var time: String
        public var command: String
        public var verdict: String
        public var input: String
        public var deliverySha256: String
    }
    /// Audit records read (decisions; records of commands that could not evaluate,
    /// verdict `error`, have no contents to record and are counted in `errors`).
    public var records = 0
    public var errors = 0
    public var missing: [Missing] = []
    /// Problems of the audit log itself (its hash chain), as `passbox log verify` reports them.
    public var auditProblems: [String] = []
}

extension DeliveryInventory {
    /// Compares the store with the audit log at `auditLog`: every decision the log
    /// records must be in the store (by station and sequence number).
    public func check(against auditLog: AuditLog) throws -> InventoryCheck {
        let verified = try auditLog.verify()
        var check = InventoryCheck()
        let decisions = verified.records.filter { $0.verdict != "error" }
        check.records = decisions.count
        check.errors = verified.records.count - decisions.count
        check.auditProblems = verified.problems.map { ($0.seq.map { "seq \($0): " } ?? "") + $0.message }
        var known: [String: Set<Int64>] = [:]
        for station in Set(decisions.map(\.station)) {
            known[station] = Set(try database.read { session in
                try session.query("SELECT audit_seq FROM deliveries WHERE station = ? AND audit_seq IS NOT NULL",
                                  [SQLValue(station)]).compactMap { $0.first?.integer }
            })
        }
        for record in decisions where !(known[record.station]?.contains(Int64(record.seq)) ?? false) {
            check.missing.append(.init(station: record.station, seq: record.seq, time: record.time, command: record.command,
                                       verdict: record.verdict, input: record.input, deliverySha256: record.deliverySha256))
        }
        return check
    }
}
