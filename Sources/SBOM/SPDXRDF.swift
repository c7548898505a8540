import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads SPDX 2.x RDF/XML (as spdx-tools and the SPDX Java tools write it):
/// every `spdx:Package` node, wherever it is nested (RDF/XML nests a node
/// where it is first referenced), is a package; nodes describing the same
/// package (`rdf:about`) more than once are merged. Licenses are resolved
/// from `rdf:resource` IRIs (`http://spdx.org/licenses/MIT`,
/// `...#noassertion`, `doc#LicenseRef-1`), license sets, or-later and
/// with-exception operators, also through `rdf:nodeID` references.
///
/// The XML is first read into a small tree (bounded: element depth
/// `limits.maxElementDepth`, documents with a DTD rejected, no entities).
enum SPDXRDFReader {
    static let rdfNamespace = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    static let spdxNamespace = "http://spdx.org/rdf/terms#"

    /// Whether the start of an XML document declares the RDF and SPDX 2 namespaces.
    static func looksLikeRDF(_ data: Data) -> Bool {
        let head = data.prefix(64 << 10)
        return head.range(of: Data("spdx.org/rdf/terms".utf8)) != nil && head.range(of: Data("22-rdf-syntax-ns#".utf8)) != nil
    }

    static func read(_ data: Data, limits: SBOMLimits) throws(SBOMError) -> SBOMDocument {
        if CycloneDXXMLReader.hasDoctype(data) {
            throw SBOMError(.malformed, "XML with a DTD (<!DOCTYPE>) is not accepted")
        }
        let tree = try XMLTree(data, limits: limits)
        guard let root = tree.nodes.first, root.namespace == rdfNamespace, root.name == "RDF" else {
            throw SBOMError(.unrecognizedFormat, "XML root is not rdf:RDF")
        }
        let reader = Interpreter(tree: tree, limits: limits)
        return try reader.document()
    }

    private struct Interpreter {
        let tree: XMLTree
        let limits: SBOMLimits
        /// `rdf:nodeID` -> node index, for references to blank nodes.
        let blankNodes: [String: Int]

        init(tree: XMLTree, limits: SBOMLimits) {
            self.tree = tree
            self.limits = limits
            var blankNodes: [String: Int] = [:]
            // Typed nodes (classes: `ConjunctiveLicenseSet`) define blank nodes; property
            // elements (`member`) only refer to them.
            for (i, node) in tree.nodes.enumerated() where node.name.first?.isUppercase == true {
                if let id = node.attributes["nodeID"], blankNodes[id] == nil {
                    blankNodes[id] = i
                }
            }
            self.blankNodes = blankNodes
        }

        func document() throws(SBOMError) -> SBOMDocument {
            var specVersion: String?
            var order: [String] = []
            var packages: [String: (package: SPDX2Package, line: Int)] = [:]
            for (i, node) in tree.nodes.enumerated() where node.namespace == spdxNamespace {
                if node.name == "specVersion", specVersion == nil {
                    specVersion = node.text.trimmed
                }
                guard node.name == "Package" else { continue }
                let key = node.attributes["about"] ?? node.attributes["nodeID"].map { "_:" + $0 } ?? "#\(i)"
                if packages[key] == nil {
                    order.append(key)
                    var package = SPDX2Package()
                    if let about = node.attributes["about"] { package.spdxID = fragment(about) }
                    packages[key] = (package, node.line)
                }
                guard var entry = packages[key] else { continue }
                try read(properties: node, into: &entry.package)
                packages[key] = entry
            }
            guard let specVersion else { throw SBOMError(.malformed, "no spdx:specVersion") }
            let version = try SPDX2Reader.specVersion(specVersion, at: nil)
            let list = order.compactMap { packages[$0] }
            return try SPDX2Reader.document(format: .spdxRDFXML, specVersion: version, packages: list.map(\.package),
                                            limits: limits, location: { "line \(list[$0].line)" })
        }

