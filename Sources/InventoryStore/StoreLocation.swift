import Foundation
import PostgresNIO

/// Where an inventory is: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`
/// (also `postgresql://`). Without a password in the URL, `PGPASSWORD` is used (a
/// password on the command line is visible to other users in the process list).
public enum StoreLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(PostgresURL)

    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw InventoryError("sqlite: needs a path (sqlite:/var/lib/passbox/inventory.sqlite)") }
            self = .sqlite(path: path)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(try PostgresURL(text, environment: environment))
        } else {
            throw InventoryError("--store \(text.prefix(100)) is neither sqlite:PATH nor postgres://USER@HOST:PORT/DB")
        }
    }

    /// The station's own store: `STATE/inventory.sqlite`.
    public static func station(stateDirectory: String) -> StoreLocation {
        .sqlite(path: stateDirectory + "/inventory.sqlite")
    }

    public var description: String {
        switch self {
        case let .sqlite(path): "sqlite:" + path
        case let .postgres(url): url.redacted
        }
    }
}

/// A `postgres://` URL taken apart.
public struct PostgresURL: Sendable, Equatable {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    /// disable (default) | require (TLS, certificate checked against the system's
    /// roots or `sslrootcert`).
    public var sslMode: String
    public var sslRootCert: String?

    public init(_ text: String, environment: [String: String] = [:]) throws {
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            throw InventoryError("not a postgres:// URL: \(Self.redact(text))")
        }
        self.host = host
        port = components.port ?? 5432
        user = components.user ?? environment["PGUSER"] ?? "postgres"
        password = components.password ?? environment["PGPASSWORD"]
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? user : path
        var sslMode = "disable"
        var sslRootCert: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode": sslMode = item.value ?? ""
            case "sslrootcert": sslRootCert = item.value
            default: throw InventoryError("postgres URL: unknown parameter \(item.name.prefix(50)) (known: sslmode, sslrootcert)")
            }
        }
        guard ["disable", "require", "verify-full"].contains(sslMode) else {
            throw InventoryError("postgres URL: sslmode=\(sslMode.prefix(50)) (disable, require or verify-full)")
        }
        self.sslMode = sslMode
        self.sslRootCert = sslRootCert
    }

    /// The URL without its password, for messages.
    public var redacted: String {
        "postgres://\(user)@\(host):\(port)/\(database)" + (sslMode == "disable" ? "" : "?sslmode=\(sslMode)")
    }

    /// A TLS failure while connecting, as an operator can act on it (nil: not TLS).
    func describeTLS(_ error: any Error) -> String? {
        guard sslMode != "disable" else { return nil }
        let psql = error as? PSQLError
        if psql?.code == .sslUnsupported {
            return "the server does not offer TLS (sslmode=\(sslMode)): enable ssl on the server, or use sslmode=disable on a trusted network"
        }
        let underlying = psql?.underlying ?? error
        let roots = sslRootCert.map { "sslrootcert=\($0.prefix(200))" } ?? "the system's roots (no sslrootcert given)"
        if let extra = underlying as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return "the server's TLS certificate does not name \(host) (sslmode=\(sslMode) checks the name): connect by a name the certificate has"
        }
        let text = "\(underlying)"
        if underlying is NIOSSLError || underlying is BoringSSLError || text.contains("CERTIFICATE_VERIFY_FAILED") {
            if text.contains("CERTIFICATE_VERIFY_FAILED") {
                return "the server's TLS certificate is not trusted: no chain to \(roots) (sslmode=\(sslMode));"
                    + " give the CA that signed it with sslrootcert=FILE"
            }
            return "TLS handshake failed (sslmode=\(sslMode), \(roots)): \(text.prefix(300))"
        }
        return nil
    }

    static func redact(_ text: String) -> String {
        guard var components = URLComponents(string: text) else { return "(unparsable)" }
        if components.password != nil { components.password = "***" }
        return String((components.string ?? "(unparsable)").prefix(200))
    }

    func tls() throws -> PostgresConnection.Configuration.TLS {
        guard sslMode != "disable" else { return .disable }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let sslRootCert {
            guard FileManager.default.isReadableFile(atPath: sslRootCert) else {
                throw InventoryError("postgres URL: sslrootcert \(sslRootCert.prefix(200)): no such readable file")
            }
            configuration.trustRoots = .file(sslRootCert)
        }
        do {
            return .require(try NIOSSLContext(configuration: configuration))
        } catch {
            throw InventoryError("postgres URL: cannot set up TLS: \(error)")
        }
    }
}
