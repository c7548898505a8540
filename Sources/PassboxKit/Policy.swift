import CryptoIO
import Foundation
import Intake
import Attestation
import SBOM
import Vulnerabilities

/// What the station requires. The built-in default is strict: a trusted signed
/// manifest, unlisted and missing files reject, archive limits on.
public struct Policy: Sendable, Equatable {
    /// What a policy setting does with what it judges: reject (an error) or warn.
    public enum Action: String, Sendable { case reject, warn }

    public var unlisted: Action = .reject
    public var missing: Action = .reject
    public var limits = IntakeLimits()
    /// Names that collide under case folding / Unicode normalisation.
    public var nameCollisions: Action = .warn
    /// Files with the setuid or setgid bit (`file.denied-type`).
    public var setuid: Action = .reject
    /// Symbolic links whose target leaves the delivery (`archive.link-escape`): OS
    /// packages carry them (openssl's /usr/lib/ssl/certs -> /etc/ssl/certs).
    public var symlinksOutside: Action = .reject
    /// File types the plant does not accept in this delivery (`files.deny`):
    /// executable (any program or exec bit), elf, pe, mach-o, script, archive.
    public var deniedFileTypes: [String] = []
    /// Every CA of a CMS signature must have a CRL in TrustStore/crls/.
    public var requireCRL = false
    /// An SBOM must come with the delivery (`sbom.missing`).
    public var sbomRequired = false
    /// Which components the plant approves (allow/deny, licenses).
    public var sbomRules = SBOMRules(allowRules: nil, denyRules: [], licenses: LicenseRules.none)
    /// Digests computed for every file besides sha256 (`digests: [sha512]`); sha256
    /// is always computed. Others are computed anyway when a manifest names a file by
    /// them alone (a second pass, docs/usage.md "Digests").
    public var digests: [DigestAlgorithm] = []
    /// Where the policy came from ("built-in" or a file path).
    public var source = "built-in"
    /// The `vulnerabilities:` section (docs/vulnerabilities.md); nil when the file has none.
    public var vulnerabilities: VulnerabilityPolicy?

    public init() {}

    public static let builtIn = Policy()
}

/// What a station does beyond verifying: the `rollback:`, `admit:` and `siem:`
/// sections of the same policy file (`PolicyFile`), apart from the verification
/// policy (`Policy`), which says only what is accepted.
public struct StationPolicy: Sendable, Equatable {
    /// Products an older version of which may be admitted (`rollback: {allow: [...]}`).
    public var rollbackAllowed: [String] = []
    /// Where each decision is also sent (`siem: {syslog: "udp://HOST:PORT"}`): udp:// or tcp://.
    public var siemSyslog: String?
    /// rfc5424 (default) or cef (`siem: {format: cef}`).
    public var siemFormat: String?
    /// Archives `admit` unpacks instead of copying (`admit: {extract: true}` or a list of
    /// file-name patterns such as `["*.tar.gz"]`); empty: archives are admitted as files.
    public var admitExtract: [String] = []

    public init() {}
}

/// A policy file: the verification policy and the station's settings, read together.
public struct PolicyFile: Sendable, Equatable {
    public var verification: Policy
    public var station: StationPolicy

    public init(verification: Policy = .builtIn, station: StationPolicy = StationPolicy()) {
        self.verification = verification
        self.station = station
    }

    /// The built-in policy and no station settings.
    public static let builtIn = PolicyFile()

    /// Reads a policy YAML (throws `PolicyError`: exit 2).
    public static func load(path: String) throws -> PolicyFile {
        let data: Data
        do {
            data = try readFile(path, limit: 1 << 20)
        } catch {
            throw PolicyError(file: path, problem: error.problem)
        }
        return try parse(data, file: path)
    }

    /// Parses a policy YAML already read (`file` names it in errors).
    public static func parse(_ data: Data, file: String) throws -> PolicyFile {
        var station = StationPolicy()
        let verification = try Policy.parse(data, file: file, station: &station)
        return PolicyFile(verification: verification, station: station)
    }
}

/// The policy file could not be used: passbox cannot evaluate (exit 2).
public struct PolicyError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let problem: String
    public var description: String { "\(file): \(problem)" }
}

extension Policy {
    /// Reads a policy YAML (its verification part: `PolicyFile.load` has both). Unknown
    /// keys are errors: a rule that is silently ignored would fail open.
    public static func load(path: String) throws -> Policy {
        try PolicyFile.load(path: path).verification
    }

    /// The verification policy of a policy YAML (its station sections are parsed and dropped).
    public static func parse(_ data: Data, file: String) throws -> Policy {
        var station = StationPolicy()
        return try parse(data, file: file, station: &station)
    }