        private func read(properties node: XMLTree.Node, into package: inout SPDX2Package) throws(SBOMError) {
            for index in node.children {
                let child = tree.nodes[index]
                guard child.namespace == spdxNamespace else { continue }
                switch child.name {
                case "name": if package.name == nil { package.name = child.text.trimmed }
                case "versionInfo": if package.version == nil { package.version = child.text.trimmed }
                case "supplier": if package.supplier == nil { package.supplier = child.text.trimmed }
                case "licenseConcluded":
                    if package.licenseConcluded == nil { package.licenseConcluded = try license(child, depth: 0) }
                case "licenseDeclared":
                    if package.licenseDeclared == nil { package.licenseDeclared = try license(child, depth: 0) }
                case "primaryPackagePurpose":
                    if let resource = child.attributes["resource"] {
                        package.primaryPurpose = fragment(resource).replacingOccurrences(of: "purpose_", with: "")
                    }
                case "checksum":
                    guard let checksum = object(of: child) else { continue }
                    let algorithm = property(checksum, "algorithm").flatMap { $0.attributes["resource"] }.map(checksumAlgorithm)
                    let value = property(checksum, "checksumValue")?.text.trimmed
                    guard let algorithm, let value else {
                        throw SBOMError(.malformed, "Checksum without algorithm or checksumValue", at: "line \(child.line)")
                    }
                    package.checksums.append((algorithm, value))
                case "externalRef":
                    guard let ref = object(of: child) else { continue }
                    let category = property(ref, "referenceCategory").flatMap { $0.attributes["resource"] }.map(referenceCategory)
                    let type = property(ref, "referenceType").flatMap { $0.attributes["resource"] ?? $0.text.trimmed }
                    let locator = property(ref, "referenceLocator")?.text.trimmed
                    guard let category, let type, let locator else {
                        throw SBOMError(.malformed, "ExternalRef without category, type or locator", at: "line \(child.line)")
                    }
                    package.externalRefs.append((category, lastSegment(type), locator))
                default:
                    break
                }
            }
        }

        /// The node a property points to: its only child element, or the blank
        /// node its `rdf:nodeID` names.
        private func object(of property: XMLTree.Node) -> XMLTree.Node? {
            if let first = property.children.first { return tree.nodes[first] }
            if let id = property.attributes["nodeID"], let index = blankNodes[id] { return tree.nodes[index] }
            return nil
        }

        private func property(_ node: XMLTree.Node, _ name: String) -> XMLTree.Node? {
            node.children.lazy.map { tree.nodes[$0] }.first { $0.namespace == spdxNamespace && $0.name == name }
        }

        /// The license expression a license property (or a license node) stands for.
        private func license(_ property: XMLTree.Node, depth: Int) throws(SBOMError) -> String {
            guard depth < limits.maxElementDepth else {
                throw SBOMError(.limitExceeded, "license nodes nested deeper than \(limits.maxElementDepth)", at: "line \(property.line)")
            }
            if let resource = property.attributes["resource"] { return licenseID(resource) }
            guard let node = object(of: property) else {
                let text = property.text.trimmed
                guard !text.isEmpty else { throw SBOMError(.malformed, "empty license property", at: "line \(property.line)") }
                return text
            }
            return try licenseNode(node, depth: depth + 1)
        }

        private func licenseNode(_ node: XMLTree.Node, depth: Int) throws(SBOMError) -> String {
            func fail(_ message: String) -> SBOMError { SBOMError(.malformed, message, at: "line \(node.line)") }
            func members(_ name: String) -> [XMLTree.Node] {
                node.children.map { tree.nodes[$0] }.filter { $0.namespace == spdxNamespace && $0.name == name }
            }
            switch node.name {
            case "DisjunctiveLicenseSet", "ConjunctiveLicenseSet":
                let parts = try members("member").map { (member) throws(SBOMError) in try license(member, depth: depth) }
                guard !parts.isEmpty else { throw fail("empty \(node.name)") }
                return joinLicenses(parts, with: node.name == "DisjunctiveLicenseSet" ? "OR" : "AND")
            case "OrLaterOperator":
                guard let member = members("member").first else { throw fail("OrLaterOperator without a member") }
                return try license(member, depth: depth) + "+"
            case "WithExceptionOperator":
                guard let member = members("member").first, let exception = members("licenseException").first else {
                    throw fail("WithExceptionOperator without a member or licenseException")
                }
                let exceptionNode = object(of: exception)
                let exceptionID = exceptionNode.flatMap { property($0, "licenseExceptionId")?.text.trimmed }
                    ?? exceptionNode?.attributes["about"].map(lastSegment)
                    ?? exception.attributes["resource"].map(lastSegment)
                guard let exceptionID else { throw fail("licenseException without an id") }
                return "\(try license(member, depth: depth)) WITH \(exceptionID)"
            default:
                // ListedLicense, License, ExtractedLicensingInfo, SimpleLicensingInfo, ...
                if let id = property(node, "licenseId")?.text.trimmed, !id.isEmpty { return id }
                if let about = node.attributes["about"] { return licenseID(about) }
                throw fail("\(node.name.prefix(80)) is not a license")
            }
        }

