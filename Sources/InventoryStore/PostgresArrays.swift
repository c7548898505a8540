import PostgresNIO

/// One column of many rows, bound as one PostgreSQL array parameter (`text[]` or
/// `bigint[]`, binary format, NULL elements allowed): what `PostgresSession.insert`
/// unnests into rows. postgres-nio's own array encoding has no NULL elements.
struct PostgresColumnArray: PostgresDynamicTypeEncodable {
    /// Rows per INSERT: bounds one statement's message (a path or purl of a few hundred
    /// bytes times this stays within a few tens of MiB) whatever the delivery's size.
    static let rowsPerStatement = 50_000

    let kind: ColumnSpec.Kind
    let values: [SQLValue]

    private var isInteger: Bool { kind != .text }
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
            case let .integer(int) where isInteger:
                buffer.writeInteger(Int32(8))
                buffer.writeInteger(int)
            case let .text(text) where !isInteger:
                let lengthIndex = buffer.writerIndex
                buffer.writeInteger(Int32(0))
                let written = buffer.writeString(text)
                buffer.setInteger(Int32(truncatingIfNeeded: written), at: lengthIndex)
            case let .integer(int):
                // An integer in a text column (never written by the inventory): as text.
                let written = String(int)
                buffer.writeInteger(Int32(written.utf8.count))
                buffer.writeString(written)
            case let .text(text):
                // Text in an integer column: a number when it is one, NULL otherwise.
                if let int = Int64(text) {
                    buffer.writeInteger(Int32(8))
                    buffer.writeInteger(int)
                } else {
                    buffer.writeInteger(Int32(-1))
                }
            }
        }
    }
}

extension Schema {
    /// The kinds of `columns` of table `table`, for binding them as arrays
    /// (integer: ids, delivery ids and integers; text otherwise).
    static func columnKinds(_ table: String, _ columns: [String]) -> [ColumnSpec.Kind] {
        let spec = ([deliveries] + children).first { $0.name == table }
        return columns.map { name in
            switch spec?.columns.first(where: { $0.name == name })?.kind ?? .text {
            case .text: .text
            case .id, .delivery, .integer: .integer
            }
        }
    }
}
