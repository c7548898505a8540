import Foundation
@testable import InventoryStore
import PassboxKit
import Station
import Testing

/// Decisions built for the tests: a report as its JSON (docs/report.md) decoded, with
/// an audit record numbered by hand.
struct DecisionFixture {
    var station = "station-a"
    var seq = 1
    var command = "admit"
    var verdict = "accepted"
    var vendor: String? = "Acme"
    var product: String? = "plc-firmware"
    var version: String? = "4.2.0"
    var kind: String? = "firmware"
    var time = "2026-12-01T09:00:00.000Z"
    var user = "operator-1"
    var deliverySha256 = String(repeating: "a", count: 64)
    var files: [(path: String, sha256: String)] = [("bin/fw.bin", String(repeating: "b", count: 64))]
    var signer = "acme-release"
    var fingerprint = "SHA256:acmekey"
    /// (name, version, purl)
    var components: [(String, String?, String?)] = []
    /// Findings of an accepted decision (code, severity, message).
    var findings: [(String, String, String)] = []
    var folder: String? = "plc-firmware-4.2.0"
    var medium: MediumIdentity? = MediumIdentity(device: "/dev/sdb1", fsType: "vfat", mountPoint: "/media/usb", uuid: "1234-ABCD", label: "ACME")

    func report() throws -> Report {
        var json: [String: Any] = [
            "mediaType": reportMediaType,
            "verdict": verdict,
            "delivery": ["path": "/media/usb/delivery", "kind": "directory"],
            "files": files.map { ["path": $0.path, "kind": "regular", "size": 1024, "digests": ["sha256": $0.sha256], "status": "verified"] },
            "manifests": [[
                "path": "manifest.dsse.json", "format": "dsse", "status": "verified",
                "signatures": [["signer": signer, "status": "valid", "algorithm": "ed25519", "fingerprint": fingerprint]],
                "vendor": vendor as Any, "product": product as Any, "version": version as Any, "kind": kind as Any,
            ].compactMapValues { $0 is NSNull ? nil : $0 }],
            "findings": verdict == "accepted" ? findings.map { ["code": $0.0, "severity": $0.1, "message": $0.2] }
                                              : [["code": "manifest.none", "severity": "error", "message": "no manifest"]],
            "summary": ["files": files.count, "bytes": 1024 * files.count, "archives": 0, "byStatus": ["verified": files.count]],
        ]
        if !components.isEmpty {
            json["sbom"] = [
                "documents": [["path": "sbom.cdx.json", "format": "cyclonedx", "specVersion": "1.6", "signed": true,
                               "components": components.count]],
                "components": components.map { c in
                    ["name": c.0, "version": c.1 as Any, "purl": c.2 as Any, "license": "Apache-2.0", "status": "approved",
                     "reason": "allowed", "document": "sbom.cdx.json"].compactMapValues { $0 is NSNull ? nil : $0 }
                },
            ]
        }
        let data = try JSONSerialization.data(withJSONObject: Self.clean(json))
        return try JSONDecoder().decode(Report.self, from: data)
    }

    /// Optionals that were nil become absent keys.
    static func clean(_ value: Any) -> Any {
        if let dictionary = value as? [String: Any] {
            var out: [String: Any] = [:]
            for (key, item) in dictionary {
                if case Optional<Any>.none = item as Any? { continue }
                let unwrapped = unwrap(item)
                if let unwrapped { out[key] = clean(unwrapped) }
            }
            return out
        }
        if let array = value as? [Any] { return array.map(clean) }
        return value
    }

    static func unwrap(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first.map { unwrap($0.value) } ?? nil
    }

    func decision() throws -> Decision {
        let report = try report()
        var audit = AuditRecord(command: command, input: "/media/usb/delivery", deliverySha256: deliverySha256, verdict: verdict,
                                findings: findingCodes(report), admitted: folder, medium: medium)
        audit.seq = seq
        audit.station = station
        audit.user = user
        audit.time = time
        audit.hash = String(repeating: "c", count: 64)
        return Decision(command: command, input: "/media/usb/delivery", report: report, audit: audit,
                        admittedFolder: command == "admit" && verdict == "accepted" ? folder : nil,
                        receiptPath: "/var/lib/passbox/receipts/x.json", receiptSha256: String(repeating: "d", count: 64),
                        policySha256: String(repeating: "e", count: 64), trustStoreSha256: String(repeating: "f", count: 64))
    }
}

/// The suites that use the one PostgreSQL test database (each drops every table
/// first): nested here, they run one after another, never two at once.
@Suite(.serialized) enum SharedPostgreSQL {}

/// The stores the shared suite runs on: SQLite always; PostgreSQL when
/// PASSBOX_TEST_POSTGRES_URL names a server (scripts/postgres-test.sh start).
enum TestStores {
    static var postgresURL: String? {
        let url = ProcessInfo.processInfo.environment["PASSBOX_TEST_POSTGRES_URL"] ?? ""
        return url.isEmpty ? nil : url
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "passbox-inventory-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func sqlite(_ directory: String? = nil, afterDeliveryRow: (@Sendable () throws -> Void)? = nil) throws -> DeliveryInventory {
        try DeliveryInventory(.sqlite(path: (directory ?? temporaryDirectory()) + "/inventory.sqlite"), afterDeliveryRow: afterDeliveryRow)
    }

    /// A fresh, empty PostgreSQL store (every table dropped first).
    static func postgres(timeout: Duration = .seconds(10), afterDeliveryRow: (@Sendable () throws -> Void)? = nil) throws -> DeliveryInventory {
        guard let url = postgresURL else { throw InventoryError("PASSBOX_TEST_POSTGRES_URL is not set") }
        let location = try StoreLocation(url)
        guard case let .postgres(parsed) = location else { throw InventoryError("not a postgres URL") }
        let raw = try PostgresDatabase(url: parsed, timeout: timeout)
        try raw.write { session in
            try session.execute("DROP TABLE IF EXISTS inventory_schema, findings, components, sbom_documents, signers, files, deliveries, "
                + "vuln_packages, vuln_records, vuln_imports CASCADE", [])
        }
        raw.close()
        return try DeliveryInventory(location, timeout: timeout, afterDeliveryRow: afterDeliveryRow)
    }

    static func make(_ dialect: SQLDialect, afterDeliveryRow: (@Sendable () throws -> Void)? = nil) throws -> DeliveryInventory {
        switch dialect {
        case .sqlite: try sqlite(afterDeliveryRow: afterDeliveryRow)
        case .postgres: try postgres(afterDeliveryRow: afterDeliveryRow)
        }
    }

    /// The dialects to run: PostgreSQL only with a server (a visible notice otherwise).
    static let dialects: [SQLDialect] = {
        if postgresURL == nil {
            print("NOTICE: PASSBOX_TEST_POSTGRES_URL is not set: the inventory's PostgreSQL tests are SKIPPED (scripts/postgres-test.sh start)")
            return [.sqlite]
        }
        return [.sqlite, .postgres]
    }()
}
