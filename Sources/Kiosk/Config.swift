import Attestation
import CryptoIO
import Foundation

/// A kiosk role: what a signed-in person or an API token may do.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// Scans media and admits accepted deliveries.
    case operator_ = "operator"
    /// Everything an operator does, and approves admissions that need a second person.
    case approver
    /// Reads history, reports and the audit log; changes nothing.
    case auditor
    /// Everything; sees the configuration (users, trust store, policy are changed as files).
    case admin

    public var canScan: Bool { self == .operator_ || self == .approver || self == .admin }
    public var canApprove: Bool { self == .approver || self == .admin }
    public var canRead: Bool { true }
}

public struct KioskUser: Sendable, Equatable {
    public var name: String
    public var role: Role
    /// `pbkdf2-sha256$...` (`passbox serve --hash-password`).
    public var passwordHash: String
}

public struct APIToken: Sendable, Equatable {
    public var name: String
    public var role: Role
    /// sha256 of the token, hex: the token itself is never stored.
    public var sha256: String
}

/// The station configuration (`passbox serve --config station.yaml`): strict like the
/// policy (an unknown key is an error); relative paths are relative to the file.
public struct KioskConfig: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var tlsCertificate: String?
    public var tlsKey: String?
    public var trustStore: String
    public var policy: String?
    public var manifests: String?
    public var production: String
    public var quarantine: String
    public var state: String
    public var stationKey: String
    public var mediaRoots: [String] = []
    public var dropFolders: [String] = []
    public var syslog: String?
    /// The inventory (SQLite) every decision is recorded in and *History* reads:
    /// `STATE/inventory.sqlite` unless the config says `inventory: sqlite:PATH`; nil with
    /// `inventory: off` (then history shows the audit log only).
    public var inventory: String?
    /// Accepted deliveries with warnings need a second person's approval.
    public var approvalForWarnings = false
    public var users: [KioskUser] = []
    public var tokens: [APIToken] = []
    public var limits = Limits()

    public struct Limits: Sendable {
        /// Largest upload, in real bytes received.
        public var uploadBytes: Int64 = 4 << 30
        /// Verifications running at once; more wait in the queue.
        public var concurrentVerifications = 2
        /// Verifications waiting; beyond that, 429 with Retry-After.
        public var queue = 8
        public var sessionMinutes = 15
        public var lockoutFailures = 5
        public var lockoutMinutes = 15
    }

    /// The roots a scanned path must lie under (real paths).
    public var allowedRoots: [String] { mediaRoots + dropFolders }

    public var isLoopback: Bool { host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127.") }
    public var usesTLS: Bool { tlsCertificate != nil }

    public init(trustStore: String, production: String, quarantine: String, state: String, stationKey: String) {
        self.trustStore = trustStore
        self.production = production
        self.quarantine = quarantine
        self.state = state
        self.stationKey = stationKey
        inventory = state + "/inventory.sqlite"
    }

    public static func load(path: String) throws -> KioskConfig {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ConfigError("\(path): cannot be read") }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: 1 << 20 + 1)) ?? Data()
        guard data.count <= 1 << 20 else { throw ConfigError("\(path): larger than 1 MiB") }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(String(decoding: data, as: UTF8.self), baseDirectory: base)
    }

    public static func parse(_ text: String, baseDirectory: String) throws -> KioskConfig {
        let root: YAMLValue
        do { root = try SafeYAML.load(text, maxNodes: 20_000, maxDepth: 16) } catch { throw ConfigError("\(error)") }
        let top = try Fields(root, "station config")
        func path(_ key: String) throws -> String? { try top.string(key).map { resolve($0, base: baseDirectory) } }
        func required(_ key: String) throws -> String {
            guard let value = try path(key) else { throw ConfigError("\(key): required") }
            return value
        }
        var config = KioskConfig(trustStore: try required("trustStore"), production: try required("production"),
                                 quarantine: try required("quarantine"), state: try required("state"),
                                 stationKey: try required("stationKey"))
        config.policy = try path("policy")
        config.manifests = try path("manifests")
        config.syslog = try top.string("syslog")
        if let inventory = try top.string("inventory") {
            if inventory == "off" {
                config.inventory = nil
            } else if inventory.hasPrefix("sqlite:"), inventory.count > "sqlite:".count {
                config.inventory = resolve(String(inventory.dropFirst("sqlite:".count)), base: baseDirectory)
            } else {
                throw ConfigError("inventory: sqlite:PATH or off (the station records locally; `passbox inventory push` sends to PostgreSQL)")
            }
        }
        if let listen = try top.string("listen") {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port)
            else { throw ConfigError("listen: \(listen.prefix(100)) is not HOST:PORT") }
            var host = String(listen[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            config.host = host
            config.port = port
        }
        if let tls = try top.fields("tls") {
            config.tlsCertificate = try tls.string("certificate").map { resolve($0, base: baseDirectory) }
            config.tlsKey = try tls.string("key").map { resolve($0, base: baseDirectory) }
            try tls.done()
            guard (config.tlsCertificate == nil) == (config.tlsKey == nil) else { throw ConfigError("tls: needs both certificate and key") }
        }
        guard config.isLoopback || config.usesTLS else {
            throw ConfigError("listen: \(config.host) is not loopback, so tls: {certificate, key} is required")
        }
        config.mediaRoots = try top.strings("mediaRoots").map { resolve($0, base: baseDirectory) }
        config.dropFolders = try top.strings("dropFolders").map { resolve($0, base: baseDirectory) }
        if let approval = try top.fields("approval") {
            config.approvalForWarnings = try approval.bool("warnings") ?? false
            try approval.done()
        }
        for item in try top.list("users") {
            let u = try Fields(item, "users[]")
            guard let name = try u.string("name"), validName(name) else { throw ConfigError("users: a name of letters, digits, . _ - (1-64)") }
            guard let role = try u.string("role").flatMap(Role.init(rawValue:)) else { throw ConfigError("users \(name): role is operator, approver, auditor or admin") }
            guard let hash = try u.string("password"), PasswordHash.isWellFormed(hash) else {
                throw ConfigError("users \(name): password must be a hash made by `passbox serve --hash-password`")
            }
            try u.done()
            guard !config.users.contains(where: { $0.name == name }) else { throw ConfigError("users: \(name) given twice") }
            config.users.append(KioskUser(name: name, role: role, passwordHash: hash))
        }
        for item in try top.list("tokens") {
            let t = try Fields(item, "tokens[]")
            guard let name = try t.string("name"), validName(name) else { throw ConfigError("tokens: a name of letters, digits, . _ - (1-64)") }
            guard let role = try t.string("role").flatMap(Role.init(rawValue:)) else { throw ConfigError("tokens \(name): role is operator, approver, auditor or admin") }
            guard let digest = try t.string("sha256")?.lowercased(), digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
                throw ConfigError("tokens \(name): sha256 is the token's SHA-256 in hex (`passbox serve --new-token`)")
            }
            try t.done()
            config.tokens.append(APIToken(name: name, role: role, sha256: digest))
        }
        if let limits = try top.fields("limits") {
            func int(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
                guard let v = try limits.int(key) else { return nil }
                guard range.contains(v) else { throw ConfigError("limits.\(key): \(range.lowerBound)...\(range.upperBound)") }
                return v
            }
            if let v = try int("uploadMiB", 1...1 << 20) { config.limits.uploadBytes = Int64(v) << 20 }
            if let v = try int("concurrentVerifications", 1...64) { config.limits.concurrentVerifications = v }
            if let v = try int("queue", 0...1000) { config.limits.queue = v }
            if let v = try int("sessionMinutes", 1...24 * 60) { config.limits.sessionMinutes = v }
            if let v = try int("lockoutFailures", 1...100) { config.limits.lockoutFailures = v }
            if let v = try int("lockoutMinutes", 1...24 * 60) { config.limits.lockoutMinutes = v }
            try limits.done()
        }
        try top.done()
        return config
    }

    static func validName(_ s: String) -> Bool {
        (1...64).contains(s.count) && s.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-".unicodeScalars.contains($0) }
    }

    static func resolve(_ path: String, base: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: base + "/" + path).standardizedFileURL.path
    }
}

