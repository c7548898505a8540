import Foundation
import PassboxKit
import SBOM
import Station

/// One decision as rows of the inventory's tables (`Schema`): the delivery, then its
/// files, signers, SBOM documents, components and findings, each row in the column
/// order of its table's `dataColumns` with `delivery_id` left for the writer.
struct DecisionRows {
    var delivery: [String: SQLValue]
    /// Per child table name, rows without `delivery_id` (in `dataColumns` order minus it).
    var children: [String: ChildRows]

    init(_ decision: Decision, uid: String = UUID().uuidString.lowercased()) {
        let report = decision.report
        let audit = decision.audit
        // The manifest that speaks for the delivery: the first that applies.
        let applying = report.manifests.first { $0.status == .verified }
        let sbomCount = report.sbom?.components.count ?? 0
        let admitted = decision.command == "admit" && report.verdict == .accepted && decision.admittedFolder != nil
        delivery = [
            "uid": SQLValue(uid),
            "station": SQLValue(audit.station),
            "audit_seq": audit.seq > 0 ? .integer(Int64(audit.seq)) : .null,
            "audit_hash": audit.seq > 0 ? SQLValue(audit.hash) : .null,
            "command": SQLValue(decision.command),
            "admitted": .integer(admitted ? 1 : 0),
            "verdict": SQLValue(report.verdict.rawValue),
            "time": SQLValue(audit.time),
            "operator": SQLValue(audit.user),
            "sha256": SQLValue(audit.deliverySha256.isEmpty ? deliveryDigest(report) : audit.deliverySha256),
            "delivery_kind": SQLValue(report.delivery.kind.rawValue),
            "delivery_format": SQLValue(report.delivery.format),
            "size": SQLValue(report.delivery.size ?? report.summary.bytes),
            "vendor": SQLValue(applying?.vendor),
            "product": SQLValue(applying?.product),
            "version": SQLValue(applying?.version),
            "product_kind": SQLValue(applying?.kind),
            "medium_device": SQLValue(audit.medium?.device),
            "medium_fs": SQLValue(audit.medium?.fsType),
            "medium_mount": SQLValue(audit.medium?.mountPoint),
            "medium_uuid": SQLValue(audit.medium?.uuid),
            "medium_label": SQLValue(audit.medium?.label),
            "input": SQLValue(decision.input),
            "absolute_path": SQLValue(decision.absolutePath),
            "admitted_folder": SQLValue(decision.admittedFolder),
            "receipt_path": SQLValue(decision.receiptPath),
            "receipt_sha256": SQLValue(decision.receiptSha256),
            "policy_sha256": SQLValue(decision.policySha256),
            "trust_store_sha256": SQLValue(decision.trustStoreSha256),
            "file_count": .integer(Int64(report.files.count)),
            "component_count": .integer(Int64(sbomCount)),
            "pushed": .integer(0),
        ]
        // A file is known to be verified by a manifest only when exactly one applies.
        let verifiedBy = report.manifests.filter { $0.status == .verified }.count == 1 ? applying?.path : nil
        var children: [String: ChildRows] = [:]
        // A file's row is made when it is written (a delivery of 200,000 files made
        // all of them first: 120 MB beside the report).
        let files = report.files
        children[Schema.files.name] = ChildRows(count: files.count) { index in
            let file = files[index]
            return [SQLValue(file.path), SQLValue(file.kind.rawValue), .integer(file.size),
                    SQLValue(file.digests.sha256), SQLValue(file.digests.sha384), SQLValue(file.digests.sha512),
                    SQLValue(file.status.rawValue),
                    file.status == .verified ? SQLValue(verifiedBy) : .null]
        }
        children[Schema.signers.name] = ChildRows(report.manifests.flatMap { manifest in
            manifest.signatures.map { signature in
                [SQLValue(manifest.path), SQLValue(manifest.format), SQLValue(manifest.status.rawValue),
                 SQLValue(signature.signer), SQLValue(signature.status.rawValue), SQLValue(signature.keyid),
                 SQLValue(signature.algorithm), SQLValue(signature.fingerprint), SQLValue(signature.subject)]
            }
        })
        children[Schema.sbomDocuments.name] = ChildRows((report.sbom?.documents ?? []).map { document in
            [SQLValue(document.path), SQLValue(document.format), SQLValue(document.specVersion),
             document.signed.map { .integer($0 ? 1 : 0) } ?? .null,
             SQLValue(document.product), .integer(Int64(document.components))]
        })
        let components = report.sbom?.components ?? []
        children[Schema.components.name] = ChildRows(count: components.count) { Self.component(components[$0]) }
        let findings = report.findings
        children[Schema.findings.name] = ChildRows(count: findings.count) { index in
            let finding = findings[index]
            return [SQLValue(finding.code.rawValue), SQLValue(finding.severity.rawValue), SQLValue(finding.path),
                    SQLValue(finding.message)]
        }
        self.children = children
    }

