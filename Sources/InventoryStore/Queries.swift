import Attestation
import Foundation
import SBOM
import Station

/// Which deliveries a query looks at. Every value is bound as a parameter.
public struct DeliveryFilter: Sendable {
    public var vendor: String?
    public var product: String?
    /// The manifest's kind (firmware, ...).
    public var kind: String?
    /// RFC 3339 times or dates (YYYY-MM-DD), inclusive since, exclusive until.
    public var since: String?
    public var until: String?
    public var verdict: String?
    public var station: String?
    /// Decisions by this person or token (`token:NAME`), also as one of the two of an
    /// approved admission (recorded as `OPERATOR+APPROVER`).
    public var operatorName: String?
    /// verify | admit
    public var command: String?
    /// Also decisions that admitted nothing (verify, refused admits). Default: admitted only.
    public var includeChecked = false
    /// One delivery, by the store's id (`resolveDelivery` turns what `inventory show` takes into it).
    public var deliveryID: Int64?

    public init() {}

    /// The WHERE clause on `deliveries` aliased `d` (starting with " WHERE"), and its values.
    func clause() throws -> (sql: String, values: [SQLValue]) {
        var parts: [String] = []
        var values: [SQLValue] = []
        func equal(_ column: String, _ value: String?) {
            guard let value else { return }
            parts.append("d.\(column) = ?")
            values.append(SQLValue(value))
        }
        equal("vendor", vendor)
        equal("product", product)
        equal("product_kind", kind)
        equal("verdict", verdict)
        equal("station", station)
        equal("command", command)
        if let name = operatorName {
            // Case-sensitive in both databases (=, substr), unlike LIKE in SQLite.
            let n = storable(name).unicodeScalars.count
            parts.append("(d.operator = ? OR substr(d.operator, 1, \(n + 1)) = ? "
                + "OR (length(d.operator) > \(n + 1) AND substr(d.operator, length(d.operator) - \(n)) = ?))")
            values += [SQLValue(name), SQLValue(name + "+"), SQLValue("+" + name)]
        }
        if let since {
            parts.append("d.time >= ?")
            values.append(.text(try Self.normalizedTime(since, option: "--since")))
        }
        if let until {
            parts.append("d.time < ?")
            values.append(.text(try Self.normalizedTime(until, option: "--until")))
        }
        if let deliveryID {
            parts.append("d.id = ?")
            values.append(.integer(deliveryID))
        }
        if !includeChecked { parts.append("d.admitted = 1") }
        return (parts.isEmpty ? "" : " WHERE " + parts.joined(separator: " AND "), values)
    }

    /// Times are stored as RFC 3339 UTC with milliseconds, so they compare as text.
    static func normalizedTime(_ text: String, option: String) throws -> String {
        let full = text.count == 10 ? text + "T00:00:00Z" : text
        guard let date = parseRFC3339(full) else {
            throw InventoryError("\(option) \(text.prefix(60)) is not an RFC 3339 time or a date (2026-12-01)")
        }
        return rfc3339Milliseconds(date)
    }
}

/// A delivery as listed.
public struct DeliverySummary: Sendable, Codable, Equatable {
    public var id: Int64
    public var uid: String
    public var station: String
    public var auditSeq: Int64?
    public var command: String
    public var admitted: Bool
    public var verdict: String
    public var time: String
    public var `operator`: String
    public var sha256: String
    public var deliveryKind: String
    public var vendor: String?
    public var product: String?
    public var version: String?
    public var kind: String?
    public var mediumDevice: String?
    public var mediumLabel: String?
    public var mediumUUID: String?
    public var input: String
    public var admittedFolder: String?
    public var files: Int64
    public var components: Int64

    static let columns = "d.id, d.uid, d.station, d.audit_seq, d.command, d.admitted, d.verdict, d.time, d.operator, d.sha256, "
        + "d.delivery_kind, d.vendor, d.product, d.version, d.product_kind, d.medium_device, d.medium_label, d.medium_uuid, "
        + "d.input, d.admitted_folder, d.file_count, d.component_count"
    static let columnCount = 22