    /// Parses the whole file: the verification policy is returned, the station's
    /// sections (`rollback`, `admit`, `siem`) go into `station`.
    static func parse(_ data: Data, file: String, station: inout StationPolicy) throws -> Policy {
        func fail(_ problem: String) -> PolicyError { PolicyError(file: file, problem: problem) }
        let document: YAMLValue
        do {
            document = try SafeYAML.load(String(decoding: data, as: UTF8.self))
        } catch {
            throw fail("\(error)")
        }
        var policy = Policy()
        policy.source = file
        if case .null = document { return policy }
        guard let top = document.mapping else { throw fail("the top level must be a mapping") }
        func actions(_ section: String, _ value: YAMLValue, _ apply: (String, Action) throws -> Void) throws {
            guard let map = value.mapping else { throw fail("\(section) must be a mapping") }
            for (key, v) in map {
                guard let text = v.string, let action = Action(rawValue: text) else {
                    throw fail("\(section).\(key.prefix(80)) must be reject or warn")
                }
                try apply(key, action)
            }
        }
        for (section, value) in top {
            switch section {
            case "version":
                guard value.int == 1 else { throw fail("version must be 1") }
            case "digests":
                guard let names = value.strings, names.count <= 3 else { throw fail("digests must be a list such as [sha256, sha512]") }
                for name in names {
                    guard let algorithm = DigestAlgorithm(rawValue: name.lowercased()) else {
                        throw fail("digests: unknown algorithm '\(name.prefix(40))' (sha256, sha384, sha512)")
                    }
                    if !policy.digests.contains(algorithm) { policy.digests.append(algorithm) }
                }
            case "manifest":
                try actions(section, value) { key, action in
                    switch key {
                    case "unlisted": policy.unlisted = action
                    case "missing": policy.missing = action
                    default: throw fail("unknown key manifest.\(key.prefix(80)) (known: unlisted, missing)")
                    }
                }
            case "limits":
                guard let map = value.mapping else { throw fail("limits must be a mapping") }
                for (key, v) in map {
                    switch key {
                    case "maxDepth":
                        policy.limits.maxDepth = try positiveInt(v, "limits.maxDepth", max: 64, fail)
                    case "maxEntries":
                        policy.limits.maxEntries = try positiveInt(v, "limits.maxEntries", max: 100_000_000, fail)
                    case "maxPathLength":
                        policy.limits.maxPathLength = try positiveInt(v, "limits.maxPathLength", max: 65_536, fail)
                    case "maxTotalBytes":
                        policy.limits.maxTotalBytes = try byteSize(v, "limits.maxTotalBytes", fail)
                    case "maxEntryBytes":
                        policy.limits.maxEntryBytes = try byteSize(v, "limits.maxEntryBytes", fail)
                    case "maxMemory":
                        let bytes = try byteSize(v, "limits.maxMemory", fail)
                        guard bytes >= 512 << 20 else { throw fail("limits.maxMemory must be at least 512MiB") }
                        policy.limits.maxMemory = bytes
                    case "maxRatio":
                        guard let r = v.double, r >= 1, r.isFinite else {
                            throw fail("limits.maxRatio must be a number >= 1")
                        }
                        policy.limits.maxRatio = r
                    case "maxSeconds":
                        guard let t = v.double, t > 0, t <= 604_800 else {
                            throw fail("limits.maxSeconds must be a number of seconds, more than 0 and at most 604800 (7 days)")
                        }
                        policy.limits.maxSeconds = t
                    default:
                        throw fail("unknown key limits.\(key.prefix(80)) (known: maxDepth, maxTotalBytes, maxRatio, maxEntries, maxPathLength, maxEntryBytes, maxMemory, maxSeconds)")
                    }
                }
            case "archive":
                try actions(section, value) { key, action in
                    switch key {
                    case "nameCollisions": policy.nameCollisions = action
                    case "setuid": policy.setuid = action
                    case "symlinksOutside": policy.symlinksOutside = action
                    default: throw fail("unknown key archive.\(key.prefix(80)) (known: nameCollisions, setuid, symlinksOutside)")
                    }
                }
            case "sbom":
                try parseSBOMSection(value, into: &policy, fail)
            case "rollback":
                guard let map = value.mapping else { throw fail("rollback must be a mapping") }
                for (key, v) in map {
                    guard key == "allow", let list = v.strings else {
                        throw fail("rollback: the only key is allow, a list of product names")
                    }
                    station.rollbackAllowed = list
                }
            case "siem":
                guard let map = value.mapping else { throw fail("siem must be a mapping") }
                for (key, v) in map {
                    switch key {
                    case "syslog":
                        guard let url = v.string, url.hasPrefix("udp://") || url.hasPrefix("tcp://"), url.count <= 1024 else {
                            throw fail("siem.syslog must be udp://HOST:PORT or tcp://HOST:PORT")
                        }
                        station.siemSyslog = url
                    case "format":
                        guard let f = v.string, f == "rfc5424" || f == "cef" else {
                            throw fail("siem.format must be rfc5424 or cef")
                        }
                        station.siemFormat = f
                    default: throw fail("unknown key siem.\(key.prefix(80)) (known: syslog, format)")
                    }
                }
            case "signatures":
                guard let map = value.mapping else { throw fail("signatures must be a mapping") }
                for (key, v) in map {
                    switch key {
                    case "requireCRL":
                        guard let b = v.bool else { throw fail("signatures.requireCRL must be true or false") }
                        policy.requireCRL = b
                    default: throw fail("unknown key signatures.\(key.prefix(80)) (known: requireCRL)")
                    }
                }
            case "admit":
                guard let map = value.mapping else { throw fail("admit must be a mapping") }
                for (key, v) in map {
                    guard key == "extract" else { throw fail("unknown key admit.\(key.prefix(80)) (known: extract)") }
                    if let b = v.bool {
                        station.admitExtract = b ? ["*"] : []
                    } else if let list = v.strings, list.allSatisfy({ !$0.isEmpty && !$0.contains("/") && $0.utf8.count <= 255 }) {
                        station.admitExtract = list
                    } else {
                        throw fail("admit.extract must be true, false, or a list of archive file-name patterns such as \"*.tar.gz\"")
                    }
                }
            case "vulnerabilities":
                policy.vulnerabilities = try parseVulnerabilitiesSection(value, fail)
            case "files":
                guard let map = value.mapping else { throw fail("files must be a mapping") }
                for (key, v) in map {
                    guard key == "deny" else { throw fail("unknown key files.\(key.prefix(80)) (known: deny)") }
                    guard let list = v.strings else { throw fail("files.deny must be a list of types") }
                    let known = ["executable", "elf", "pe", "mach-o", "script", "archive"]
                    if let bad = list.first(where: { !known.contains($0) }) {
                        throw fail("files.deny: unknown type '\(bad.prefix(80))' (known: \(known.joined(separator: ", ")))")
                    }
                    policy.deniedFileTypes = list
                }
            default:
                throw fail("unknown section '\(section.prefix(80))'")
            }
        }
        return policy
    }
}

