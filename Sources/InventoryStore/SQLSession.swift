import Foundation

/// A value bound to or read from SQL: the inventory stores integers and text only,
/// so both databases read and write the same.
public enum SQLValue: Sendable, Equatable, Hashable {
    case null
    case integer(Int64)
    case text(String)

    /// Text as stored: NUL, which neither SQLite's C API nor PostgreSQL keeps in text,
    /// becomes U+2400 (SYMBOL FOR NULL); everything else is kept as given.
    init(_ text: String?) { self = text.map { .text(storable($0)) } ?? .null }
    init(_ int: Int64?) { self = int.map { .integer($0) } ?? .null }
    init(_ int: Int?) { self = int.map { .integer(Int64($0)) } ?? .null }

    var text: String? {
        switch self {
        case let .text(value): value
        case let .integer(value): String(value)
        case .null: nil
        }
    }

    var integer: Int64? {
        switch self {
        case let .integer(value): value
        case let .text(value): Int64(value)
        case .null: nil
        }
    }
}

/// One transaction on one database. SQL is the code's own text with `?` for every
/// value (the PostgreSQL session numbers them `$1`, `$2`, ...): nothing from a
/// delivery, a purl, a name or a path is ever part of the SQL text.
protocol SQLSession {
    var dialect: SQLDialect { get }
    func execute(_ sql: String, _ arguments: [SQLValue]) throws
    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [[SQLValue]]
    /// Inserts rows into `table` (same columns each), as fast as the database allows.
    func insert(into table: String, columns: [String], rows: [[SQLValue]]) throws
}

/// A database the inventory lives in: SQLite (`SQLiteDatabase`) or PostgreSQL
/// (`PostgresDatabase`).
protocol InventoryDatabase: Sendable {
    var dialect: SQLDialect { get }
    /// A description for messages (never a password).
    var location: String { get }
    /// Runs `body` in one transaction: all of it is written, or nothing.
    func write<T>(_ body: (any SQLSession) throws -> T) throws -> T
    func read<T>(_ body: (any SQLSession) throws -> T) throws -> T
    func close()
}

/// The placeholders `?` of `sql` as `$1`, `$2`, ... (PostgreSQL). The inventory's SQL
/// has no `?` inside literals (it is the code's own text).
func numberedPlaceholders(_ sql: String) -> String {
    var out = ""
    out.reserveCapacity(sql.utf8.count + 16)
    var n = 0
    for character in sql {
        if character == "?" {
            n += 1
            out += "$\(n)"
        } else {
            out.append(character)
        }
    }
    return out
}

/// Errors of the inventory, with a message for operators.
public struct InventoryError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// `text` with NUL shown as U+2400: a NUL would end the text in SQLite's C API and is
/// refused by PostgreSQL.
func storable(_ text: String) -> String {
    guard text.utf8.contains(0) else { return text }
    return text.replacingOccurrences(of: "\u{0}", with: "\u{2400}")
}
