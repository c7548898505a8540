import Foundation
import SBOM

/// How `pkg:rpm/...` purls map to the OSV ecosystems of RPM distributions, which
/// name their releases each in their own way:
///
/// | purl namespace | OSV ecosystem (key) | release from |
/// | --- | --- | --- |
/// | `almalinux` | `AlmaLinux:<major>` | `distro=almalinux-9.3`, `el9`; else the release's `.el9` |
/// | `rocky`, `rockylinux`, `rocky-linux` | `Rocky Linux:<major>` | as AlmaLinux |
/// | `redhat`, `rhel` | `Red Hat:enterprise_linux:<major>` (any repository stream) | `distro=rhel-9.4`, `el9`; else `.el9` |
/// | `mageia` | `Mageia:<major>` | `distro=mageia-9` |
/// | `suse`, `sles`, `sled`, `sles_sap`, `sle-micro`, `sle_hpc` | `SUSE:<product> <version> SP<n>` | `distro=sles-15.5` -> `Linux Enterprise Server 15 SP5` |
/// | `opensuse`, `opensuse-leap`, `opensuse-tumbleweed`, `opensuse-leap-micro` | `openSUSE:Leap 15.5`, `openSUSE:Tumbleweed` | `distro=opensuse-leap-15.5` |
/// | `openeuler` | `openEuler:<release>` | `distro=openeuler-22.03-LTS-SP3` |
/// | `azurelinux` | `Azure Linux:<major>` | `distro=azurelinux-3.0` |
///
/// A `distro` qualifier may also be the distribution's `PRETTY_NAME` as written in
/// `/etc/os-release` (`SUSE Linux Enterprise Server 15 SP5`, `openSUSE Leap 15.5`).
enum RPMDistributions {
    /// OSV ecosystem bases (lower case) whose versions are RPM versions.
    static let ecosystems: Set<String> = ["almalinux", "rocky linux", "mageia", "red hat", "suse", "opensuse", "openeuler", "azure linux"]

    /// Ecosystems whose records write the epoch (`1:3.0.7-27.el9`): a purl's `epoch`
    /// qualifier is prepended to its version for them. openEuler, SUSE and openSUSE
    /// records leave the epoch out, so prepending it there would hide real matches.
    static let epochEcosystems: Set<String> = ["almalinux", "rocky linux", "red hat"]

    /// The key of an OSV `Red Hat:<CPE>` ecosystem: the product and its version, without
    /// the repository stream (`Red Hat:enterprise_linux:9::appstream` and `::baseos`
    /// are both `red hat:enterprise_linux:9`; `Red Hat:rhel_eus:9.2::baseos` is
    /// `red hat:rhel_eus:9.2`). A package's build is the same in every stream of a
    /// release, and an SBOM does not say which repository a package came from.
    static func redHatKey(_ parts: [String]) -> String {
        let product = parts.count > 1 ? parts[1] : ""
        let version = parts.count > 2 ? parts[2] : ""
        return ["red hat", product, version].filter { !$0.isEmpty }.joined(separator: ":")
    }

    /// The OSV key ecosystem of an rpm purl.
    static func ecosystem(purl: PackageURL) throws(Ecosystems.Unmapped) -> String {
        let namespace = (purl.namespace ?? "").lowercased()
        let distro = purl.qualifiers["distro"]
        switch namespace {
        case "almalinux":
            return "almalinux:" + (try major(distro, prefixes: ["almalinux-", "el"], purl: purl, name: namespace))
        case "rocky", "rockylinux", "rocky-linux":
            return "rocky linux:" + (try major(distro, prefixes: ["rocky-", "rockylinux-", "rocky-linux-", "el"], purl: purl, name: namespace))
        case "redhat", "rhel":
            return "red hat:enterprise_linux:" + (try major(distro, prefixes: ["rhel-", "redhat-", "el"], purl: purl, name: namespace))
        case "mageia":
            return "mageia:" + (try major(distro, prefixes: ["mageia-", "mga"], purl: nil, name: namespace))
        case "azurelinux":
            return "azure linux:" + (try major(distro, prefixes: ["azurelinux-"], purl: nil, name: namespace))
        case "openeuler":
            guard let text = distro?.lowercased(), !text.isEmpty else { throw .missingRelease(namespace) }
            let release = text.hasPrefix("openeuler-") ? String(text.dropFirst("openeuler-".count)) : text
            guard release.first?.isNumber == true else { throw .missingRelease(namespace) }
            return "openeuler:" + release
        case "suse", "sles", "sled", "sles_sap", "sle-micro", "sle_hpc", "sle-hpc":
            guard let product = suseProduct(distro) else { throw .missingRelease(namespace) }
            return "suse:" + product
        case "opensuse", "opensuse-leap", "opensuse-tumbleweed", "opensuse-leap-micro":
            guard let product = openSUSEProduct(distro, namespace: namespace) else { throw .missingRelease(namespace) }
            return "opensuse:" + product
        default:
            throw .unsupportedDistribution("rpm/" + namespace)
        }
    }

