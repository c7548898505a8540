import PostgresNIO

/// One column of many rows, bound as one PostgreSQL array parameter (`text[]` or
/// `bigint[]`, binary format, NULL elements allowed): what `PostgresSession.insert`
/// unnests into rows. postgres-nio's own array encoding has no NULL elements.
struct PostgresColumnArray: PostgresDynamicTypeEncodable {
    /// Rows per INSERT, and about the most bytes of values one INSERT carries: bound
    /// one statement's message whatever the delivery's size.
    static let rowsPerStatement = 50_000
    static let bytesPerStatement = 64 << 20

    let isInteger: Bool
    /// `.null`, or `.integer` in an integer column, `.text` in a text column.
    let values: [SQLValue]

    /// The column's values, checked against its kind: an integer column takes integers
    /// (and text that is one, as SQLite may hand it), a text column takes text (and
    /// integers, as text); anything else is refused rather than written as NULL.
    init(kind: ColumnSpec.Kind, values: [SQLValue], column: String) throws {
        isInteger = kind != .text
        let integer = isInteger
        self.values = try values.map { value in
            switch value {
            case .null: return .null
            case .integer: return integer ? value : .text(String(value.integer ?? 0))
            case let .text(text):
                guard integer else { return value }
                guard let number = Int64(text) else {
                    throw InventoryError("column \(column) holds \(text.prefix(40).debugDescription) where a number belongs")
                }
                return .integer(number)
            }
        }
    }

    var psqlType: PostgresDataType { isInteger ? .int8Array : .textArray }
    var psqlFormat: PostgresFormat { .binary }

    /// PostgreSQL's binary array: dimensions, has-NULL flag, element type, (length,
    /// lower bound) per dimension, then each element as its length (-1: NULL) and bytes.
    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        buffer.writeInteger(Int32(values.isEmpty ? 0 : 1))
        buffer.writeInteger(Int32(values.contains(.null) ? 1 : 0))
        buffer.writeInteger((isInteger ? PostgresDataType.int8 : PostgresDataType.text).rawValue)
        guard !values.isEmpty else { return }
        buffer.writeInteger(Int32(truncatingIfNeeded: values.count))
        buffer.writeInteger(Int32(1))
        for value in values {
            switch value {
            case .null:
                buffer.writeInteger(Int32(-1))
            case let .integer(int):
                buffer.writeInteger(Int32(8))
                buffer.writeInteger(int)
            case let .text(text):
                let lengthIndex = buffer.writerIndex
                buffer.writeInteger(Int32(0))
                let written = buffer.writeString(text)
                buffer.setInteger(Int32(truncatingIfNeeded: written), at: lengthIndex)
            }
        }
    }
}

extension Schema {
    /// The kinds of `columns` of table `table`, for binding them as arrays
    /// (integer: ids, delivery ids and integers; text otherwise).
    static func columnKinds(_ table: String, _ columns: [String]) -> [ColumnSpec.Kind] {
        let spec = ([deliveries] + children + vulnTables).first { $0.name == table }
        return columns.map { name in
            switch spec?.columns.first(where: { $0.name == name })?.kind ?? .text {
            case .text: .text
            case .id, .delivery, .integer: .integer
            }
        }
    }
}
