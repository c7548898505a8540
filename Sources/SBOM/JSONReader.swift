import Foundation

/// Reads a JSON SBOM: CycloneDX (`bomFormat`), SPDX 2 (`spdxVersion`) or
/// SPDX 3 (`@context`/`@graph`), with one JSONDecoder pass.
enum JSONReader {
    private static let budgetKey = CodingUserInfoKey(rawValue: "passbox.sbom.budget")

    /// The budget `read` handed to the decoder.
    static func budget(of decoder: any Decoder) -> DecodingBudget {
        budgetKey.flatMap { decoder.userInfo[$0] } as? DecodingBudget ?? DecodingBudget(limits: .default)
    }

    static func read(_ data: Data, limits: SBOMLimits) throws(SBOMError) -> SBOMDocument {
        // CycloneDX that reads without surprises; anything else, errors included, below.
        if let document = CycloneDXJSONStream.read(data, limits: limits) { return document }
        return try decode(data, limits: limits)
    }

    /// The JSONDecoder path: every JSON SBOM, with errors located by key path.
    static func decode(_ data: Data, limits: SBOMLimits) throws(SBOMError) -> SBOMDocument {
        let decoder = JSONDecoder()
        if let budgetKey { decoder.userInfo[budgetKey] = DecodingBudget(limits: limits) }
        let content: JSONSBOM
        do {
            content = try decoder.decode(JSONSBOM.self, from: data)
        } catch let error as SBOMError {
            throw error
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty && context.underlyingError == nil {
            throw syntaxError(in: data)
        } catch let error as DecodingError {
            throw sbomError(error)
        } catch {
            throw SBOMError(.malformed, "\(error)")
        }
        // Converted once the decoder's copy of the JSON is released.
        return try content.document(limits: limits)
    }

    /// JSONDecoder does not say where JSON syntax breaks; JSONSerialization
    /// does ("around character 14"), which is turned into a line number.
    private static func syntaxError(in data: Data) -> SBOMError {
        let detail: String
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return SBOMError(.malformed, "not valid JSON")
        } catch {
            detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
        }
        guard let range = detail.range(of: "character "),
              let offset = Int(detail[range.upperBound...].prefix(while: \.isNumber)), offset <= data.count
        else { return SBOMError(.malformed, "not valid JSON: \(detail)") }
        let line = data.prefix(offset).reduce(into: 1) { count, byte in if byte == 0x0A { count += 1 } }
        return SBOMError(.malformed, "not valid JSON: \(detail)", at: "line \(line)")
    }