        /// `http://spdx.org/licenses/MIT` -> `MIT`; the `noassertion` and `none`
        /// individuals -> `NOASSERTION`, `NONE`; `doc#LicenseRef-1` -> `LicenseRef-1`.
        private func licenseID(_ iri: String) -> String {
            switch iri {
            case spdxNamespace + "noassertion": return "NOASSERTION"
            case spdxNamespace + "none": return "NONE"
            default: return lastSegment(iri)
            }
        }

        /// `...#checksumAlgorithm_sha256` -> `SHA256`; `sha3_256` -> `SHA3-256`,
        /// `blake2b256` -> `BLAKE2B-256`.
        private func checksumAlgorithm(_ iri: String) -> String {
            var name = fragment(iri).replacingOccurrences(of: "checksumAlgorithm_", with: "").uppercased()
                .replacingOccurrences(of: "_", with: "-")
            if name.hasPrefix("BLAKE2B"), !name.hasPrefix("BLAKE2B-") { name = "BLAKE2B-" + name.dropFirst(7) }
            return name
        }

        /// `...#referenceCategory_packageManager` -> `PACKAGE-MANAGER`.
        private func referenceCategory(_ iri: String) -> String {
            let name = fragment(iri).replacingOccurrences(of: "referenceCategory_", with: "")
            var result = ""
            for character in name {
                if character.isUppercase, !result.isEmpty { result += "-" }
                result += character.uppercased()
            }
            return result
        }

        private func fragment(_ iri: String) -> String {
            guard let hash = iri.lastIndex(of: "#") else { return iri }
            return String(iri[iri.index(after: hash)...])
        }

        private func lastSegment(_ iri: String) -> String {
            String(iri.split(whereSeparator: { $0 == "/" || $0 == "#" }).last ?? Substring(iri))
        }
    }
}

/// An XML document as a flat list of element nodes (document order; the root
/// first), each with its namespace, local name, attributes by local name,
/// direct text, and the indices of its child elements.
struct XMLTree {
    struct Node {
        var namespace: String
        var name: String
        var attributes: [String: String]
        var text = ""
        var children: [Int] = []
        var line: Int
    }

    private(set) var nodes: [Node] = []

    init(_ data: Data, limits: SBOMLimits) throws(SBOMError) {
        let parser = XMLParser(stream: InputStream(data: data))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        let builder = Builder(limits: limits)
        parser.delegate = builder
        let completed = parser.parse()
        if let error = builder.error { throw error }
        guard completed, parser.parserError == nil else {
            throw SBOMError(.malformed, "not well-formed XML", at: "line \(parser.lineNumber)")
        }
        nodes = builder.nodes
    }

    private final class Builder: NSObject, XMLParserDelegate {
        let limits: SBOMLimits
        var nodes: [Node] = []
        var open: [Int] = []
        var error: SBOMError?

        init(limits: SBOMLimits) { self.limits = limits }

        private func stop(_ parser: XMLParser, _ error: SBOMError) {
            if self.error == nil { self.error = error }
            parser.abortParsing()
        }

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName: String?, attributes: [String: String] = [:]
        ) {
            guard error == nil else { return }
            guard open.count < limits.maxElementDepth else {
                return stop(parser, SBOMError(.limitExceeded, "XML elements nested deeper than \(limits.maxElementDepth)",
                                              at: "line \(parser.lineNumber)"))
            }
            var byLocalName: [String: String] = [:]
            for (key, value) in attributes {
                let local = key.split(separator: ":").last.map(String.init) ?? key
                byLocalName[local] = value
            }
            let name = elementName.split(separator: ":").last.map(String.init) ?? elementName
            nodes.append(Node(namespace: namespaceURI ?? "", name: name, attributes: byLocalName, line: parser.lineNumber))
            if let parent = open.last { nodes[parent].children.append(nodes.count - 1) }
            open.append(nodes.count - 1)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            _ = open.popLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let current = open.last { nodes[current].text += string }
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            if let current = open.last { nodes[current].text += String(decoding: CDATABlock, as: UTF8.self) }
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
            stop(parser, SBOMError(.malformed, "not well-formed XML (parser error \((parseError as NSError).code))",
                                   at: "line \(parser.lineNumber)"))
        }

        func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) {
            stop(parser, SBOMError(.malformed, "entity declarations are not accepted", at: "line \(parser.lineNumber)"))
        }
    }
}