    init(_ r: ArraySlice<SQLValue>) {
        var i = r.startIndex
        func next() -> SQLValue {
            defer { i += 1 }
            return i < r.endIndex ? r[i] : .null
        }
        id = next().integer ?? 0
        uid = next().text ?? ""
        station = next().text ?? ""
        auditSeq = next().integer
        command = next().text ?? ""
        admitted = next().integer == 1
        verdict = next().text ?? ""
        time = next().text ?? ""
        `operator` = next().text ?? ""
        sha256 = next().text ?? ""
        deliveryKind = next().text ?? ""
        vendor = next().text
        product = next().text
        version = next().text
        kind = next().text
        mediumDevice = next().text
        mediumLabel = next().text
        mediumUUID = next().text
        input = next().text ?? ""
        admittedFolder = next().text
        files = next().integer ?? 0
        components = next().integer ?? 0
    }
}

/// A component found by `components(matching:)`, with the delivery it came in.
public struct ComponentHit: Sendable, Codable {
    public var delivery: DeliverySummary
    public var document: String
    public var name: String
    public var version: String?
    public var purl: String?
    public var cpe: String?
    public var licenses: String?
    public var status: String
    public var rule: String?
}

/// A file found by `files(...)`, with its delivery and the delivery's valid signers.
public struct FileHit: Sendable, Codable {
    public var delivery: DeliverySummary
    public var path: String
    public var size: Int64
    public var sha256: String?
    public var status: String
    public var manifest: String?
    public var signers: [String]
}

extension DeliveryInventory {
    /// Deliveries, newest first.
    public func deliveries(_ filter: DeliveryFilter, limit: Int = 1000) throws -> [DeliverySummary] {
        let (clause, values) = try filter.clause()
        return try database.read { session in
            try session.query("SELECT \(DeliverySummary.columns) FROM deliveries d\(clause) ORDER BY d.time DESC, d.id DESC LIMIT ?",
                              values + [.integer(Int64(limit))])
        }.map { DeliverySummary($0[...]) }
    }

    /// Components matching a policy rule (`pkg:maven/org.apache.logging.log4j/log4j-core@vers:maven/<2.17.1`,
    /// `pkg:npm/*`, `zlib@vers:generic/<1.3`, `cpe:2.3:...`). The database selects the
    /// candidates by purl type, namespace and name where the rule gives them; the rule
    /// itself, versions in the ecosystem's order included, is judged here. A component
    /// whose version is missing or not valid in the range's scheme is listed (as a deny
    /// rule would match it).
    public func components(matching ruleText: String, _ filter: DeliveryFilter, limit: Int = 100_000) throws -> [ComponentHit] {
        let rule: ComponentRule
        do {
            rule = try ComponentRule(ruleText)
        } catch {
            throw InventoryError("not a component rule: \(error)")
        }
        var (clause, values) = try filter.clause()
        var parts: [String] = clause.isEmpty ? [] : [String(clause.dropFirst(" WHERE ".count))]
        let candidates = rule.candidates
        switch candidates.identity {
        case let .purl(type):
            parts.append("c.purl_type = ?")
            values.append(.text(type))
            if let name = candidates.name {
                parts.append("c.purl_name = ?")
                values.append(SQLValue(name))
            }
            if let namespace = candidates.namespace {
                parts.append("c.purl_namespace = ?")
                values.append(SQLValue(namespace))
            }
        case .cpe:
            parts.append("c.cpe IS NOT NULL")
        case .name:
            parts.append("c.purl IS NULL")
            if let name = candidates.name {
                parts.append("c.name = ?")
                values.append(SQLValue(name))
            }
        }
        let sql = "SELECT \(DeliverySummary.columns), c.document, c.name, c.version, c.purl, c.cpe, c.licenses, c.status, c.rule "
            + "FROM components c JOIN deliveries d ON d.id = c.delivery_id WHERE " + parts.joined(separator: " AND ")
            + " ORDER BY d.time DESC, d.id DESC, c.id"
        let rows = try database.read { try $0.query(sql, values) }
        var hits: [ComponentHit] = []
        let n = DeliverySummary.columnCount
        for row in rows where row.count >= n + 8 {
            let name = row[n + 1].text ?? ""
            let component = Component(name: name, version: row[n + 2].text, purl: row[n + 3].text, cpe: row[n + 4].text)
            guard rule.matches(component) else { continue }
            hits.append(ComponentHit(delivery: DeliverySummary(row[..<n]), document: row[n].text ?? "", name: name,
                                     version: row[n + 2].text, purl: row[n + 3].text, cpe: row[n + 4].text,
                                     licenses: row[n + 5].text, status: row[n + 6].text ?? "", rule: row[n + 7].text))
            if hits.count >= limit { break }
        }
        return hits
    }

