import Foundation
import SBOM

/// An admitted delivery as the inventory recorded it: its SBOM components (by the
/// document that named them) and the `vuln.*` findings of its admission.
public struct AdmittedDelivery: Sendable {
    public struct Document: Sendable {
        public var path: String
        public var components: [Component]
    }
    public var delivery: DeliverySummary
    public var documents: [Document]
    public var vulnerabilityFindings: [DeliveryDetail.FindingRow]
}

extension DeliveryInventory {
    /// Every admitted delivery the filter selects (oldest first), with its components
    /// and the `vuln.*` findings recorded at admission, all at once (read a page at a
    /// time by `forEachAdmittedDelivery`).
    public func admittedDeliveries(_ filter: DeliveryFilter = DeliveryFilter()) throws -> [AdmittedDelivery] {
        var all: [AdmittedDelivery] = []
        try forEachAdmittedDelivery(filter) { all.append($0) }
        return all
    }
}

extension DeliveryInventory {
    /// The distinct components (name, version, purl, cpe) of the admitted deliveries the
    /// filter selects: what `inventory vulns` matches, once each.
    public func admittedDistinctComponents(_ filter: DeliveryFilter = DeliveryFilter()) throws -> [Component] {
        var filter = filter
        filter.includeChecked = false
        let (clause, values) = try filter.clause()
        return try database.read { session in
            try session.query("""
                SELECT DISTINCT c.name, c.version, c.purl, c.cpe FROM components c
                JOIN deliveries d ON d.id = c.delivery_id\(clause)
                """, values).compactMap { row in
                row.count == 4 ? Component(name: row[0].text ?? "", version: row[1].text, purl: row[2].text, cpe: row[3].text) : nil
            }
        }
    }

    /// Every admitted delivery the filter selects (oldest first), as `admittedDeliveries`
    /// gives them, read `pageSize` deliveries at a time (by time and id, three queries a
    /// page) and handed to `body` one by one: memory bounded by a page, whatever the
    /// number of deliveries.
    public func forEachAdmittedDelivery(_ filter: DeliveryFilter = DeliveryFilter(), pageSize: Int = 500,
                                        _ body: (AdmittedDelivery) throws -> Void) throws {
        var filter = filter
        filter.includeChecked = false
        let (clause, values) = try filter.clause()
        let size = Int64(max(1, pageSize))
        var after: (time: String, id: Int64)?
        while true {
            let page: [AdmittedDelivery] = try database.read { session in
                let keyset = after.map { _ in " AND (d.time > ? OR (d.time = ? AND d.id > ?))" } ?? ""
                let keyValues: [SQLValue] = after.map { [.text($0.time), .text($0.time), .integer($0.id)] } ?? []
                let summaries = try session.query(
                    "SELECT \(DeliverySummary.columns) FROM deliveries d\(clause)\(keyset) ORDER BY d.time, d.id LIMIT ?",
                    values + keyValues + [.integer(size)]
                ).map { DeliverySummary($0[...]) }
                guard !summaries.isEmpty else { return [] }
                let ids = summaries.map { SQLValue.integer($0.id) }
                let list = VulnerabilityDatabase.placeholders(ids.count)
                var documents: [Int64: [AdmittedDelivery.Document]] = [:]
                for row in try session.query("""
                    SELECT c.delivery_id, c.document, c.name, c.version, c.purl, c.cpe FROM components c
                    WHERE c.delivery_id IN (\(list)) ORDER BY c.delivery_id, c.id
                    """, ids) where row.count == 6 {
                    guard let id = row[0].integer else { continue }
                    let path = row[1].text ?? ""
                    let component = Component(name: row[2].text ?? "", version: row[3].text, purl: row[4].text, cpe: row[5].text)
                    var list = documents[id, default: []]
                    if let last = list.indices.last, list[last].path == path {
                        list[last].components.append(component)
                    } else {
                        list.append(.init(path: path, components: [component]))
                    }
                    documents[id] = list
                }
                var findings: [Int64: [DeliveryDetail.FindingRow]] = [:]
                for row in try session.query("""
                    SELECT f.delivery_id, f.code, f.severity, f.path, f.message FROM findings f
                    WHERE f.delivery_id IN (\(list)) AND f.code LIKE 'vuln.%' ORDER BY f.delivery_id, f.id
                    """, ids) where row.count == 5 {
                    guard let id = row[0].integer else { continue }
                    findings[id, default: []].append(.init(code: row[1].text ?? "", severity: row[2].text ?? "", path: row[3].text,
                                                           message: row[4].text ?? ""))
                }
                return summaries.map { summary in
                    AdmittedDelivery(delivery: summary, documents: documents[summary.id] ?? [],
                                     vulnerabilityFindings: findings[summary.id] ?? [])
                }
            }
            for admitted in page { try body(admitted) }
            guard page.count == Int(size), let last = page.last else { return }
            after = (last.delivery.time, last.delivery.id)
        }
    }

    /// The store's id of a delivery named as `inventory show` takes it (id, uid,
    /// STATION:SEQ, admitted folder, sha256 or a prefix of 8+ hex digits); nil: none.
    public func resolveDelivery(_ key: String) throws -> Int64? {
        try database.read { try Self.resolve(key, $0) }
    }
}
