import Foundation
import PassboxKit
import Station

/// What entered the production zone, queryable (docs/inventory.md): every decision
/// of `verify` and `admit` with its files, signers, SBOM components and findings, in
/// SQLite on the station or PostgreSQL for a plant. The same schema and the same SQL
/// in both (`Schema`, `Migrations`).
public final class DeliveryInventory: DecisionStore {
    let database: any InventoryDatabase
    public let location: StoreLocation
    /// Tests only: runs inside the transaction after the delivery row, before its files.
    let afterDeliveryRow: (@Sendable () throws -> Void)?

    /// Opens (creating and migrating as needed) the store at `location`. A PostgreSQL
    /// call that gets no answer within `timeout` fails.
    public convenience init(_ location: StoreLocation, timeout: Duration = .seconds(10)) throws {
        try self.init(location, timeout: timeout, afterDeliveryRow: nil)
    }

    init(_ location: StoreLocation, timeout: Duration = .seconds(10), afterDeliveryRow: (@Sendable () throws -> Void)?) throws {
        self.location = location
        self.afterDeliveryRow = afterDeliveryRow
        switch location {
        case let .sqlite(path):
            database = try SQLiteDatabase(path: path)
        case let .postgres(url):
            database = try PostgresDatabase(url: url, timeout: timeout)
        }
        do {
            try Self.migrate(database)
        } catch {
            database.close()
            throw InventoryError("cannot set up the inventory \(database.location): \(error)")
        }
    }

    public var dialect: SQLDialect { database.dialect }

    public func close() { database.close() }

    /// The schema version of this store.
    public func schemaVersion() throws -> Int64 {
        try database.read { try $0.query("SELECT MAX(version) FROM inventory_schema", []).first?.first?.integer ?? 0 }
    }

    /// Runs the migrations this store has not had, in one transaction (PostgreSQL: under
    /// an advisory lock, so stations starting together migrate once).
    static func migrate(_ database: any InventoryDatabase) throws {
        try database.write { session in
            if session.dialect == .postgres {
                try session.execute("SELECT pg_advisory_xact_lock(7234501)", [])
            }
            try session.execute(Migrations.versionTable, [])
            let current = try session.query("SELECT MAX(version) FROM inventory_schema", []).first?.first?.integer ?? 0
            guard current <= Migrations.latest else {
                throw InventoryError("the store has schema version \(current), newer than this passbox knows (\(Migrations.latest)): upgrade passbox")
            }
            for migration in Migrations.all(session.dialect) where migration.version > current {
                for statement in migration.statements { try session.execute(statement, []) }
                try session.execute("INSERT INTO inventory_schema (version, applied) VALUES (?, ?)",
                                    [.integer(migration.version), .text(rfc3339Milliseconds(Date()))])
            }
        }
    }

    /// Records one decision in one transaction (DecisionStore). A decision already
    /// recorded (same station and audit sequence) is left as it is.
    public func record(_ decision: Decision) throws {
        let rows = DecisionRows(decision)
        do {
            _ = try database.write { session in
                try DeliveryWriter.insert(rows.delivery, children: rows.children, in: session, afterDelivery: afterDeliveryRow)
            }
        } catch {
            throw InventoryError("\(database.location): \(error)")
        }
    }
}

extension DeliveryInventory {
    /// The bytes the store takes: SQLite's pages (page_count x page_size), PostgreSQL's
    /// database size (pg_database_size). For docs/benchmarks.md and operators' sizing.
    public func storageBytes() throws -> Int64 {
        try database.read { session in
            switch session.dialect {
            case .sqlite:
                let count = try session.query("PRAGMA page_count", []).first?.first?.integer ?? 0
                let size = try session.query("PRAGMA page_size", []).first?.first?.integer ?? 0
                return count * size
            case .postgres:
                return try session.query("SELECT pg_database_size(current_database())", []).first?.first?.integer ?? 0
            }
        }
    }
}
