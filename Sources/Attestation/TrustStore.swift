import CryptoIO
import Foundation

/// A key the station trusts.
public struct TrustedKey: Sendable {
    public init(name: String, file: String, key: PublicKey) {
        self.name = name
        self.file = file
        self.key = key
    }

    /// The key file's name without extension: what reports call the signer.
    public var name: String
    public var file: String
    public var key: PublicKey
    public var fingerprint: String { key.fingerprint }
}

/// What `trust.yaml` says. Unknown keys are errors, so a typo never silently
/// weakens the configuration.
public struct TrustConfig: Sendable, Equatable {
    /// Distinct trusted signers each manifest needs.
    public var threshold = 1
    /// Per-signer scope, validity and threshold (keys no signer names are trusted for everything).
    public var signers: [SignerRule] = []
    /// Revoked keys: normalised SHA-256 fingerprints (SPKI; OpenPGP v4 and CMS certificate digests also match).
    public var revoked: [String] = []
    public init() {}
}

/// The trust store could not be read: passbox cannot evaluate (exit 2).
public struct TrustStoreError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let problem: String
    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }
    public var description: String { "\(file): \(problem)" }
}

public struct TrustStore: Sendable {
    public var directory: String
    public var keys: [TrustedKey]
    public var config: TrustConfig
    /// Files passbox saw but does not use (said in the report, never silently).
    public var ignored: [String]

    public init(directory: String, keys: [TrustedKey], config: TrustConfig = TrustConfig(), ignored: [String] = []) {
        self.directory = directory
        self.keys = keys
        self.config = config
        self.ignored = ignored
    }

    /// Reads `DIR/keys/*.pem` and the optional `DIR/trust.yaml`.
    public static func load(directory: String) throws -> TrustStore {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw TrustStoreError(file: directory, problem: "trust store directory does not exist")
        }
        let keysDir = directory + "/keys"
        var keys: [TrustedKey] = []
        var ignored: [String] = []
        var seen: [String: String] = [:]
        if FileManager.default.fileExists(atPath: keysDir) {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: keysDir).sorted()
            } catch {
                throw TrustStoreError(file: keysDir, problem: "cannot list: \(error.localizedDescription)")
            }
            for name in names where !name.hasPrefix(".") {
                let file = keysDir + "/" + name
                guard name.hasSuffix(".pem") else {
                    if name != "README.md" { ignored.append(file) }
                    continue
                }
                let data = try readBounded(file, limit: maxKeyFileBytes)
                let key: PublicKey
                do {
                    key = try PublicKey(pemOrDER: data)
                } catch {
                    throw TrustStoreError(file: file, problem: "not a usable public key: \(error)")
                }
                if let first = seen[key.fingerprint] {
                    // The same key twice is still one signer; keep the first name.
                    ignored.append("\(file) (same key as \(first))")
                    continue
                }
                seen[key.fingerprint] = file
                keys.append(TrustedKey(name: String(name.dropLast(4)), file: file, key: key))
            }
        }
        var config = TrustConfig()
        let yamlPath = directory + "/trust.yaml"
        if FileManager.default.fileExists(atPath: yamlPath) {
            config = try parseTrustConfig(try readBounded(yamlPath, limit: 1 << 20), file: yamlPath)
            try resolveSignerKeys(&config, directory: directory, file: yamlPath)
        }
        return TrustStore(directory: directory, keys: keys, config: config, ignored: ignored)
    }

    /// The trusted key a DSSE keyid hint names (by fingerprint or file name), if any.
    public func keyNamed(_ hint: String?) -> TrustedKey? {
        guard let hint, !hint.isEmpty else { return nil }
        let lower = hint.lowercased()
        return keys.first { $0.fingerprint == lower || $0.fingerprint == lower.replacingOccurrences(of: "sha256:", with: "") || $0.name == hint }
    }
}

func readBounded(_ path: String, limit: Int) throws -> Data {
    do {
        return try readFile(path, limit: limit)
    } catch {
        throw TrustStoreError(file: error.path, problem: error.problem)
    }
}

