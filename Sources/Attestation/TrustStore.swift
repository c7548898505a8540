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
    /// Every problem found in the file (trust.yaml: all of its mistakes, each with its line).
    public let problems: [String]
    /// The first problem.
    public var problem: String { problems.first ?? "" }
    public init(file: String, problem: String) {
        self.file = file
        self.problems = [problem]
    }
    public init(file: String, problems: [String]) {
        self.file = file
        self.problems = problems.isEmpty ? ["unknown problem"] : problems
    }
    /// One problem: `FILE: problem`; several: a line for each.
    public var description: String {
        problems.count == 1 ? "\(file): \(problem)"
            : "\(file): \(problems.count) mistakes:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
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

    /// Reads the trust store (`TrustStoreContents.read`) and keeps its DSSE keys and trust.yaml.
    public static func load(directory: String) throws -> TrustStore {
        try TrustStoreContents.read(directory: directory).store
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

/// Parses trust.yaml strictly: every key must be known. Every mistake is found and
/// reported together (`TrustStoreError.problems`, each with its line), not only the
/// first. Key files named by signers are resolved by `TrustStoreContents.read`.
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
    var problems = TrustYAMLProblems()
    for (key, value) in map {
        let line = document.line(ofKey: key)
        switch key {
        case "version":
            if value.int != 1 { problems.add(line, "version must be 1") }
        case "threshold":
            if let n = problems.threshold(value, "threshold", line) { config.threshold = n }
        case "revoked":
            if case .null = value { continue }
            guard let list = value.strings, list.count <= 100_000 else {
                problems.add(line, "revoked must be a list of SHA-256 fingerprints")
                continue
            }
            for item in list {
                if isFingerprintText(item) {
                    config.revoked.append(normalizeFingerprint(item))
                } else {
                    problems.add(line, "revoked: '\(item.prefix(80))' is not a SHA-256 fingerprint (64 hex digits)")
                }
            }
        case "signers":
            if case .null = value { continue }
            guard let list = value.sequence, list.count <= 10_000 else {
                problems.add(line, "signers must be a list")
                continue
            }
            var seen = Set<String>()
            for (index, item) in list.enumerated() {
                guard let rule = parseSignerRule(item, index: index, listLine: line, problems: &problems) else { continue }
                if !seen.insert(rule.name).inserted {
                    problems.add(item.line(ofKey: "name") ?? line, "signers: the name '\(rule.name.prefix(80))' is used twice")
                }
                config.signers.append(rule)
            }
        default:
            problems.add(line, "unknown key '\(key.prefix(80))' (this version knows: version, threshold, signers, revoked)")
        }
    }
    if !problems.list.isEmpty { throw TrustStoreError(file: file, problems: problems.list) }
    return config
}

/// The mistakes of one trust.yaml, each as "line N: what".
struct TrustYAMLProblems {
    var list: [String] = []

    mutating func add(_ line: Int?, _ problem: String) {
        list.append(line.map { "line \($0): \(problem)" } ?? problem)
    }

    mutating func threshold(_ value: YAMLValue, _ what: String, _ line: Int?) -> Int? {
        guard let n = value.int, n >= 1, n <= 64 else {
            add(line, "\(what) must be a whole number from 1 to 64")
            return nil
        }
        return n
    }

    mutating func names(_ value: YAMLValue, _ what: String, _ line: Int?) -> [String]? {
        if let one = value.string, value.sequence == nil { return [one] }
        guard let list = value.strings, !list.isEmpty, list.count <= 10_000, list.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 1024 }) else {
            add(line, "\(what) must be a non-empty list of names")
            return nil
        }
        return list
    }
}

/// One `signers:` entry; nil (with its problems noted) when it cannot be used.
private func parseSignerRule(_ item: YAMLValue, index: Int, listLine: Int?, problems: inout TrustYAMLProblems) -> SignerRule? {
    guard let map = item.mapping else {
        problems.add(listLine, "signers[\(index)] must be a mapping (name, keys, vendors, products, kinds, ...)")
        return nil
    }
    let firstLine = map.first.flatMap { item.line(ofKey: $0.key) } ?? listLine
    guard let name = map.first(where: { $0.key == "name" })?.value.string, !name.isEmpty, name.utf8.count <= 256 else {
        problems.add(firstLine, "signers[\(index)] needs a name")
        return nil
    }
    let here = "signers[\(index)] '\(name)'"
    var rule = SignerRule(name: name)
    var usable = true
    for (key, value) in map {
        let line = item.line(ofKey: key)
        func fail(_ problem: String) {
            problems.add(line, "\(here): \(problem)")
            usable = false
        }
        switch key {
        case "name":
            break
        case "keys":
            if let list = problems.names(value, "\(here): keys", line) { rule.keyReferences = list } else { usable = false }
            rule.keysLine = line
        case "certificates":
            let entries: [YAMLValue] = value.sequence ?? [value]
            for entry in entries {
                guard let fields = entry.mapping, !fields.isEmpty else {
                    fail("certificates must be a mapping {subject: \"CN=...\"} or a list of them")
                    continue
                }
                for (field, pattern) in fields {
                    guard field == "subject" else {
                        fail("unknown key 'certificates.\(field.prefix(80))' (this version knows: subject)")
                        continue
                    }
                    guard let text = pattern.string, !text.isEmpty, text.utf8.count <= 1024 else {
                        fail("certificates.subject must be a pattern such as \"CN=Acme Code Signing*\"")
                        continue
                    }
                    rule.subjectPatterns.append(text)
                }
            }
        case "vendors":
            if let list = problems.names(value, "\(here): vendors", line) { rule.vendors = list } else { usable = false }
        case "products":
            if let list = problems.names(value, "\(here): products", line) { rule.products = list } else { usable = false }
        case "kinds":
            guard let kinds = problems.names(value, "\(here): kinds", line) else { usable = false; continue }
            for kind in kinds where !["firmware", "recipe", "tool"].contains(kind) {
                fail("kinds: '\(kind.prefix(80))' is not firmware, recipe or tool")
            }
            rule.kinds = kinds
        case "validFrom", "validUntil":
            guard let text = value.string, let date = parseRFC3339(text) else {
                fail("\(key) must be an RFC 3339 time such as 2027-12-31T23:59:59Z")
                continue
            }
            if key == "validFrom" { rule.validFrom = date } else { rule.validUntil = date }
        case "threshold":
            if let n = problems.threshold(value, "\(here): threshold", line) { rule.threshold = n } else { usable = false }
        default:
            fail("unknown key '\(key.prefix(80))' (a signer knows: name, keys, certificates, vendors, products, kinds, validFrom, validUntil, threshold)")
        }
    }
    if rule.keyReferences.isEmpty && rule.subjectPatterns.isEmpty && usable {
        problems.add(firstLine, "\(here): names no keys and no certificates")
        usable = false
    }
    if let from = rule.validFrom, let until = rule.validUntil, from > until {
        problems.add(item.line(ofKey: "validFrom") ?? firstLine, "\(here): validFrom is after validUntil")
        usable = false
    }
    return usable ? rule : nil
}
