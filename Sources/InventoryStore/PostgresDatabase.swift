import Foundation
import PostgresNIO

/// The plant's central inventory: PostgreSQL through postgres-nio.
///
/// The CLI is synchronous; postgres-nio answers with event-loop futures. Every call
/// here waits on a future that NIO's own event-loop threads complete (never on a Swift
/// concurrency task), with a deadline (`timeout`): a server that accepts the
/// connection and never answers fails the call after `timeout` instead of hanging.
/// One connection, used by one caller at a time.
final class PostgresDatabase: InventoryDatabase, @unchecked Sendable {
    // @unchecked: `connection` is only touched with `lock` held.
    private let lock = NSLock()
    private var connection: PostgresConnection?
    let url: PostgresURL
    let timeout: TimeAmount
    private let logger = Logger(label: "passbox.inventory")
    var dialect: SQLDialect { .postgres }
    var location: String { url.redacted }

    init(url: PostgresURL, timeout: Duration) throws {
        self.url = url
        let (seconds, attoseconds) = timeout.components
        self.timeout = .nanoseconds(max(1, seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password,
            database: url.database, tls: try url.tls())
        configuration.options.connectTimeout = self.timeout
        let eventLoop = PostgresConnection.defaultEventLoopGroup.next()
        let future = PostgresConnection.connect(on: eventLoop, configuration: configuration, id: 1, logger: logger)
        do {
            connection = try waitWithDeadline(future, timeout: self.timeout, what: "connecting to \(url.redacted)") { late in
                late.close().whenComplete { _ in _ = late } // held until closed (postgres-nio asserts it)
            }
        } catch {
            throw InventoryError("cannot reach the inventory \(url.redacted): \(url.describeTLS(error) ?? describe(error))")
        }
    }

    /// A store not closed by its user: the connection is closed, and held until it is
    /// (postgres-nio asserts that a connection is closed before it goes).
    deinit {
        guard let connection else { return }
        connection.close().whenComplete { _ in _ = connection }
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        if let connection { _ = try? connection.close().wait() }
        connection = nil
    }

    func write<T>(_ body: (any SQLSession) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let session = try session()
        try session.execute("BEGIN", [])
        do {
            let result = try body(session)
            try session.execute("COMMIT", [])
            return result
        } catch {
            try? session.execute("ROLLBACK", [])
            throw error
        }
    }

    func read<T>(_ body: (any SQLSession) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(try session())
    }

    private func session() throws -> PostgresSession {
        guard let connection, !connection.isClosed else {
            throw InventoryError("the connection to \(url.redacted) is closed")
        }
        return PostgresSession(connection: connection, timeout: timeout, logger: logger, location: url.redacted)
    }
}

/// A PostgreSQL connection inside a transaction (or a read).
struct PostgresSession: SQLSession {
    let connection: PostgresConnection
    let timeout: TimeAmount
    let logger: Logger
    let location: String
    var dialect: SQLDialect { .postgres }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws {
        _ = try run(sql, arguments)
    }

    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [[SQLValue]] {
        try run(sql, arguments).rows.map { row in
            try row.map { cell -> SQLValue in
                switch cell.dataType {
                case .int8, .int4, .int2:
                    return SQLValue(try cell.decode(Int64?.self))
                default:
                    return SQLValue(try cell.decode(String?.self))
                }
            }
        }
    }

    /// Rows sent as one array per column (`INSERT ... SELECT * FROM unnest($1, $2, ...)`):
    /// one statement of a few parameters per 50,000 rows, whatever the number of
    /// columns, so the server parses and plans it once and the client builds no
    /// long SQL text. The values are bound (binary arrays), never part of the SQL.
    func insert(into table: String, columns: [String], rows: [[SQLValue]]) throws {
        try insert(into: table, columns: columns, rows: rows, rowsPerStatement: PostgresColumnArray.rowsPerStatement)
    }