/// `sbom:` — required, allow, deny (purl/CPE/name patterns, or mappings such as
/// `{name: zlib, version: "vers:generic/>=1.3"}`), licenses: {allow, deny}.
private func parseSBOMSection(_ value: YAMLValue, into policy: inout Policy, _ fail: (String) -> PolicyError) throws {
    guard let map = value.mapping else { throw fail("sbom must be a mapping") }
    var allow: [ComponentRule]?
    var deny: [ComponentRule] = []
    var licenseAllow: [String]?
    var licenseDeny: [String] = []
    func rules(_ v: YAMLValue, _ list: String) throws -> [ComponentRule] {
        guard let items = v.sequence else { throw fail("sbom.\(list) must be a list") }
        return try items.map { item in
            do {
                if let text = item.string { return try ComponentRule(text) }
                if let pairs = item.mapping {
                    var fields: [String: String] = [:]
                    for (k, fv) in pairs {
                        guard let text = fv.string else { throw fail("sbom.\(list): field \(k) must be text") }
                        fields[k] = text
                    }
                    return try ComponentRule(fields: fields)
                }
                throw fail("sbom.\(list): each rule is a pattern or a mapping")
            } catch let error as SBOMSyntaxError {
                throw fail("sbom.\(list): invalid rule \(item.string.map { "'\($0.prefix(200))'" } ?? "mapping"): \(error.message)")
            }
        }
    }
    for (key, v) in map {
        switch key {
        case "required":
            guard let b = v.bool else { throw fail("sbom.required must be true or false") }
            policy.sbomRequired = b
        case "allow": allow = try rules(v, "allow")
        case "deny": deny = try rules(v, "deny")
        case "licenses":
            guard let pairs = v.mapping else { throw fail("sbom.licenses must be a mapping") }
            for (lk, lv) in pairs {
                guard let list = lv.strings else { throw fail("sbom.licenses.\(lk.prefix(80)) must be a list of license ids") }
                switch lk {
                case "allow": licenseAllow = list
                case "deny": licenseDeny = list
                default: throw fail("unknown key sbom.licenses.\(lk.prefix(80)) (known: allow, deny)")
                }
            }
        default:
            throw fail("unknown key sbom.\(key.prefix(80)) (known: required, allow, deny, licenses)")
        }
    }
    let licenses: LicenseRules
    do {
        licenses = try LicenseRules(allow: licenseAllow, deny: licenseDeny)
    } catch {
        throw fail("\(error)")
    }
    policy.sbomRules = SBOMRules(allowRules: allow, denyRules: deny, licenses: licenses)
}

