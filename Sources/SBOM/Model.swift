import Foundation

/// One software component of an SBOM, in the same shape whatever the SBOM format.
///
/// CycloneDX components (nested ones included) and SPDX packages become
/// `Component`s. Fields the SBOM does not state are `nil` (or empty).
public struct Component: Sendable, Equatable, Codable {
    /// The component's name (CycloneDX `name`, SPDX package `name`).
    public var name: String
    /// CycloneDX `group` (e.g. a Maven groupId); `nil` for SPDX.
    public var group: String?
    public var version: String?
    /// The package URL exactly as the SBOM wrote it. The parsers only accept
    /// SBOMs whose purls parse (see `PackageURL`).
    public var purl: String? {
        didSet { parsedPurl = nil }
    }
    /// `purl` as the parser parsed it (to check it), kept so that judging the
    /// component does not parse it again; `nil` when not parsed. Not part of
    /// equality or of the encoded form.
    var parsedPurl: PackageURL?
    /// A CPE 2.3 formatted string or a CPE 2.2 URI.
    public var cpe: String?
    /// Supplier name (CycloneDX `supplier.name`; SPDX supplier without its
    /// `Organization:`/`Person:` prefix and e-mail).
    public var supplier: String?
    /// Digests by algorithm: keys are lowercase names (`md5`, `sha1`, `sha256`,
    /// `sha384`, `sha512`, `sha3-256`, `blake2b-256`, `blake3`, ...), values
    /// lowercase hex.
    public var hashes: [String: String]
    /// One SPDX license expression, or `nil` when the SBOM states no license
    /// (then `licenseMarker` tells whether it said NONE or NOASSERTION).
    public var licenseExpression: String?
    /// Set when the SBOM stated the license as `NONE` or `NOASSERTION`.
    public var licenseMarker: LicenseMarker?
    /// CycloneDX component `type`, SPDX `primaryPackagePurpose` (lowercased).
    public var type: String?
    /// CycloneDX `bom-ref`, SPDX 2 `SPDXID` or SPDX 3 `spdxId`.
    public var ref: String?
    /// The `bom-ref` of the enclosing CycloneDX component for nested components
    /// (`nil` at top level, for SPDX, and when the parent has no `bom-ref`).
    public var parent: String?

    public init(
        name: String, group: String? = nil, version: String? = nil, purl: String? = nil,
        cpe: String? = nil, supplier: String? = nil, hashes: [String: String] = [:],
        licenseExpression: String? = nil, licenseMarker: LicenseMarker? = nil,
        type: String? = nil, ref: String? = nil, parent: String? = nil
    ) {
        self.name = name
        self.group = group
        self.version = version
        self.purl = purl
        self.cpe = cpe
        self.supplier = supplier
        self.hashes = hashes
        self.licenseExpression = licenseExpression
        self.licenseMarker = licenseMarker
        self.type = type
        self.ref = ref
        self.parent = parent
    }

    private enum CodingKeys: String, CodingKey {
        case name, group, version, purl, cpe, supplier, hashes, licenseExpression, licenseMarker, type, ref, parent
    }

    public static func == (a: Component, b: Component) -> Bool {
        a.name == b.name && a.group == b.group && a.version == b.version && a.purl == b.purl && a.cpe == b.cpe
            && a.supplier == b.supplier && a.hashes == b.hashes && a.licenseExpression == b.licenseExpression
            && a.licenseMarker == b.licenseMarker && a.type == b.type && a.ref == b.ref && a.parent == b.parent
    }

    /// How reports name the component: its purl (qualifiers and subpath kept),
    /// else `name@version`, else `name`.
    public var displayName: String {
        if let purl { return purl }
        if let version { return "\(name)@\(version)" }
        return name
    }
}

/// What an SBOM said instead of a license expression.
public enum LicenseMarker: String, Sendable, Codable {
    /// `NONE`: the SBOM asserts there is no license.
    case noLicense = "NONE"
    /// `NOASSERTION`: the SBOM makes no statement about the license.
    case noAssertion = "NOASSERTION"
}

/// The serialisation an SBOM was read from.
public enum SBOMFormat: String, Sendable, Codable, CaseIterable {
    case cyclonedxJSON = "cyclonedx-json"
    case cyclonedxXML = "cyclonedx-xml"
    case spdxJSON = "spdx-json"
    case spdxTagValue = "spdx-tag-value"
    case spdxYAML = "spdx-yaml"
    case spdxRDFXML = "spdx-rdf-xml"
    case spdx3JSONLD = "spdx3-jsonld"
}

/// A parsed SBOM.
public struct SBOMDocument: Sendable, Equatable {
    public var format: SBOMFormat
    /// `1.6` for CycloneDX 1.6, `2.3` for SPDX-2.3, `3.0.1` for SPDX 3.0.1.
    public var specVersion: String
    /// CycloneDX `metadata.component`: the delivered product itself, which is
    /// not judged as a component. `nil` for SPDX.
    public var product: Component?
    /// Every CycloneDX component (nested ones included, depth first, parents
    /// before their children) or every SPDX package, in document order.
    public var components: [Component]

    public init(format: SBOMFormat, specVersion: String, product: Component? = nil, components: [Component]) {
        self.format = format
        self.specVersion = specVersion
        self.product = product
        self.components = components
    }
}

/// Bounds that keep a hostile SBOM from exhausting memory or the stack.
public struct SBOMLimits: Sendable, Equatable {
    /// Largest document accepted, in bytes.
    public var maxBytes = 256 << 20
    /// Most components (CycloneDX, product included) or packages (SPDX).
    public var maxComponents = 1_000_000
    /// Deepest nesting of CycloneDX components inside components.
    public var maxComponentDepth = 64
    /// Deepest nesting of XML elements, and of SPDX 3 license sets.
    public var maxElementDepth = 256

    public init() {}

    public static let `default` = SBOMLimits()
}

/// Why an SBOM could not be read. Every parsing failure is an `SBOMError`.
public struct SBOMError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Not CycloneDX (JSON/XML), SPDX 2 (JSON/tag-value) or SPDX 3 (JSON-LD).
        case unrecognizedFormat
        /// A known format in a specification version this module does not read.
        case unsupportedVersion
        /// Breaks its format's syntax, or a rule this module relies on.
        case malformed
        /// Over a bound of `SBOMLimits`.
        case limitExceeded
        /// The file could not be read.
        case unreadable
    }

    public var kind: Kind
    /// Where: a JSON key path (`components[3].hashes[0].content`) or a line
    /// (`line 12`); `nil` when the problem concerns the whole document.
    public var location: String?
    public var message: String

    public init(_ kind: Kind, _ message: String, at location: String? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
    }

    public var description: String {
        guard let location else { return message }
        return "\(location): \(message)"
    }
}

/// A string that does not parse as a package URL, vers range, version or
/// license expression.
public struct SBOMSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text that was parsed.
    public var text: String
    public var message: String

    public init(_ text: String, _ message: String) {
        self.text = text
        self.message = message
    }

    public var description: String { "'\(text)': \(message)" }
}