    func insert(into table: String, columns: [String], rows: [[SQLValue]], rowsPerStatement: Int,
                bytesPerStatement: Int = PostgresColumnArray.bytesPerStatement) throws {
        guard !rows.isEmpty, !columns.isEmpty else { return }
        let kinds = Schema.columnKinds(table, columns)
        let arrays = "(" + kinds.map { $0 == .integer ? "?::bigint[]" : "?::text[]" }.joined(separator: ", ") + ")"
        let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) SELECT * FROM unnest\(arrays)"
        var start = 0
        while start < rows.count {
            // At most rowsPerStatement rows and about bytesPerStatement of values (long
            // SBOM texts), so no statement nears PostgreSQL's 1 GiB message limit.
            var end = start, bytes = 0
            while end < rows.count, end - start < max(1, rowsPerStatement), end == start || bytes < bytesPerStatement {
                for value in rows[end] {
                    if case let .text(text) = value { bytes += text.utf8.count }
                }
                bytes += 8 * rows[end].count
                end += 1
            }
            let batch = rows[start..<end]
            let values = try kinds.indices.map { column in
                try PostgresColumnArray(kind: kinds[column], values: batch.map { column < $0.count ? $0[column] : .null },
                                        column: "\(table).\(columns[column])")
            }
            try run(sql, arrays: values)
            start += batch.count
        }
    }

    private func run(_ sql: String, _ arguments: [SQLValue]) throws -> PostgresQueryResult {
        var bindings = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: bindings.appendNull()
            case let .integer(int): bindings.append(int)
            case let .text(text): bindings.append(text)
            }
        }
        return try run(PostgresQuery(unsafeSQL: numberedPlaceholders(sql), binds: bindings))
    }

    /// `sql` with one array bound per `?`.
    private func run(_ sql: String, arrays: [PostgresColumnArray]) throws {
        var bindings = PostgresBindings(capacity: arrays.count)
        for array in arrays { bindings.append(array) }
        _ = try run(PostgresQuery(unsafeSQL: numberedPlaceholders(sql), binds: bindings))
    }

    private func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
        do {
            return try waitWithDeadline(connection.query(query, logger: logger), timeout: timeout,
                                        what: "waiting for \(location)") { _ in }
        } catch let error as InventoryError {
            // No answer in time: the connection's state is unknown, so it is not reused.
            connection.close().whenComplete { [connection] _ in _ = connection } // held until closed
            throw error
        } catch {
            throw InventoryError("\(location): \(describe(error))")
        }
    }
}

/// Waits for `future` from a thread that is not an event loop, at most `timeout`.
/// A value that arrives after the deadline is handed to `late` (to close it).
func waitWithDeadline<T: Sendable>(_ future: EventLoopFuture<T>, timeout: TimeAmount, what: String,
                                   late: @escaping @Sendable (T) -> Void) throws -> T {
    let promise = future.eventLoop.makePromise(of: T.self)
    let done = CompletionFlag()
    let timer = future.eventLoop.scheduleTask(in: timeout) {
        if done.set() {
            promise.fail(InventoryError("\(what): no answer within \(Double(timeout.nanoseconds) / 1e9) s"))
        }
    }
    future.whenComplete { result in
        timer.cancel()
        if done.set() {
            promise.completeWith(result)
        } else if case let .success(value) = result {
            late(value)
        }
    }
    return try promise.futureResult.wait()
}

/// Set once, from any thread.
final class CompletionFlag: @unchecked Sendable {
    // @unchecked: `isSet` is only touched with `lock` held.
    private let lock = NSLock()
    private var isSet = false

    /// true for the first caller only.
    func set() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if isSet { return false }
        isSet = true
        return true
    }
}

/// A PostgreSQL error as an operator reads it: the server's message when there is one.
func describe(_ error: any Error) -> String {
    if let error = error as? PSQLError {
        if let message = error.serverInfo?[.message] {
            let code = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + code
        }
        return "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
    }
    return "\(error)"
}