public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "station config: \(message)" }
}

/// A mapping whose keys are each read once; `done()` names any key left (a typo).
final class Fields {
    private var pairs: [String: YAMLValue] = [:]
    private var used = Set<String>()
    private let context: String

    init(_ value: YAMLValue, _ context: String) throws {
        guard let mapping = value.mapping else { throw ConfigError("\(context): expected a mapping") }
        self.context = context
        for (k, v) in mapping { pairs[k] = v }
    }

    private func take(_ key: String) -> YAMLValue? {
        used.insert(key)
        guard let v = pairs[key] else { return nil }
        if case .null = v { return nil }
        return v
    }

    func string(_ key: String) throws -> String? {
        guard let v = take(key) else { return nil }
        guard let s = v.string else { throw ConfigError("\(key): expected text") }
        return s
    }
    func int(_ key: String) throws -> Int? {
        guard let v = take(key) else { return nil }
        guard let i = v.int else { throw ConfigError("\(key): expected a number") }
        return i
    }
    func bool(_ key: String) throws -> Bool? {
        guard let v = take(key) else { return nil }
        guard let b = v.bool else { throw ConfigError("\(key): expected true or false") }
        return b
    }
    func strings(_ key: String) throws -> [String] {
        guard let v = take(key) else { return [] }
        guard let s = v.strings else { throw ConfigError("\(key): expected a list of text") }
        return s
    }
    func list(_ key: String) throws -> [YAMLValue] {
        guard let v = take(key) else { return [] }
        guard let s = v.sequence else { throw ConfigError("\(key): expected a list") }
        return s
    }
    func fields(_ key: String) throws -> Fields? {
        guard let v = take(key) else { return nil }
        return try Fields(v, key)
    }
    func done() throws {
        let unknown = pairs.keys.filter { !used.contains($0) }.sorted()
        if let first = unknown.first { throw ConfigError("\(context): unknown key \(first.prefix(64))") }
    }
}