/// `vulnerabilities:` — failOn, unknownSeverity, ignore [{id, reason, until}],
/// maxDatabaseAge, requireDatabase. Unknown keys and values are errors.
private func parseVulnerabilitiesSection(_ value: YAMLValue, _ fail: (String) -> PolicyError) throws -> VulnerabilityPolicy {
    var policy = VulnerabilityPolicy()
    if case .null = value { return policy }
    guard let map = value.mapping else { throw fail("vulnerabilities must be a mapping") }
    for (key, v) in map {
        switch key {
        case "failOn":
            guard let text = v.string, let threshold = VulnerabilityPolicy.Threshold(rawValue: text) else {
                throw fail("vulnerabilities.failOn must be critical, high, medium, low or any")
            }
            policy.failOn = threshold
        case "unknownSeverity":
            guard let text = v.string, let level = VulnerabilitySeverity(rawValue: text), level != .none else {
                throw fail("vulnerabilities.unknownSeverity must be critical, high, medium or low")
            }
            policy.unknownSeverity = level
        case "maxDatabaseAge":
            guard let text = v.string, let seconds = VulnerabilityPolicy.parseDuration(text) else {
                throw fail("vulnerabilities.maxDatabaseAge must be a duration such as 30d, 12h, 2w")
            }
            policy.maxDatabaseAge = seconds
        case "requireDatabase":
            guard let b = v.bool else { throw fail("vulnerabilities.requireDatabase must be true or false") }
            policy.requireDatabase = b
        case "ignore":
            guard let items = v.sequence else { throw fail("vulnerabilities.ignore must be a list") }
            policy.ignore = try items.map { item in
                guard let fields = item.mapping else { throw fail("vulnerabilities.ignore: each entry is a mapping {id, reason, until}") }
                var id: String?, reason: String?, until: Date?
                for (k, fv) in fields {
                    guard let text = fv.string else { throw fail("vulnerabilities.ignore: \(k.prefix(40)) must be text") }
                    switch k {
                    case "id": id = text
                    case "reason": reason = text
                    case "until":
                        guard let date = VulnerabilityPolicy.parseUntil(text) else {
                            throw fail("vulnerabilities.ignore: until '\(text.prefix(40))' is not a date (YYYY-MM-DD) or RFC 3339 time")
                        }
                        until = date
                    default: throw fail("unknown key vulnerabilities.ignore.\(k.prefix(80)) (known: id, reason, until)")
                    }
                }
                guard let id, !id.isEmpty else { throw fail("vulnerabilities.ignore: an id is required") }
                guard let reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw fail("vulnerabilities.ignore \(id.prefix(80)): a reason is required")
                }
                return VulnerabilityPolicy.Ignore(id: id, reason: reason, until: until)
            }
        default:
            throw fail("unknown key vulnerabilities.\(key.prefix(80)) (known: failOn, unknownSeverity, ignore, maxDatabaseAge, requireDatabase)")
        }
    }
    return policy
}

private func positiveInt(_ value: YAMLValue, _ name: String, max: Int, _ fail: (String) -> PolicyError) throws -> Int {
    guard let n = value.int, n >= 1, n <= max else { throw fail("\(name) must be a whole number from 1 to \(max)") }
    return n
}

/// "64GiB", "512MiB", "10GB", "1000" → bytes.
func byteSize(_ value: YAMLValue, _ name: String, _ fail: (String) -> PolicyError) throws -> Int64 {
    if let n = value.int, n > 0 { return Int64(n) }
    guard let text = value.string?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
        throw fail("\(name) must be a size such as 64GiB")
    }
    let units: [(String, Int64)] = [
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000), ("B", 1),
    ]
    for (suffix, factor) in units where text.hasSuffix(suffix) {
        let number = text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
        guard let n = Int64(number), n > 0, n <= Int64.max / factor else { break }
        return n * factor
    }
    if let n = Int64(text), n > 0 { return n }
    throw fail("\(name): '\(text.prefix(40))' is not a size such as 64GiB")
}
