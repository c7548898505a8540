import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads CycloneDX XML (namespace `http://cyclonedx.org/schema/bom/1.x`) with
/// a streaming parser. Only elements in the BOM's namespace count: extension
/// elements of other namespaces are skipped with everything inside them, and
/// so are components outside `bom/components`, `metadata/component` and their
/// nested `components` (pedigree, formulation, ...). Documents with a DTD are
/// rejected, so no entity can be declared or fetched.
public enum CycloneDXXMLReader {
    public static let namespacePrefix = "http://cyclonedx.org/schema/bom/"

    static func read(_ data: Data, limits: SBOMLimits) throws(SBOMError) -> SBOMDocument {
        if hasDoctype(data) {
            throw SBOMError(.malformed, "XML with a DTD (<!DOCTYPE>) is not accepted")
        }
        // From a stream the parser is fed in chunks; given all the data at
        // once, libxml2 refuses documents over 10 MB ("huge input lookup").
        let parser = XMLParser(stream: InputStream(data: data))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        let handler = Handler(limits: limits)
        parser.delegate = handler
        let completed = parser.parse()
        if let error = handler.error { throw error }
        // The parser may recover from some errors: any error rejects the document.
        guard completed, parser.parserError == nil else {
            throw SBOMError(.malformed, "not well-formed XML", at: "line \(parser.lineNumber)")
        }
        guard let specVersion = handler.specVersion else {
            throw SBOMError(.unrecognizedFormat, "no CycloneDX <bom> element")
        }
        return SBOMDocument(format: .cyclonedxXML, specVersion: specVersion, product: handler.product,
                            components: handler.components)
    }