    /// Files by sha256 (hex, any case) or by a glob on the path (`*` any characters,
    /// `/` included; `?` one character), with the delivery each came in.
    public func files(sha256: String?, nameGlob: String?, _ filter: DeliveryFilter, limit: Int = 10_000) throws -> [FileHit] {
        guard sha256 != nil || nameGlob != nil else { throw InventoryError("give --sha256 HEX or --name GLOB") }
        var (clause, values) = try filter.clause()
        var parts: [String] = clause.isEmpty ? [] : [String(clause.dropFirst(" WHERE ".count))]
        if let sha256 {
            parts.append("f.sha256 = ?")
            values.append(.text(sha256.lowercased()))
        }
        if let nameGlob {
            parts.append("f.path LIKE ? ESCAPE '\\'")
            values.append(.text(likePattern(nameGlob)))
        }
        let sql = "SELECT \(DeliverySummary.columns), f.path, f.size, f.sha256, f.status, f.manifest "
            + "FROM files f JOIN deliveries d ON d.id = f.delivery_id WHERE " + parts.joined(separator: " AND ")
            + " ORDER BY d.time DESC, d.id DESC, f.id LIMIT ?"
        values.append(.integer(Int64(limit)))
        let n = DeliverySummary.columnCount
        return try database.read { session in
            var signers: [Int64: [String]] = [:]
            var hits: [FileHit] = []
            for row in try session.query(sql, values) where row.count >= n + 5 {
                let path = row[n].text ?? ""
                // LIKE is case-insensitive in SQLite: the glob decides, the same in both stores.
                if let nameGlob, !globMatches(nameGlob, path) { continue }
                let delivery = DeliverySummary(row[..<n])
                if signers[delivery.id] == nil {
                    signers[delivery.id] = try session.query(
                        "SELECT signer, fingerprint FROM signers WHERE delivery_id = ? AND status = 'valid' ORDER BY id",
                        [.integer(delivery.id)]).map { ($0[0].text ?? "") + ($0[1].text.map { " (\($0))" } ?? "") }
                }
                hits.append(FileHit(delivery: delivery, path: path, size: row[n + 1].integer ?? 0, sha256: row[n + 2].text,
                                    status: row[n + 3].text ?? "", manifest: row[n + 4].text,
                                    signers: signers[delivery.id] ?? []))
            }
            return hits
        }
    }
}

/// A glob as a LIKE pattern with `\` as the escape character (a superset: the glob
/// itself is checked afterwards).
func likePattern(_ glob: String) -> String {
    var out = ""
    for character in storable(glob) {
        switch character {
        case "*": out += "%"
        case "?": out += "_"
        case "%", "_", "\\": out += "\\" + String(character)
        default: out.append(character)
        }
    }
    return out
}

/// `*` any characters (also `/`), `?` one character, everything else itself.
func globMatches(_ glob: String, _ text: String) -> Bool {
    let p = Array(storable(glob)), t = Array(text)
    var pi = 0, ti = 0, star = -1, mark = 0
    while ti < t.count {
        if pi < p.count, p[pi] == "?" || p[pi] == t[ti], p[pi] != "*" {
            pi += 1
            ti += 1
        } else if pi < p.count, p[pi] == "*" {
            star = pi
            mark = ti
            pi += 1
        } else if star >= 0 {
            pi = star + 1
            mark += 1
            ti = mark
        } else {
            return false
        }
    }
    while pi < p.count, p[pi] == "*" { pi += 1 }
    return pi == p.count
}
