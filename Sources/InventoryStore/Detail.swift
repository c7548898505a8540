import Foundation

/// Everything recorded about one delivery (`passbox inventory show`).
public struct DeliveryDetail: Sendable, Codable {
    public struct File: Sendable, Codable {
        public var path: String, kind: String, size: Int64, sha256: String?, sha384: String?, sha512: String?
        public var status: String, manifest: String?
    }
    public struct Signer: Sendable, Codable {
        public var manifest: String, manifestFormat: String, manifestStatus: String, signer: String, status: String
        public var keyid: String?, algorithm: String?, fingerprint: String?, subject: String?
    }
    public struct Document: Sendable, Codable {
        public var path: String, format: String, specVersion: String, signed: Bool?, product: String?, components: Int64
    }
    public struct ComponentRow: Sendable, Codable {
        public var document: String, name: String, version: String?, purl: String?, cpe: String?, licenses: String?
        public var status: String, rule: String?
    }
    public struct FindingRow: Sendable, Codable {
        public var code: String, severity: String, path: String?, message: String
    }
    public var delivery: DeliverySummary
    public var auditHash: String?
    public var deliveryFormat: String?
    public var size: Int64?
    public var mediumFileSystem: String?
    public var mediumMountPoint: String?
    public var absolutePath: String?
    public var receiptPath: String?
    public var receiptSha256: String?
    public var policySha256: String?
    public var trustStoreSha256: String?
    /// The files and components shown: `page.limit` of each from `page.offset` in the
    /// order they were recorded (the delivery's totals are `delivery.files` and
    /// `delivery.components`).
    public var page: DetailPage
    public var files: [File]
    public var signers: [Signer]
    public var sbomDocuments: [Document]
    public var components: [ComponentRow]
    public var findings: [FindingRow]
}

/// Which of a delivery's files and components `show` returns (a delivery can hold
/// 50,000 of each): at most `limit` of each, from `offset` (0: the first recorded).
public struct DetailPage: Sendable, Codable, Equatable {
    public static let defaultLimit = 1000
    public var offset: Int
    public var limit: Int

    public init(offset: Int = 0, limit: Int = DetailPage.defaultLimit) {
        self.offset = max(0, offset)
        self.limit = max(0, limit)
    }
}

