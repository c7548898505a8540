import Attestation
import Foundation
import PassboxKit
import SBOM
import Vulnerabilities
import VulnerabilityStore

/// The distinct components of the admitted deliveries, matched and judged once: what
/// each delivery's list is assembled from (`evaluate`), so that deliveries can be read
/// and written out one page at a time.
struct ReassessmentMatcher {
    private var position: [String: Int] = [:]
    private var found: [Int: [VulnerabilityReassessment.Matched]] = [:]
    private var mapped: [Bool] = []
    let databaseTime: String?

    init(distinct: [Component], gate: VulnerabilityGate, database: VulnerabilityDatabase, sinceImport: Bool, now: Date) throws {
        for (n, component) in distinct.enumerated() { position[VulnerabilityReassessment.key(component)] = n }
        let loaded = try database.loadIndex(keys: VulnerabilityIndex.lookupKeys(for: distinct))
        let importTimes = Dictionary(try database.status().imports.map { ($0.id, $0.importedAt) }, uniquingKeysWith: { a, _ in a })
        var gate = gate
        gate.index = loaded.index
        gate.lookup = nil
        // Judged 2,000 distinct components at a time: only what each affected one needs
        // is kept, not the whole report with its findings.
        var start = 0
        while start < distinct.count {
            let end = min(distinct.count, start + 2_000)
            let report: VulnerabilityReport
            do {
                report = try VulnerabilityScan.assess(gate: gate, components: (start..<end).map { (String($0), [distinct[$0]]) },
                                                      now: now).report
            } catch let error as EvaluationError {
                throw VulnerabilityDatabaseError(error.message)
            }
            // Per distinct component: its affected vulnerabilities with their ids and the
            // import that first brought them (worked out once, not per delivery).
            for entry in report.components {
                guard let index = Int(entry.document) else { continue }
                let component = entry.purl ?? "\(entry.name)@\(entry.version)"
                let matched: [VulnerabilityReassessment.Matched] = entry.vulnerabilities.filter { $0.status == "affected" }.compactMap { v in
                    let ids = [v.id] + v.aliases
                    let firstSeen = ids.compactMap { loaded.firstImport[$0] }.min()
                    if sinceImport, firstSeen == nil || firstSeen != loaded.lastImport { return nil }
                    return .init(component: component, vulnerability: v, ids: ids, importedAt: firstSeen.flatMap { importTimes[$0] })
                }
                if !matched.isEmpty { found[index] = matched }
            }
            start = end
        }
        mapped = distinct.map { !VulnerabilityIndex.lookupKeys(for: [$0]).isEmpty }
        databaseTime = loaded.state.importedAt.map { RFC3339.format($0) }
    }

    /// The delivery's vulnerabilities now, with what its admission said; nil when it has
    /// none. `checked` counts its components that map to an ecosystem.
    func evaluate(_ admitted: AdmittedDelivery, checked: inout Int) -> VulnerabilityReassessment.Delivery? {
        let admittedAt = parseRFC3339(admitted.delivery.time)
        let said = AdmissionFindings(admitted.vulnerabilityFindings)
        let d = admitted.delivery
        var entry = VulnerabilityReassessment.Delivery(
            id: d.id, station: d.station, seq: d.auditSeq, time: d.time, folder: d.admittedFolder, vendor: d.vendor,
            product: d.product, version: d.version, findingsAtAdmission: admitted.vulnerabilityFindings)
        for document in admitted.documents {
            for component in document.components {
                guard let index = position[VulnerabilityReassessment.key(component)] else { continue }
                if mapped[index] { checked += 1 }
                for m in found[index] ?? [] {
                    let v = m.vulnerability
                    let inDatabase = m.importedAt.map { time in admittedAt.map { time <= $0 } ?? false } ?? false
                    let before = said.finding(naming: m.ids)
                    let suppressed = before?.code == FindingCode.vulnSuppressed.rawValue
                    entry.vulnerabilities.append(.init(
                        component: m.component, document: document.path,
                        id: v.id, aliases: v.aliases, severity: v.severity, score: v.score, fixedVersion: v.fixedVersion,
                        level: suppressed ? .info : v.level,
                        atAdmission: before.map { $0.code == FindingCode.vulnSuppressed.rawValue ? "suppressed" : "affected" },
                        admissionMessage: before?.message, inDatabaseAtAdmission: inDatabase))
                }
            }
        }
        return entry.vulnerabilities.isEmpty ? nil : entry
    }
}

extension VulnerabilityReassessment {
    /// What is known before the first delivery is listed.
    public struct Header: Sendable, Encodable {
        public var store: String
        public var database: String
        public var databaseTime: String?
        public var failOn: String
        public var sinceImport: Bool
    }

    /// What is known after the last one.
    public struct Totals: Sendable, Encodable {
        public var admissions = 0
        public var componentsChecked = 0
        public var affectedDeliveries = 0
        /// Some delivery has a vulnerability at or above failOn (exit 1).
        public var failing = false

        public init() {}
    }

    /// Re-assesses the admitted deliveries the filter selects without holding them all:
    /// the distinct components are read and judged first (one query, one read of the
    /// records they name), then deliveries are read a page at a time (oldest first) and
    /// each affected one handed to `each` as soon as it is evaluated. The vulnerability
    /// database is `database` (the same store, or another).
    public static func stream(_ inventory: DeliveryInventory, filter: DeliveryFilter = DeliveryFilter(), gate: VulnerabilityGate,
                              database: VulnerabilityDatabase, sinceImport: Bool, now: Date = Date(), pageSize: Int = 500,
                              header: (Header) throws -> Void, each: (Delivery) throws -> Void) throws -> Totals {
        let matcher = try ReassessmentMatcher(distinct: try inventory.admittedDistinctComponents(filter), gate: gate,
                                              database: database, sinceImport: sinceImport, now: now)
        try header(Header(store: inventory.location.description, database: database.location, databaseTime: matcher.databaseTime,
                          failOn: gate.policy.failOn.rawValue, sinceImport: sinceImport))
        var totals = Totals()
        try inventory.forEachAdmittedDelivery(filter, pageSize: pageSize) { admitted in
            totals.admissions += 1
            guard let entry = matcher.evaluate(admitted, checked: &totals.componentsChecked) else { return }
            totals.affectedDeliveries += 1
            if entry.vulnerabilities.contains(where: { $0.level == .error }) { totals.failing = true }
            try each(entry)
        }
        return totals
    }
}
