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
    let attributes: [FileAttributeKey: Any]
    do {
        attributes = try FileManager.default.attributesOfItem(atPath: path)
    } catch {
        throw TrustStoreError(file: path, problem: "cannot read: \(error.localizedDescription)")
    }
    if let size = attributes[.size] as? NSNumber, size.intValue > limit {
        throw TrustStoreError(file: path, problem: "file is \(size.intValue) bytes; at most \(limit) are read")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw TrustStoreError(file: path, problem: "cannot read")
    }
    guard data.count <= limit else {
        throw TrustStoreError(file: path, problem: "file is \(data.count) bytes; at most \(limit) are read")
    }
    return data
}

/// Parses trust.yaml strictly: every key must be known.
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
    for (key, value) in map {
        switch key {
        case "version":
            guard value.int == 1 else {
                throw TrustStoreError(file: file, problem: "version must be 1")
            }
        case "threshold":
            guard let n = value.int, n >= 1, n <= 64 else {
                throw TrustStoreError(file: file, problem: "threshold must be a whole number from 1 to 64")
            }
            config.threshold = n
        default:
            throw TrustStoreError(file: file, problem: "unknown key '\(key.prefix(80))' (this version knows: version, threshold)")
        }
    }
    return config
}