/// Parses trust.yaml strictly: every key must be known. Key files named by
/// signers are resolved by `TrustStore.load` (`resolveSignerKeys`).
public func parseTrustConfig(_ data: Data, file: String) throws -> TrustConfig {
    let document: YAMLValue
    do {
        document = try SafeYAML.load(String(decoding: data, as: UTF8.self))
    } catch {
        throw TrustStoreError(file: file, problem: "\(error)")
    }
    var config = TrustConfig()
    if case .null = document { return config }
    guard let map = document.mapping else {
        throw TrustStoreError(file: file, problem: "the top level must be a mapping")
    }
    func fail(_ problem: String) -> TrustStoreError { TrustStoreError(file: file, problem: problem) }
    func threshold(_ value: YAMLValue, _ what: String) throws -> Int {
        guard let n = value.int, n >= 1, n <= 64 else { throw fail("\(what) must be a whole number from 1 to 64") }
        return n
    }
    func names(_ value: YAMLValue, _ what: String) throws -> [String] {
        if let one = value.string, value.sequence == nil { return [one] }
        guard let list = value.strings, !list.isEmpty, list.count <= 10_000, list.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 1024 }) else {
            throw fail("\(what) must be a non-empty list of names")
        }
        return list
    }
    for (key, value) in map {
        switch key {
        case "version":
            guard value.int == 1 else { throw fail("version must be 1") }
        case "threshold":
            config.threshold = try threshold(value, "threshold")
        case "revoked":
            if case .null = value { continue }
            guard let list = value.strings, list.count <= 100_000 else {
                throw fail("revoked must be a list of SHA-256 fingerprints")
            }
            for item in list {
                guard isFingerprintText(item) else {
                    throw fail("revoked: '\(item.prefix(80))' is not a SHA-256 fingerprint (64 hex digits)")
                }
                config.revoked.append(normalizeFingerprint(item))
            }
        case "signers":
            if case .null = value { continue }
            guard let list = value.sequence, list.count <= 10_000 else { throw fail("signers must be a list") }
            for (index, item) in list.enumerated() {
                config.signers.append(try parseSignerRule(item, index: index, file: file, threshold: threshold, names: names))
            }
            var seen = Set<String>()
            for rule in config.signers where !seen.insert(rule.name).inserted {
                throw fail("signers: the name '\(rule.name.prefix(80))' is used twice")
            }
        default:
            throw fail("unknown key '\(key.prefix(80))' (this version knows: version, threshold, signers, revoked)")
        }
    }
    return config
}

private func parseSignerRule(_ item: YAMLValue, index: Int, file: String,
                             threshold: (YAMLValue, String) throws -> Int,
                             names: (YAMLValue, String) throws -> [String]) throws -> SignerRule {
    guard let map = item.mapping else {
        throw TrustStoreError(file: file, problem: "signers[\(index)] must be a mapping (name, keys, vendors, products, kinds, ...)")
    }
    guard let name = map.first(where: { $0.key == "name" })?.value.string, !name.isEmpty, name.utf8.count <= 256 else {
        throw TrustStoreError(file: file, problem: "signers[\(index)] needs a name")
    }
    let here = "signers[\(index)] '\(name)'"
    func fail(_ problem: String) -> TrustStoreError { TrustStoreError(file: file, problem: "\(here): \(problem)") }
    var rule = SignerRule(name: name)
    for (key, value) in map {
        switch key {
        case "name":
            break
        case "keys":
            rule.keyReferences = try names(value, "keys")
        case "certificates":
            let entries: [YAMLValue] = value.sequence ?? [value]
            for entry in entries {
                guard let fields = entry.mapping, !fields.isEmpty else {
                    throw fail("certificates must be a mapping {subject: \"CN=...\"} or a list of them")
                }
                for (field, pattern) in fields {
                    guard field == "subject" else {
                        throw fail("unknown key 'certificates.\(field.prefix(80))' (this version knows: subject)")
                    }
                    guard let text = pattern.string, !text.isEmpty, text.utf8.count <= 1024 else {
                        throw fail("certificates.subject must be a pattern such as \"CN=Acme Code Signing*\"")
                    }
                    rule.subjectPatterns.append(text)
                }
            }
        case "vendors":
            rule.vendors = try names(value, "vendors")
        case "products":
            rule.products = try names(value, "products")
        case "kinds":
            let kinds = try names(value, "kinds")
            for kind in kinds where !["firmware", "recipe", "tool"].contains(kind) {
                throw fail("kinds: '\(kind.prefix(80))' is not firmware, recipe or tool")
            }
            rule.kinds = kinds
        case "validFrom", "validUntil":
            guard let text = value.string, let date = parseRFC3339(text) else {
                throw fail("\(key) must be an RFC 3339 time such as 2027-12-31T23:59:59Z")
            }
            if key == "validFrom" { rule.validFrom = date } else { rule.validUntil = date }
        case "threshold":
            rule.threshold = try threshold(value, "\(here): threshold")
        default:
            throw fail("unknown key '\(key.prefix(80))' (a signer knows: name, keys, certificates, vendors, products, kinds, validFrom, validUntil, threshold)")
        }
    }
    guard !rule.keyReferences.isEmpty || !rule.subjectPatterns.isEmpty else {
        throw fail("names no keys and no certificates")
    }
    if let from = rule.validFrom, let until = rule.validUntil, from > until {
        throw fail("validFrom is after validUntil")
    }
    return rule
}