    /// A component row: the purl split into its parts (normalized as `PackageURL` does),
    /// so that queries can select by type, namespace and name.
    static func component(_ entry: SBOMReport.Entry) -> [SQLValue] {
        let purl = entry.purl.flatMap { try? PackageURL($0) }
        let qualifiers = purl.map { $0.qualifiers.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&") }
        return [SQLValue(entry.document), SQLValue(entry.name), SQLValue(entry.version), SQLValue(entry.purl),
                SQLValue(purl?.type), SQLValue(purl?.namespace), SQLValue(purl?.name), SQLValue(purl?.version),
                SQLValue(qualifiers.flatMap { $0.isEmpty ? nil : $0 }), SQLValue(purl?.subpath),
                SQLValue(entry.cpe), SQLValue(entry.license), SQLValue(entry.status), SQLValue(entry.rule),
                SQLValue(entry.reason)]
    }

    /// The child columns without `delivery_id`, in row order.
    static func childColumns(_ table: TableSpec) -> [String] {
        table.dataColumns.filter { $0 != "delivery_id" }
    }
}

/// Writes deliveries with their rows: the one writer both stores use (recording on
/// the station, and `push` to the central store).
enum DeliveryWriter {
    /// Inserts the delivery and its rows; returns the new id, or nil when the delivery
    /// is there already (same uid, or same station and audit sequence): idempotent.
    static func insert(_ delivery: [String: SQLValue], children: [String: ChildRows],
                       in session: any SQLSession, afterDelivery: (() throws -> Void)? = nil) throws -> Int64? {
        let columns = Schema.deliveries.dataColumns
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        let rows = try session.query(
            "INSERT INTO deliveries (\(columns.joined(separator: ", "))) VALUES (\(placeholders)) ON CONFLICT DO NOTHING RETURNING id",
            columns.map { delivery[$0] ?? .null })
        guard let id = rows.first?.first?.integer else { return nil }
        try afterDelivery?()
        for table in Schema.children {
            guard let tableRows = children[table.name], tableRows.count > 0 else { continue }
            var start = 0
            while start < tableRows.count {
                let end = min(tableRows.count, start + ChildRows.rowsPerInsert)
                try session.insert(into: table.name, columns: ["delivery_id"] + DecisionRows.childColumns(table),
                                   rows: (start..<end).map { [.integer(id)] + tableRows.row($0) })
                start = end
            }
        }
        return id
    }
}

/// A child table's rows for one delivery, made as they are written: `rowsPerInsert`
/// at a time, so a delivery of 200,000 files never has all its rows in memory at once.
struct ChildRows {
    /// Rows made and written at a time (about 6 MB of a delivery's file rows).
    static let rowsPerInsert = 10_000
    let count: Int
    let row: (Int) -> [SQLValue]

    init(count: Int, row: @escaping (Int) -> [SQLValue]) {
        self.count = count
        self.row = row
    }

    /// Rows already made (read back for `push`).
    init(_ rows: [[SQLValue]]) {
        self.init(count: rows.count) { rows[$0] }
    }
}
