import Foundation
import SBOM

/// Where a component is looked up: an OSV ecosystem (normalised key) and a
/// package name normalised as that ecosystem compares names.
public struct PackageKey: Sendable, Hashable, CustomStringConvertible {
    /// Lower-cased OSV ecosystem with the release where the ecosystem has releases:
    /// `pypi`, `npm`, `maven`, `debian:12`, `ubuntu:22.04`, `alpine:v3.19`, `almalinux:9`.
    public var ecosystem: String
    public var name: String
    public init(ecosystem: String, name: String) {
        self.ecosystem = ecosystem
        self.name = name
    }
    public var description: String { "\(ecosystem)/\(name)" }
}

/// How purls map to OSV ecosystems and names (as osv.dev maps them), and how each
/// ecosystem orders its versions.
public enum Ecosystems {
    /// OSV ecosystem names (lower-cased) -> the version order used for their ECOSYSTEM ranges.
    /// Alpine and the RPM distributions have no order in the SBOM module: this module's
    /// `VersionOrder.apk` and `.rpm` are used.
    static func scheme(forEcosystem base: String) -> VersionOrder {
        switch base {
        case "pypi": .pypi
        case "npm": .npm
        case "crates.io": .cargo
        case "go": .golang
        case "hex", "pub": .semver
        case "maven": .maven
        case "debian", "ubuntu": .deb
        case "alpine": .apk
        case _ where RPMDistributions.ecosystems.contains(base): .rpm
        default: .generic  // NuGet, RubyGems, Packagist and any other ecosystem.
        }
    }

    /// The key of an OSV record's `affected[].package` (ecosystem as written, e.g. `Ubuntu:22.04:LTS`).
    public static func key(osvEcosystem: String, name: String) -> PackageKey {
        let parts = osvEcosystem.split(separator: ":", omittingEmptySubsequences: false).map { $0.lowercased() }
        let base = parts.first ?? ""
        var ecosystem = base
        switch base {
        case "ubuntu":
            // Ubuntu:22.04:LTS, Ubuntu:Pro:18.04:LTS, Ubuntu:Pro:FIPS:20.04:LTS -> ubuntu:<release>
            if let release = parts.dropFirst().first(where: { $0.first?.isNumber == true }) { ecosystem = "ubuntu:" + release }
        case "debian", "alpine", "almalinux", "rocky linux", "mageia":
            if parts.count > 1 { ecosystem = base + ":" + parts[1] }
        case "azure linux":
            // `Azure Linux:3` and `Azure Linux:3.0` alike: the major release.
            if parts.count > 1 { ecosystem = base + ":" + parts[1].prefix { $0.isNumber } }
        case "red hat":
            ecosystem = RPMDistributions.redHatKey(parts)
        default:
            ecosystem = parts.count > 1 && isDistribution(base) ? parts.joined(separator: ":") : base
        }
        return PackageKey(ecosystem: ecosystem, name: normalise(name: name, base: base))
    }

    private static func isDistribution(_ base: String) -> Bool {
        ["suse", "opensuse", "photon os", "openeuler", "wolfi", "chainguard", "bitnami"].contains(base)
    }

    /// Names compared as the ecosystem compares them: PyPI by PEP 503 (lower case, runs
    /// of `-`, `_`, `.` as one `-`); NuGet, Packagist, Hex case-insensitively.
    static func normalise(name: String, base: String) -> String {
        switch base {
        case "pypi": return pep503(name)
        case "nuget", "packagist", "hex": return name.lowercased()
        default: return name
        }
    }

    static func pep503(_ name: String) -> String {
        var out = ""
        var lastWasSeparator = false
        for ch in name.lowercased() {
            if ch == "-" || ch == "_" || ch == "." {
                if !lastWasSeparator { out.append("-") }
                lastWasSeparator = true
            } else {
                out.append(ch)
                lastWasSeparator = false
            }
        }
        return out
    }

    /// Why a purl has no OSV ecosystem.
    public enum Unmapped: Error, Sendable, Equatable, CustomStringConvertible {
        case type(String)
        case missingRelease(String)
        case unsupportedDistribution(String)
        public var description: String {
            switch self {
            case .type(let t): "purl type '\(t)' has no OSV ecosystem"
            case .missingRelease(let d): "\(d) package without a release in its distro qualifier"
            case .unsupportedDistribution(let d): "distribution '\(d)' is not mapped to an OSV ecosystem"
            }
        }
    }

