import Foundation
@testable import InventoryStore
import Testing

/// `show` in pages (a delivery of 50,000 files or components), and PostgreSQL's
/// array inserts cut into several statements. Part of the serialized shared suite
/// (the PostgreSQL cases empty the shared test database).
extension SharedPostgreSQL.InventorySuiteTests {
    @Test(arguments: TestStores.dialects)
    func showReturnsOnePageOfFilesAndComponentsInRecordedOrder(_ dialect: SQLDialect) throws {
        let store = try TestStores.make(dialect)
        defer { store.close() }
        let files = (0..<12).map { (path: "bin/f\($0).bin", sha256: String(repeating: "\($0 % 10)", count: 64)) }
        let components: [(String, String?, String?)] = (0..<25).map { ("c\($0)", "1.\($0)", "pkg:npm/c\($0)@1.\($0)") }
        try store.record(DecisionFixture(seq: 1, files: files, components: components).decision())

        let first = try #require(try store.show("station-a:1"))
        #expect(first.page == DetailPage(offset: 0, limit: DetailPage.defaultLimit))
        #expect(first.files.count == 12 && first.components.count == 25)
        #expect(first.delivery.files == 12 && first.delivery.components == 25)

        let middle = try #require(try store.show("station-a:1", page: DetailPage(offset: 10, limit: 5)))
        #expect(middle.files.map(\.path) == ["bin/f10.bin", "bin/f11.bin"])
        #expect(middle.components.map(\.name) == ["c10", "c11", "c12", "c13", "c14"])
        // Signers, SBOM documents and findings are not paged; the totals stay.
        #expect(middle.signers.count == 1 && middle.sbomDocuments.count == 1)
        #expect(middle.delivery.components == 25)

        let past = try #require(try store.show("station-a:1", page: DetailPage(offset: 100, limit: 5)))
        #expect(past.files.isEmpty && past.components.isEmpty)
        // Negative values from a caller are taken as 0.
        #expect(DetailPage(offset: -3, limit: -1) == DetailPage(offset: 0, limit: 0))
    }

    @Test func postgresArrayInsertsCutIntoStatementsKeepEveryValueNullAndOrder() throws {
        guard TestStores.postgresURL != nil else {
            print("NOTICE: PASSBOX_TEST_POSTGRES_URL is not set: PostgreSQL array insert test SKIPPED (scripts/postgres-test.sh start)")
            return
        }
        let store = try TestStores.postgres()
        defer { store.close() }
        try store.record(DecisionFixture(seq: 1, components: []).decision())
        let id = try #require(try store.deliveries(DeliveryFilter()).first?.id)
        let hostile = ["'); DROP TABLE components; --", "nul\u{0}byte", "ünïcödé 日本 🚀", "", "a\"b\\c", "$1 ? $2"]
        let columns = ["delivery_id"] + DecisionRows.childColumns(Schema.components)
        // 23 rows, 7 per statement: 4 statements, the last one short.
        let rows: [[SQLValue]] = (0..<23).map { i in
            let text = hostile[i % hostile.count]
            return [.integer(id), .text("doc"), SQLValue("n\(i) " + text), i % 2 == 0 ? .null : .text("v\(i)"),
                    i % 3 == 0 ? .null : .text("pkg:npm/n\(i)"), .null, .null, .null, .null, .null, .null,
                    .null, SQLValue(text), .text("approved"), .null, .text("allowed")]
        }
        try store.database.write { session in
            guard let postgres = session as? PostgresSession else { throw InventoryError("not a PostgreSQL session") }
            try postgres.insert(into: "components", columns: columns, rows: rows, rowsPerStatement: 7)
        }
        let back = try store.database.read { session in
            try session.query("SELECT \(columns.joined(separator: ", ")) FROM components WHERE delivery_id = ? ORDER BY id", [.integer(id)])
        }
        #expect(back == rows)
        #expect(back[1][2] == .text("n1 nul\u{2400}byte")) // NUL kept as U+2400, as everywhere
        // The integer columns of another table, NULLs among numbers; statements cut by size.
        try store.database.write { session in
            guard let postgres = session as? PostgresSession else { throw InventoryError("not a PostgreSQL session") }
            try postgres.insert(into: "sbom_documents", columns: ["delivery_id", "path", "format", "spec_version", "signed", "components"],
                                rows: [[.integer(id), .text("a"), .text("spdx"), .text("2.3"), .null, .integer(Int64.max)],
                                       [.integer(id), .text("b"), .text("spdx"), .text("2.3"), .integer(1), .integer(-1)]],
                                rowsPerStatement: 100, bytesPerStatement: 1) // one row a statement, by size
        }
        let documents = try #require(try store.show("station-a:1")).sbomDocuments
        #expect(documents.map(\.signed) == [nil, true])
        #expect(documents.map(\.components) == [Int64.max, -1])
    }

    @Test(arguments: TestStores.dialects)
    func aVersion1StoreIsMigratedToThePartialNameIndexAndKeepsItsData(_ dialect: SQLDialect) throws {
        // A store as the first release made it: migration 1 only, with a decision in it.
        let fresh = try TestStores.make(dialect)
        let location = fresh.location
        try fresh.database.write { session in
            for table in ["inventory_schema", "vuln_packages", "vuln_records", "vuln_imports",
                          "findings", "components", "sbom_documents", "signers", "files", "deliveries"] {
                try session.execute("DROP TABLE IF EXISTS \(table)", [])
            }
            try session.execute(Migrations.versionTable, [])
            for statement in Migrations.all(dialect)[0].statements { try session.execute(statement, []) }
            try session.execute("INSERT INTO inventory_schema (version, applied) VALUES (1, '2026-12-01T00:00:00.000Z')", [])
        }
        let rows = DecisionRows(try DecisionFixture(seq: 1, components: [("zlib", "1.2.11", nil)]).decision())
        _ = try fresh.database.write { try DeliveryWriter.insert(rows.delivery, children: rows.children, in: $0) }
        fresh.close()

        let store = try DeliveryInventory(location)
        defer { store.close() }
        // Migrations 2 and 3 (the vulnerability database's tables, empty).
        #expect(try store.schemaVersion() == 3)
        #expect(try !VulnerabilityDatabase(inventory: store).hasImports())
        #expect(try store.components(matching: "zlib@vers:generic/<1.3", DeliveryFilter()).count == 1)
        let indexes = try store.database.read { session in
            try session.query(dialect == .sqlite
                ? "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'components' ORDER BY name"
                : "SELECT indexname FROM pg_indexes WHERE tablename = 'components' ORDER BY indexname", [])
        }.compactMap { $0.first?.text }
        #expect(indexes.contains("components_name_without_purl"), "\(indexes)")
        #expect(!indexes.contains("components_name"), "\(indexes)")
    }
}
