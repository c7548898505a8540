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
    /// and the `vuln.*` findings recorded at admission: three queries, whatever the
    /// number of deliveries (`passbox inventory vulns`).
    public func admittedDeliveries(_ filter: DeliveryFilter = DeliveryFilter()) throws -> [AdmittedDelivery] {
        var filter = filter
        filter.includeChecked = false  // admitted deliveries only: the clause always has "d.admitted = 1"
        let (clause, values) = try filter.clause()
        return try database.read { session in
            let summaries = try session.query(
                "SELECT \(DeliverySummary.columns) FROM deliveries d\(clause) ORDER BY d.time, d.id", values
            ).map { DeliverySummary($0[...]) }
            var documents: [Int64: [AdmittedDelivery.Document]] = [:]
            for row in try session.query("""
                SELECT c.delivery_id, c.document, c.name, c.version, c.purl, c.cpe FROM components c
                JOIN deliveries d ON d.id = c.delivery_id\(clause) ORDER BY c.delivery_id, c.id
                """, values) where row.count == 6 {
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
                JOIN deliveries d ON d.id = f.delivery_id\(clause) AND f.code LIKE 'vuln.%' ORDER BY f.delivery_id, f.id
                """, values) where row.count == 5 {
                guard let id = row[0].integer else { continue }
                findings[id, default: []].append(.init(code: row[1].text ?? "", severity: row[2].text ?? "", path: row[3].text,
                                                       message: row[4].text ?? ""))
            }
            return summaries.map { summary in
                AdmittedDelivery(delivery: summary, documents: documents[summary.id] ?? [],
                                 vulnerabilityFindings: findings[summary.id] ?? [])
            }
        }
    }
}
