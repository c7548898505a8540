import Foundation
import GRDB

/// The station's own inventory: one SQLite file (default `STATE/inventory.sqlite`) in
/// WAL mode, written with `synchronous=FULL` so a committed decision survives a crash,
/// and one IMMEDIATE transaction per decision, so a process killed mid-write leaves
/// the previous state (SQLite rolls the journal back on the next open).
final class SQLiteDatabase: InventoryDatabase {
    let pool: DatabasePool
    let path: String
    var dialect: SQLDialect { .sqlite }
    var location: String { "sqlite:" + path }

    init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.label = "passbox-inventory"
        // Another process (an admit while a query runs) waits instead of failing.
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw InventoryError("cannot open the inventory \(path): \(error)")
        }
    }

    func write<T>(_ body: (any SQLSession) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(GRDBSession(db: db))
                return .commit
            }
            guard let result else { throw InventoryError("the transaction returned nothing") }
            return result
        }
    }

    func read<T>(_ body: (any SQLSession) throws -> T) throws -> T {
        try pool.read { db in try body(GRDBSession(db: db)) }
    }

    func close() {
        try? pool.close()
    }
}

/// A GRDB connection inside a transaction.
struct GRDBSession: SQLSession {
    let db: Database
    var dialect: SQLDialect { .sqlite }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws {
        try db.execute(sql: sql, arguments: Self.arguments(arguments))
    }

    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [[SQLValue]] {
        var rows: [[SQLValue]] = []
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: Self.arguments(arguments))
        while let row = try cursor.next() {
            rows.append(row.databaseValues.map(Self.value))
        }
        return rows
    }

    func insert(into table: String, columns: [String], rows: [[SQLValue]]) throws {
        guard !rows.isEmpty else { return }
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        let statement = try db.cachedStatement(
            sql: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders))")
        for row in rows {
            // The statement is the code's own, with one `?` per column: no need to check counts.
            statement.setUncheckedArguments(Self.arguments(row))
            try statement.execute()
        }
    }

    static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(values.map { value -> DatabaseValue in
            switch value {
            case .null: .null
            case let .integer(int): int.databaseValue
            case let .text(text): text.databaseValue
            }
        })
    }

    static func value(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: .null
        case let .int64(int): .integer(int)
        case let .double(double): .integer(Int64(exactly: double.rounded()) ?? 0)
        case let .string(text): .text(text)
        case let .blob(data): .text(String(decoding: data, as: UTF8.self))
        }
    }
}