    /// The OSV key of a purl, as osv.dev maps purl types: npm (`@scope/name`), PyPI,
    /// Maven (`group:artifact`), Go (`namespace/name`), crates.io, NuGet, RubyGems,
    /// Packagist (`vendor/name`), Hex, Pub; deb (Debian, Ubuntu), apk (Alpine) and rpm
    /// (`RPMDistributions`: AlmaLinux, Rocky Linux, Red Hat, Mageia, SUSE, openSUSE,
    /// openEuler, Azure Linux) with the release from the `distro` qualifier.
    public static func key(purl: PackageURL) throws(Unmapped) -> PackageKey {
        let ns = purl.namespace.map { $0 + "/" } ?? ""
        switch purl.type.lowercased() {
        case "npm": return PackageKey(ecosystem: "npm", name: ns + purl.name)
        case "pypi": return PackageKey(ecosystem: "pypi", name: pep503(purl.name))
        case "maven": return PackageKey(ecosystem: "maven", name: (purl.namespace.map { $0.replacingOccurrences(of: "/", with: ".") + ":" } ?? "") + purl.name)
        case "golang": return PackageKey(ecosystem: "go", name: ns + purl.name)
        case "cargo": return PackageKey(ecosystem: "crates.io", name: purl.name)
        case "nuget": return PackageKey(ecosystem: "nuget", name: purl.name.lowercased())
        case "gem": return PackageKey(ecosystem: "rubygems", name: purl.name)
        case "composer": return PackageKey(ecosystem: "packagist", name: (ns + purl.name).lowercased())
        case "hex": return PackageKey(ecosystem: "hex", name: purl.name.lowercased())
        case "pub": return PackageKey(ecosystem: "pub", name: purl.name)
        case "deb":
            let distro = (purl.namespace ?? "").lowercased()
            guard distro == "debian" || distro == "ubuntu" else { throw .unsupportedDistribution("deb/" + distro) }
            guard let release = release(purl.qualifiers["distro"], distribution: distro) else { throw .missingRelease(distro) }
            return PackageKey(ecosystem: distro + ":" + release, name: purl.name)
        case "apk":
            let distro = (purl.namespace ?? "").lowercased()
            guard distro == "alpine" else { throw .unsupportedDistribution("apk/" + distro) }
            guard let release = release(purl.qualifiers["distro"], distribution: distro) else { throw .missingRelease(distro) }
            return PackageKey(ecosystem: "alpine:" + release, name: purl.name)
        case "rpm":
            return PackageKey(ecosystem: try RPMDistributions.ecosystem(purl: purl), name: purl.name)
        default:
            throw .type(purl.type)
        }
    }

    static let debianCodenames = ["jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14"]
    static let ubuntuCodenames = [
        "trusty": "14.04", "xenial": "16.04", "bionic": "18.04", "focal": "20.04", "jammy": "22.04", "lunar": "23.04",
        "mantic": "23.10", "noble": "24.04", "oracular": "24.10", "plucky": "25.04",
    ]

    /// The OSV release of a `distro` qualifier: `debian-12`, `debian-12.5`, `bookworm` ->
    /// `12`; `ubuntu-22.04`, `jammy`, `esm-apps/jammy` (archive/codename) -> `22.04`;
    /// `alpine-3.19.1` -> `v3.19`;
    /// `almalinux-9.3`, `el9` -> `9`.
    static func release(_ qualifier: String?, distribution: String) -> String? {
        guard var text = qualifier?.lowercased(), !text.isEmpty else { return nil }
        // Ubuntu's own purls name the archive and the codename: `esm-infra-legacy/trusty`, `esm-apps/focal`.
        if distribution == "ubuntu", let last = text.split(separator: "/").last, text.contains("/") { text = String(last) }
        let prefixes = [distribution + "-", distribution.replacingOccurrences(of: " ", with: "") + "-", "rocky-", "el"]
        for prefix in prefixes where text.hasPrefix(prefix) && text.count > prefix.count {
            text.removeFirst(prefix.count)
            break
        }
        let numbers = text.split(separator: ".").map(String.init)
        guard let major = numbers.first, !major.isEmpty else { return nil }
        switch distribution {
        case "debian":
            if let codename = debianCodenames[text] { return codename }
            return major.allSatisfy(\.isNumber) ? major : nil
        case "ubuntu":
            if let codename = ubuntuCodenames[text] { return codename }
            guard numbers.count >= 2, major.allSatisfy(\.isNumber), numbers[1].allSatisfy(\.isNumber) else { return nil }
            return major + "." + numbers[1]
        case "alpine":
            let trimmed = major.hasPrefix("v") ? String(major.dropFirst()) : major
            guard numbers.count >= 2, trimmed.allSatisfy(\.isNumber), numbers[1].allSatisfy(\.isNumber) else { return nil }
            return "v" + trimmed + "." + numbers[1]
        default:
            return major.allSatisfy(\.isNumber) ? major : nil
        }
    }

    /// The keys a component is looked up under: its key; for a distribution package
    /// whose purl names its source package in an `upstream` qualifier (`upstream=openssl`
    /// or `upstream=openssl@3.0.11-1`, as SBOM generators write it), also the source
    /// package (distribution records name source packages); and for Debian, AlmaLinux and
    /// Rocky Linux (whose OSV ecosystem "might optionally have a release suffix") each
    /// also without the release, which covers every release.
    public static func lookupKeys(_ key: PackageKey, purl: PackageURL? = nil) -> [PackageKey] {
        var keys = [key]
        if let upstream = purl?.qualifiers["upstream"], ["deb", "apk", "rpm"].contains(purl?.type.lowercased() ?? "") {
            let source = String(upstream.split(separator: "@", maxSplits: 1).first ?? "")
            if !source.isEmpty && source != key.name { keys.append(PackageKey(ecosystem: key.ecosystem, name: source)) }
        }
        let parts = key.ecosystem.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, ["debian", "almalinux", "rocky linux"].contains(String(parts[0])) else { return keys }
        return keys + keys.map { PackageKey(ecosystem: String(parts[0]), name: $0.name) }
    }

    /// The version order for one range of a record of `ecosystem` (the key's ecosystem).
    static func scheme(for range: OSVRange.Kind, ecosystem: String) -> VersionOrder {
        if range == .semver { return .semver }
        let base = ecosystem.split(separator: ":").first.map(String.init) ?? ecosystem
        return scheme(forEcosystem: base)
    }
}