    /// The major release of a RHEL-family `distro` qualifier (`rhel-9.4`, `el9`,
    /// `9.4`); without one, that of the version's release part (`3.0.7-27.el9_3` -> 9).
    private static func major(_ distro: String?, prefixes: [String], purl: PackageURL?, name: String) throws(Ecosystems.Unmapped) -> String {
        if var text = distro?.lowercased(), !text.isEmpty {
            for prefix in prefixes where text.hasPrefix(prefix) && text.count > prefix.count {
                text.removeFirst(prefix.count)
                break
            }
            let major = text.prefix { $0.isNumber }
            guard !major.isEmpty else { throw .missingRelease(name) }
            return String(major)
        }
        if let version = purl?.version, let major = elRelease(version) { return major }
        throw .missingRelease(name)
    }

    /// The `N` of an `.elN` (`.el9`, `.el9_3`, `.el8.1`, `module+el8.9.0+...`) in a
    /// version's release part, the last one.
    static func elRelease(_ version: String) -> String? {
        guard let dash = version.lastIndex(of: "-") else { return nil }
        let release = version[version.index(after: dash)...].lowercased()
        var found: String?
        var rest = Substring(release)
        while let r = rest.range(of: "el") {
            let before = r.lowerBound == rest.startIndex ? nil : rest[rest.index(before: r.lowerBound)]
            let digits = rest[r.upperBound...].prefix { $0.isNumber }
            if !digits.isEmpty, before == nil || before == "." || before == "+" { found = String(digits) }
            rest = rest[r.upperBound...]
        }
        return found
    }

    static let suseProducts: [(prefix: String, product: String)] = [
        ("sles_sap-", "linux enterprise server for sap applications"),
        ("sles-sap-", "linux enterprise server for sap applications"),
        ("sle_hpc-", "linux enterprise high performance computing"),
        ("sle-hpc-", "linux enterprise high performance computing"),
        ("sle-micro-", "linux enterprise micro"),
        ("sles-", "linux enterprise server"),
        ("sled-", "linux enterprise desktop"),
    ]

    /// `sles-15.5` -> `linux enterprise server 15 sp5`; `sles-15` -> `... 15`;
    /// `sle-micro-5.5` -> `linux enterprise micro 5.5` (SLE Micro names releases with a
    /// dot); a PRETTY_NAME (`SUSE Linux Enterprise Server 15 SP5`) lower-cased without `SUSE `.
    static func suseProduct(_ distro: String?) -> String? {
        guard let text = distro?.lowercased().trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if text.hasPrefix("suse linux enterprise ") { return String(text.dropFirst("suse ".count)) }
        for (prefix, product) in suseProducts where text.hasPrefix(prefix) {
            let version = text.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard let major = version.first, !major.isEmpty, major.allSatisfy(\.isNumber) else { return nil }
            guard version.count > 1 else { return product + " " + major }
            guard version[1].allSatisfy(\.isNumber), !version[1].isEmpty else { return nil }
            if product == "linux enterprise micro" { return product + " " + major + "." + version[1] }
            return version[1] == "0" ? product + " " + major : product + " " + major + " sp" + version[1]
        }
        return nil
    }

    /// `opensuse-leap-15.5` -> `leap 15.5`; `opensuse-tumbleweed-20240101` ->
    /// `tumbleweed`; `opensuse-leap-micro-5.5` -> `leap micro 5.5`; a PRETTY_NAME
    /// (`openSUSE Leap 15.5`) lower-cased without `openSUSE `.
    static func openSUSEProduct(_ distro: String?, namespace: String) -> String? {
        let text = distro?.lowercased().trimmingCharacters(in: .whitespaces) ?? ""
        if text.hasPrefix("opensuse ") { return String(text.dropFirst("opensuse ".count)) }
        if text.hasPrefix("opensuse-tumbleweed") || (text.isEmpty && namespace == "opensuse-tumbleweed") { return "tumbleweed" }
        for (prefix, product) in [("opensuse-leap-micro-", "leap micro"), ("opensuse-leap-", "leap")] where text.hasPrefix(prefix) {
            let version = text.dropFirst(prefix.count)
            guard let first = version.first, first.isNumber, version.allSatisfy({ $0.isNumber || $0 == "." }) else { return nil }
            return product + " " + version
        }
        return nil
    }

    /// The version to evaluate for an rpm purl: with the `epoch` qualifier prepended
    /// (`1:3.0.7-27.el9`) for ecosystems whose records write epochs, when the version
    /// has none. A purl without `epoch` has epoch 0, as rpm reads it.
    static func version(_ version: String, purl: PackageURL, ecosystem: String) -> String {
        guard purl.type.lowercased() == "rpm", !version.contains(":"),
              let epoch = purl.qualifiers["epoch"], !epoch.isEmpty, epoch.allSatisfy(\.isNumber), epoch.count <= 10,
              let base = ecosystem.split(separator: ":").first.map(String.init), epochEcosystems.contains(base)
        else { return version }
        return epoch + ":" + version
    }
}