extension DeliveryInventory {
    /// One delivery by its id, its uid, `STATION:SEQ`, its admitted folder, or its
    /// sha256 (or a prefix of at least 8 hex digits; the newest such decision), with
    /// one page of its files and components (signers, SBOM documents and findings all).
    public func show(_ key: String, page: DetailPage = DetailPage()) throws -> DeliveryDetail? {
        try database.read { session in
            guard let id = try Self.resolve(key, session) else { return nil }
            let extra = "d.audit_hash, d.delivery_format, d.size, d.medium_fs, d.medium_mount, d.absolute_path, "
                + "d.receipt_path, d.receipt_sha256, d.policy_sha256, d.trust_store_sha256"
            guard let row = try session.query("SELECT \(DeliverySummary.columns), \(extra) FROM deliveries d WHERE d.id = ?",
                                              [.integer(id)]).first, row.count >= DeliverySummary.columnCount + 10
            else { return nil }
            let n = DeliverySummary.columnCount
            let one: [SQLValue] = [.integer(id)]
            let paged: [SQLValue] = one + [.integer(Int64(page.limit)), .integer(Int64(page.offset))]
            let files = try session.query(
                "SELECT path, kind, size, sha256, sha384, sha512, status, manifest FROM files WHERE delivery_id = ? ORDER BY id"
                    + " LIMIT ? OFFSET ?", paged
            ).map { r in
                DeliveryDetail.File(path: r[0].text ?? "", kind: r[1].text ?? "", size: r[2].integer ?? 0, sha256: r[3].text,
                                    sha384: r[4].text, sha512: r[5].text, status: r[6].text ?? "", manifest: r[7].text)
            }
            let signers = try session.query(
                "SELECT manifest, manifest_format, manifest_status, signer, status, keyid, algorithm, fingerprint, subject "
                    + "FROM signers WHERE delivery_id = ? ORDER BY id", one
            ).map { r in
                DeliveryDetail.Signer(manifest: r[0].text ?? "", manifestFormat: r[1].text ?? "", manifestStatus: r[2].text ?? "",
                                      signer: r[3].text ?? "", status: r[4].text ?? "", keyid: r[5].text, algorithm: r[6].text,
                                      fingerprint: r[7].text, subject: r[8].text)
            }
            let documents = try session.query(
                "SELECT path, format, spec_version, signed, product, components FROM sbom_documents WHERE delivery_id = ? ORDER BY id", one
            ).map { r in
                DeliveryDetail.Document(path: r[0].text ?? "", format: r[1].text ?? "", specVersion: r[2].text ?? "",
                                        signed: r[3].integer.map { $0 == 1 }, product: r[4].text, components: r[5].integer ?? 0)
            }
            let components = try session.query(
                "SELECT document, name, version, purl, cpe, licenses, status, rule FROM components WHERE delivery_id = ? ORDER BY id"
                    + " LIMIT ? OFFSET ?", paged
            ).map { r in
                DeliveryDetail.ComponentRow(document: r[0].text ?? "", name: r[1].text ?? "", version: r[2].text, purl: r[3].text,
                                            cpe: r[4].text, licenses: r[5].text, status: r[6].text ?? "", rule: r[7].text)
            }
            let findings = try session.query(
                "SELECT code, severity, path, message FROM findings WHERE delivery_id = ? ORDER BY id", one
            ).map { r in
                DeliveryDetail.FindingRow(code: r[0].text ?? "", severity: r[1].text ?? "", path: r[2].text, message: r[3].text ?? "")
            }
            return DeliveryDetail(
                delivery: DeliverySummary(row[..<n]), auditHash: row[n].text, deliveryFormat: row[n + 1].text,
                size: row[n + 2].integer, mediumFileSystem: row[n + 3].text, mediumMountPoint: row[n + 4].text,
                absolutePath: row[n + 5].text, receiptPath: row[n + 6].text, receiptSha256: row[n + 7].text,
                policySha256: row[n + 8].text, trustStoreSha256: row[n + 9].text, page: page,
                files: files, signers: signers, sbomDocuments: documents, components: components, findings: findings)
        }
    }

    static func resolve(_ key: String, _ session: any SQLSession) throws -> Int64? {
        func first(_ sql: String, _ values: [SQLValue]) throws -> Int64? {
            try session.query(sql, values).first?.first?.integer
        }
        if let id = Int64(key), let found = try first("SELECT id FROM deliveries WHERE id = ?", [.integer(id)]) { return found }
        if let found = try first("SELECT id FROM deliveries WHERE uid = ?", [SQLValue(key)]) { return found }
        if let colon = key.lastIndex(of: ":"), let seq = Int64(key[key.index(after: colon)...]),
           let found = try first("SELECT id FROM deliveries WHERE station = ? AND audit_seq = ?",
                                 [SQLValue(String(key[..<colon])), .integer(seq)]) {
            return found
        }
        if let found = try first("SELECT id FROM deliveries WHERE admitted_folder = ? ORDER BY id DESC LIMIT 1", [SQLValue(key)]) {
            return found
        }
        let hex = key.lowercased()
        guard hex.count >= 8, hex.count <= 64, hex.allSatisfy(\.isHexDigit) else { return nil }
        if hex.count == 64 {
            return try first("SELECT id FROM deliveries WHERE sha256 = ? ORDER BY time DESC, id DESC LIMIT 1", [.text(hex)])
        }
        // A prefix: a range on the index, no pattern built from the key.
        return try first("SELECT id FROM deliveries WHERE sha256 >= ? AND sha256 < ? ORDER BY time DESC, id DESC LIMIT 1",
                         [.text(hex), .text(hex + "g")])
    }
}