    /// Whether the prolog (before the root element) has a `<!DOCTYPE`.
    public static func hasDoctype(_ data: Data) -> Bool {
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Bool in
            var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            func starts(_ text: String) -> Bool { bytes[i...].starts(with: text.utf8) }
            func skip(past end: String) {
                while i < bytes.count, !starts(end) { i += 1 }
                i += end.utf8.count
            }
            while i < bytes.count {
                if [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) {
                    i += 1
                } else if starts("<?") {
                    skip(past: "?>")
                } else if starts("<!--") {
                    skip(past: "-->")
                } else {
                    return starts("<!DOCTYPE")
                }
            }
            return false
        }
    }

    private final class Handler: NSObject, XMLParserDelegate {
        enum Field {
            case name, version, group, purl, cpe, supplierName, licenseID, licenseName
            case expression(acknowledgement: String?)
            case hash(algorithm: String?)
        }

        enum Frame {
            case bom, metadata, supplier, hashes, licenses, license, component, ignored
            /// `parent`: the `bom-ref` of the component they are nested in.
            case components(parent: String?)
            case text(Field)
        }

        struct OpenComponent {
            var fields = CycloneDXFields()
            var parent: String?
            /// Index in `components`, or `nil` for the product.
            var slot: Int?
            var line: Int
            var licenseIDs: [String] = []
            var licenseNames: [String] = []
            var licenseAcknowledgement: String?
        }

        let limits: SBOMLimits
        private(set) var builder: CycloneDXBuilder?
        private(set) var specVersion: String?
        private(set) var product: Component?
        private(set) var components: [Component] = []
        private(set) var error: SBOMError?

        private var namespace = ""
        private var frames: [Frame] = []
        private var open: [OpenComponent] = []
        private var text = ""

        init(limits: SBOMLimits) { self.limits = limits }

        private func stop(_ parser: XMLParser, _ error: SBOMError) {
            if self.error == nil { self.error = error }
            parser.abortParsing()
        }

        private func fail(_ parser: XMLParser, _ message: String) {
            stop(parser, SBOMError(.malformed, message, at: "line \(parser.lineNumber)"))
        }

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName: String?, attributes: [String: String] = [:]
        ) {
            guard error == nil else { return }
            guard frames.count < limits.maxElementDepth else {
                return stop(parser, SBOMError(.limitExceeded, "XML elements nested deeper than \(limits.maxElementDepth)",
                                              at: "line \(parser.lineNumber)"))
            }
            guard let top = frames.last else {
                return startRoot(parser, elementName, namespaceURI ?? "")
            }
            guard namespaceURI == namespace else { return frames.append(.ignored) }
            switch (top, elementName) {
            case (.bom, "metadata"): frames.append(.metadata)
            case (.bom, "components"): frames.append(.components(parent: nil))
            case (.metadata, "component"): startComponent(parser, attributes, parent: nil, isProduct: true)
            case let (.components(parent), "component"): startComponent(parser, attributes, parent: parent, isProduct: false)
            case (.component, "components"): frames.append(.components(parent: open.last?.fields.bomRef))
            case (.component, "name"): startText(.name)
            case (.component, "version"): startText(.version)
            case (.component, "group"): startText(.group)
            case (.component, "purl"): startText(.purl)
            case (.component, "cpe"): startText(.cpe)
            case (.component, "supplier"): frames.append(.supplier)
            case (.supplier, "name"): startText(.supplierName)
            case (.component, "hashes"): frames.append(.hashes)
            case (.hashes, "hash"): startText(.hash(algorithm: attributes["alg"]))
            case (.component, "licenses"): frames.append(.licenses)
            case (.licenses, "license"):
                open[open.count - 1].licenseIDs = []
                open[open.count - 1].licenseNames = []
                open[open.count - 1].licenseAcknowledgement = attributes["acknowledgement"]
                frames.append(.license)
            case (.license, "id"): startText(.licenseID)
            case (.license, "name"): startText(.licenseName)
            case (.licenses, "expression"): startText(.expression(acknowledgement: attributes["acknowledgement"]))
            case (.licenses, "expression-detailed"):
                guard let expression = attributes["expression"] else {
                    return fail(parser, "<expression-detailed> without an expression attribute")
                }
                open[open.count - 1].fields.licenses.append(
                    CycloneDXLicense(kind: .expression(expression), acknowledgement: attributes["acknowledgement"]))
                frames.append(.ignored)
            default: frames.append(.ignored)
            }
        }

        private func startRoot(_ parser: XMLParser, _ name: String, _ namespaceURI: String) {
            guard name == "bom", namespaceURI.hasPrefix(CycloneDXXMLReader.namespacePrefix) else {
                return stop(parser, SBOMError(
                    .unrecognizedFormat,
                    "XML root <\(name.prefix(80))> in namespace \(quoted(namespaceURI)) is not a CycloneDX <bom>"))
            }
            let version = String(namespaceURI.dropFirst(CycloneDXXMLReader.namespacePrefix.count))
            do throws(SBOMError) {
                builder = try CycloneDXBuilder(specVersion: version, json: false, limits: limits, at: "line \(parser.lineNumber)")
            } catch {
                return stop(parser, error)
            }
            namespace = namespaceURI
            specVersion = version
            frames.append(.bom)
        }

        private func startComponent(_ parser: XMLParser, _ attributes: [String: String], parent: String?, isProduct: Bool) {
            guard open.count < limits.maxComponentDepth else {
                return stop(parser, SBOMError(.limitExceeded, "components nested deeper than \(limits.maxComponentDepth) levels",
                                              at: "line \(parser.lineNumber)"))
            }
            var component = OpenComponent(parent: parent, line: parser.lineNumber)
            component.fields.type = attributes["type"]
            component.fields.bomRef = attributes["bom-ref"]
            if !isProduct {
                component.slot = components.count
                // Reserved so parents come before their children.
                components.append(Component(name: ""))
            }
            open.append(component)
            frames.append(.component)
        }

        private func startText(_ field: Field) {
            text = ""
            frames.append(.text(field))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if case .text? = frames.last { text += string }
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            if case .text? = frames.last { text += String(decoding: CDATABlock, as: UTF8.self) }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            guard error == nil, let frame = frames.popLast() else { return }
            switch frame {
            case let .text(field):
                endText(parser, field, text.trimmed)
            case .license:
                let current = open[open.count - 1]
                guard current.licenseIDs.count + current.licenseNames.count == 1 else {
                    return fail(parser, "<license> needs exactly one <id> or <name>")
                }
                let kind: CycloneDXLicense.Kind = current.licenseIDs.first.map { .id($0) } ?? .name(current.licenseNames[0])
                open[open.count - 1].fields.licenses.append(
                    CycloneDXLicense(kind: kind, acknowledgement: current.licenseAcknowledgement))
            case .component:
                guard let component = open.popLast() else { return }
                do throws(SBOMError) {
                    // Mutated in place: a copy would copy its set of bom-refs every time.
                    guard let built = try builder?.component(component.fields, parent: component.parent, isProduct: component.slot == nil,
                                                                 at: "line \(component.line)")
                    else { return }
                    if let slot = component.slot { components[slot] = built } else { product = built }
                } catch {
                    return stop(parser, error)
                }
            default:
                break
            }
        }

        private func endText(_ parser: XMLParser, _ field: Field, _ value: String) {
            let i = open.count - 1
            switch field {
            case .name: open[i].fields.name = value
            case .version: open[i].fields.version = value
            case .group: open[i].fields.group = value
            case .purl: open[i].fields.purl = value
            case .cpe: open[i].fields.cpe = value
            case .supplierName: open[i].fields.supplier = value
            case .licenseID: open[i].licenseIDs.append(value)
            case .licenseName: open[i].licenseNames.append(value)
            case let .expression(acknowledgement):
                open[i].fields.licenses.append(CycloneDXLicense(kind: .expression(value), acknowledgement: acknowledgement))
            case let .hash(algorithm):
                guard let algorithm else { return fail(parser, "<hash> without an alg attribute") }
                open[i].fields.hashes.append((algorithm, value))
            }
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
            let code = (parseError as NSError).code
            fail(parser, "not well-formed XML (parser error \(code))")
        }

        func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) {
            fail(parser, "entity declarations are not accepted")
        }
    }
}
