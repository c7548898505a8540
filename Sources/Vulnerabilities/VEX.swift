import Foundation
import SBOM

/// What a VEX statement says about a vulnerability in a product.
public enum VEXStatus: String, Sendable, Equatable, Codable {
    case notAffected = "not_affected"
    case affected
    case fixed
    case underInvestigation = "under_investigation"

    /// `not_affected` and `fixed` suppress a finding; `affected` and
    /// `under_investigation` keep it.
    public var suppresses: Bool { self == .notAffected || self == .fixed }
}

/// A product purl limited to one version or a `vers` range (CycloneDX `affects[].versions[]`).
public struct VEXVersionedProduct: Sendable, Equatable {
    public var purl: String
    public var version: String?
    public var range: String?
    public init(purl: String, version: String? = nil, range: String? = nil) {
        self.purl = purl
        self.version = version
        self.range = range
    }

    /// The purl names the component (its own version, if any, set aside) and the
    /// component's version is the listed one (in the purl type's order) or in the range.
    /// A range that does not parse, or a version outside its scheme, covers nothing.
    func covers(_ component: Component, purl componentPurl: PackageURL) -> Bool {
        guard var product = try? PackageURL(purl) else { return false }
        product.version = nil
        guard VEXStatement.purl(product, covers: componentPurl, componentVersion: component.version),
              let own = componentPurl.version ?? component.version else { return false }
        if let version {
            let scheme = VersionScheme(purlType: product.type.lowercased()) ?? .generic
            return version == own || scheme.compare(version, own) == .orderedSame
        }
        guard let range, let parsed = try? VersRange(range) else { return false }
        return parsed.contains(own) == true
    }
}

/// One VEX statement from OpenVEX or CycloneDX, in one model.
public struct VEXStatement: Sendable, Equatable {
    /// The vulnerability's id (CVE, GHSA, OSV id, …) and any aliases the document gives.
    public var vulnerability: String
    public var aliases: [String]
    /// Products as purls (a purl without version covers every version).
    public var products: [String]
    /// Products named by CycloneDX `bom-ref` (matched against the SBOM component's ref).
    public var productRefs: [String]
    /// Products limited to a version or a `vers` range (CycloneDX `affects[].versions`).
    public var versionedProducts: [VEXVersionedProduct]
    public var status: VEXStatus
    /// OpenVEX justification, or CycloneDX `analysis.justification` (or "false_positive").
    public var justification: String?
    /// OpenVEX `impact_statement` / `status_notes`, CycloneDX `analysis.detail`.
    public var detail: String?
    /// RFC 3339 (statement's, else document's): the latest statement wins.
    public var timestamp: String?
    /// Where it came from (document id or file name).
    public var source: String

    public init(vulnerability: String, aliases: [String] = [], products: [String], productRefs: [String] = [],
                versionedProducts: [VEXVersionedProduct] = [],
                status: VEXStatus, justification: String? = nil, detail: String? = nil, timestamp: String? = nil,
                source: String) {
        self.vulnerability = vulnerability
        self.aliases = aliases
        self.products = products
        self.productRefs = productRefs
        self.versionedProducts = versionedProducts
        self.status = status
        self.justification = justification
        self.detail = detail
        self.timestamp = timestamp
        self.source = source
    }

    /// What a suppression shows: the justification and detail.
    public var explanation: String {
        [justification, detail].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
    }
}

public struct VEXError: Error, Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var message: String
    public init(_ source: String, _ message: String) {
        self.source = source
        self.message = message
    }
    public var description: String { "\(source): \(message)" }
}

/// Bounds on VEX documents (untrusted input).
public struct VEXLimits: Sendable {
    public var maxBytes = 64 << 20
    public var maxStatements = 1_000_000
    public var maxProductsPerStatement = 100_000
    public var maxComponents = 1_000_000
    public var maxDepth = 64
    public var maxStringLength = 4_096
    public init() {}
    public static let `default` = VEXLimits()
}

/// VEX statements, looked up by vulnerability id and component.
public struct VEXStatements: Sendable {
    public private(set) var statements: [VEXStatement] = []
    private var byID: [String: [Int]] = [:]

    public init(_ statements: [VEXStatement] = []) {
        for s in statements { add(s) }
    }

    public mutating func add(_ statement: VEXStatement) {
        let index = statements.count
        statements.append(statement)
        for id in Set([statement.vulnerability] + statement.aliases) { byID[id, default: []].append(index) }
    }

    public var isEmpty: Bool { statements.isEmpty }

    /// The statement that applies to a vulnerability (any of its ids) in a component:
    /// of those naming one of the ids and matching the component, the one with the
    /// latest timestamp (later in input order on a tie or without timestamps).
    public func statement(for ids: [String], component: Component, purl: PackageURL?) -> VEXStatement? {
        var candidates = Set<Int>()
        for id in ids { candidates.formUnion(byID[id] ?? []) }
        var best: (index: Int, statement: VEXStatement)?
        for index in candidates.sorted() {
            let s = statements[index]
            guard s.applies(to: component, purl: purl) else { continue }
            if let current = best, Self.isLater(current.statement.timestamp, than: s.timestamp) { continue }
            best = (index, s)
        }
        return best?.statement
    }

    /// True when `a` is a later time than `b` (RFC 3339 times compared as instants;
    /// a statement without a time is earlier than one with a time).
    static func isLater(_ a: String?, than b: String?) -> Bool {
        guard let a else { return false }
        guard let b else { return true }
        if let x = VulnerabilityPolicy.parseUntil(a), let y = VulnerabilityPolicy.parseUntil(b) { return x > y }
        return a > b
    }
}

extension VEXStatement {
    /// True when a product names the component: by purl (type, namespace, name equal;
    /// a stated version must equal the component's; every stated qualifier must be
    /// present with the same value), or by `bom-ref`.
    func applies(to component: Component, purl: PackageURL?) -> Bool {
        if let ref = component.ref, productRefs.contains(ref) { return true }
        guard let purl else { return false }
        for text in products {
            guard let product = try? PackageURL(text) else { continue }
            if Self.purl(product, covers: purl, componentVersion: component.version) { return true }
        }
        for versioned in versionedProducts where versioned.covers(component, purl: purl) { return true }
        return false
    }

    static func purl(_ product: PackageURL, covers component: PackageURL, componentVersion: String?) -> Bool {
        let type = product.type.lowercased()
        guard type == component.type.lowercased() else { return false }
        let base = type == "pypi" ? "pypi" : type == "nuget" ? "nuget" : type == "composer" ? "packagist" : type
        guard Ecosystems.normalise(name: product.name, base: base) == Ecosystems.normalise(name: component.name, base: base),
              (product.namespace ?? "").lowercased() == (component.namespace ?? "").lowercased() || (product.namespace ?? "") == (component.namespace ?? "")
        else { return false }
        if let version = product.version {
            guard let own = component.version ?? componentVersion else { return false }
            let scheme = VersionScheme(purlType: type) ?? .generic
            guard version == own || scheme.compare(version, own) == .orderedSame else { return false }
        }
        for (key, value) in product.qualifiers {
            guard component.qualifiers[key] == value else { return false }
        }
        return true
    }
}