    /// A DecodingError as an SBOMError located at its key path.
    private static func sbomError(_ error: DecodingError) -> SBOMError {
        switch error {
        case let .typeMismatch(type, context):
            return SBOMError(.malformed, "expected \(describe(type))", at: path(context.codingPath))
        case let .valueNotFound(type, context):
            return SBOMError(.malformed, "expected \(describe(type)), found null", at: path(context.codingPath))
        case let .keyNotFound(key, context):
            return SBOMError(.malformed, "missing '\(key.stringValue)'", at: path(context.codingPath))
        case let .dataCorrupted(context):
            let detail = context.underlyingError.map { ": \($0)" } ?? ""
            return SBOMError(.malformed, context.debugDescription + detail, at: path(context.codingPath))
        @unknown default:
            return SBOMError(.malformed, "\(error)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is [Any].Type: return "an array"
        case is [String: Any].Type: return "an object"
        default: return "\(type)"
        }
    }

    /// `components[3].hashes[0].content`; `nil` for the root.
    static func path(_ codingPath: [any CodingKey]) -> String? {
        var result = ""
        for key in codingPath {
            if let index = key.intValue {
                result += "[\(index)]"
            } else {
                result += (result.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return result.isEmpty ? nil : result
    }
}

/// The limits, and the components decoded so far: counted while decoding so
/// that a document with too many stops before they are all in memory.
final class DecodingBudget: @unchecked Sendable {
    let limits: SBOMLimits
    private let lock = NSLock()
    private var components = 0

    init(limits: SBOMLimits) { self.limits = limits }

    /// Counts one more component (or package); throws past `maxComponents`.
    func takeComponent(at codingPath: [any CodingKey]) throws(SBOMError) {
        lock.lock()
        components += 1
        let count = components
        lock.unlock()
        guard count <= limits.maxComponents else {
            throw SBOMError(.limitExceeded, "more than \(limits.maxComponents) components", at: JSONReader.path(codingPath))
        }
    }
}

/// Any JSON object key.
struct AnyKey: CodingKey {
    let stringValue: String
    let intValue: Int? = nil
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A JSON SBOM as decoded, before conversion to components.
private enum JSONSBOM: Decodable {
    case cycloneDX(specVersion: String, product: CDXComponent?, components: [CDXComponent])
    case spdx2(specVersion: String, packages: [SPDX2Package])
    case spdx3(graph: [SPDX3Reader.Element])

    init(from decoder: any Decoder) throws {
        let root: KeyedDecodingContainer<AnyKey>
        do {
            root = try decoder.container(keyedBy: AnyKey.self)
        } catch {
            throw SBOMError(.unrecognizedFormat, "JSON document is not an object")
        }
        if root.contains(AnyKey("bomFormat")) {
            let format = try root.decode(String.self, forKey: AnyKey("bomFormat"))
            guard format == "CycloneDX" else {
                throw SBOMError(.unrecognizedFormat, "bomFormat is \(quoted(format)), not 'CycloneDX'", at: "bomFormat")
            }
            guard let specVersion = try root.decodeIfPresent(String.self, forKey: AnyKey("specVersion")) else {
                throw SBOMError(.malformed, "missing specVersion")
            }
            self = .cycloneDX(
                specVersion: specVersion,
                product: try root.decodeIfPresent(CDXMetadata.self, forKey: AnyKey("metadata"))?.component,
                components: try root.decodeIfPresent([CDXComponent].self, forKey: AnyKey("components")) ?? [])
        } else if root.contains(AnyKey("spdxVersion")) {
            let version = try SPDX2Reader.specVersion(try root.decode(String.self, forKey: AnyKey("spdxVersion")), at: "spdxVersion")
            self = .spdx2(specVersion: version, packages: try SPDX2Reader.jsonPackages(root))
        } else if root.contains(AnyKey("@graph")) || root.contains(AnyKey("@context")) {
            self = .spdx3(graph: try SPDX3Reader.graph(root))
        } else {
            throw SBOMError(.unrecognizedFormat,
                            "JSON document is neither CycloneDX (bomFormat), SPDX 2 (spdxVersion) nor SPDX 3 (@context)")
        }
    }

    func document(limits: SBOMLimits) throws(SBOMError) -> SBOMDocument {
        switch self {
        case let .cycloneDX(specVersion, product, components):
            return try CycloneDXJSONComponents.document(specVersion: specVersion, main: product, top: components, limits: limits)
        case let .spdx2(specVersion, packages):
            return try SPDX2Reader.document(format: .spdxJSON, specVersion: specVersion, packages: packages,
                                            limits: limits, location: { "packages[\($0)]" })
        case let .spdx3(graph):
            return try SPDX3Reader.document(graph: graph, limits: limits)
        }
    }
}

/// CycloneDX JSON components, as decoded (by JSONDecoder or the stream reader),
/// checked and converted.
enum CycloneDXJSONComponents {
    static func document(
        specVersion: String, main: CDXComponent?, top: [CDXComponent], limits: SBOMLimits
    ) throws(SBOMError) -> SBOMDocument {
        var builder = try CycloneDXBuilder(specVersion: specVersion, json: true, limits: limits, at: "specVersion")
        var product: Component?
        var components: [Component] = []
        components.reserveCapacity(top.count)
        // Depth first, parents before children, without recursion. `nodes` records where each
        // component is, as (enclosing node, index) links, rendered only for an error.
        var nodes: [(parent: Int?, index: Int)] = []
        var pending: [(component: CDXComponent, parent: String?, node: Int)] = []
        func push(_ children: [CDXComponent], parent: String?, under node: Int?) {
            for (i, child) in children.enumerated().reversed() {
                nodes.append((node, i))
                pending.append((child, parent, nodes.count - 1))
            }
        }
        push(top, parent: nil, under: nil)
        var productChildren: Range<Int>?
        if let main {
            product = try builder.component(main.fields, parent: nil, isProduct: true, at: "metadata.component")
            let start = nodes.count
            push(main.components ?? [], parent: main.fields.bomRef, under: nil)
            productChildren = start..<nodes.count
        }
        func location(_ node: Int) -> String {
            var parts: [String] = []
            var current: Int? = node
            var root = node
            while let index = current {
                parts.append("components[\(nodes[index].index)]")
                root = index
                current = nodes[index].parent
            }
            let prefix = productChildren?.contains(root) == true ? "metadata.component." : ""
            return prefix + parts.reversed().joined(separator: ".")
        }
        while let (component, parent, node) = pending.popLast() {
            components.append(try builder.component(component.fields, parent: parent, at: location(node)))
            push(component.components ?? [], parent: component.fields.bomRef, under: node)
        }
        return SBOMDocument(format: .cyclonedxJSON, specVersion: specVersion, product: product, components: components)
    }
}

private struct CDXMetadata: Decodable {
    let component: CDXComponent?
}

struct CDXComponent: Decodable {
    let fields: CycloneDXFields
    let components: [CDXComponent]?

    init(fields: CycloneDXFields, components: [CDXComponent]?) {
        self.fields = fields
        self.components = components
    }

    private enum Keys: String, CodingKey {
        case type, group, name, version, purl, cpe, supplier, hashes, licenses, components
        case bomRef = "bom-ref"
    }

    init(from decoder: any Decoder) throws {
        let budget = JSONReader.budget(of: decoder)
        let codingPath = decoder.codingPath
        try budget.takeComponent(at: codingPath)
        // Each level of nesting adds two keys to the path: `components`, index.
        if codingPath.count > 2 * budget.limits.maxComponentDepth {
            throw SBOMError(.limitExceeded, "components nested deeper than \(budget.limits.maxComponentDepth) levels",
                            at: JSONReader.path(codingPath))
        }
        let c = try decoder.container(keyedBy: Keys.self)
        var fields = CycloneDXFields()
        fields.type = try c.decodeIfPresent(String.self, forKey: .type)
        fields.bomRef = try c.decodeIfPresent(String.self, forKey: .bomRef)
        fields.group = try c.decodeIfPresent(String.self, forKey: .group)
        fields.name = try c.decodeIfPresent(String.self, forKey: .name)
        fields.version = try c.decodeIfPresent(String.self, forKey: .version)
        fields.purl = try c.decodeIfPresent(String.self, forKey: .purl)
        fields.cpe = try c.decodeIfPresent(String.self, forKey: .cpe)
        fields.supplier = try c.decodeIfPresent(CDXOrganization.self, forKey: .supplier)?.name
        fields.hashes = try (c.decodeIfPresent([CDXHash].self, forKey: .hashes) ?? []).map { ($0.alg, $0.content) }
        fields.licenses = try (c.decodeIfPresent([CDXLicenseChoice].self, forKey: .licenses) ?? []).map(\.license)
        self.fields = fields
        components = try c.decodeIfPresent([CDXComponent].self, forKey: .components)
    }
}

private struct CDXOrganization: Decodable {
    let name: String?
}

private struct CDXHash: Decodable {
    let alg: String
    let content: String
}

private struct CDXLicenseChoice: Decodable {
    let license: CycloneDXLicense

    private enum Keys: String, CodingKey {
        case license, expression, acknowledgement
    }

    private struct Body: Decodable {
        let id: String?
        let name: String?
        let acknowledgement: String?
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let body = try c.decodeIfPresent(Body.self, forKey: .license)
        let expression = try c.decodeIfPresent(String.self, forKey: .expression)
        func fail(_ message: String) -> SBOMError {
            SBOMError(.malformed, message, at: JSONReader.path(decoder.codingPath))
        }
        switch (body, expression) {
        case let (nil, expression?):
            license = CycloneDXLicense(kind: .expression(expression),
                                       acknowledgement: try c.decodeIfPresent(String.self, forKey: .acknowledgement))
        case let (body?, nil):
            switch (body.id, body.name) {
            case let (id?, nil): license = CycloneDXLicense(kind: .id(id), acknowledgement: body.acknowledgement)
            case let (nil, name?): license = CycloneDXLicense(kind: .name(name), acknowledgement: body.acknowledgement)
            case (nil, nil): throw fail("license has neither id nor name")
            case (_?, _?): throw fail("license has both id and name")
            }
        case (nil, nil):
            throw fail("licenses entry has neither license nor expression")
        case (_?, _?):
            throw fail("licenses entry has both license and expression")
        }
    }
}
