import Foundation
import SBOM
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads the VEX of a CycloneDX XML document (an SBOM with `<vulnerabilities>`, or a
/// separate VEX BOM), namespace `http://cyclonedx.org/schema/bom/1.x`, into the same
/// raw model as the JSON form, so that both give the same statements:
///
/// ```xml
/// <bom serialNumber="urn:uuid:…">
///   <metadata><timestamp>…</timestamp><component bom-ref="…"><purl>…</purl></component></metadata>
///   <components><component bom-ref="…"><purl>…</purl><components>…</components></component></components>
///   <vulnerabilities><vulnerability>
///     <id>…</id><references><reference><id>…</id></reference></references><updated>…</updated>
///     <analysis><state>…</state><justification>…</justification><detail>…</detail><lastUpdated>…</lastUpdated></analysis>
///     <affects><target><ref>…</ref><versions><version><version>…</version>|<range>vers:…</range><status>…</status></version></versions></target></affects>
///   </vulnerability></vulnerabilities>
/// </bom>
/// ```
///
/// Bounded as the SBOM reader is: a document with a DTD (`<!DOCTYPE`) is refused, so
/// no entity can be declared or fetched; elements of other namespaces are skipped
/// with everything inside them; nesting, components, vulnerabilities, targets and
/// the lengths of the texts read are limited by `VEXLimits`.
enum CycloneDXVEXXMLReader {
    static func read(_ data: Data, source: String, limits: VEXLimits) throws(VEXError) -> CycloneDXVEXReader.RawBOM {
        guard !CycloneDXXMLReader.hasDoctype(data) else { throw VEXError(source, "XML with a DTD (<!DOCTYPE>) is not accepted") }
        // From a stream the parser is fed in chunks (given all at once, libxml2 refuses over 10 MB).
        let parser = XMLParser(stream: InputStream(data: data))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        let handler = Handler(source: source, limits: limits)
        parser.delegate = handler
        let completed = parser.parse()
        if let error = handler.error { throw error }
        guard completed, parser.parserError == nil else { throw VEXError(source, "not well-formed XML (line \(parser.lineNumber))") }
        guard handler.sawBOM else { throw VEXError(source, "no CycloneDX <bom> element") }
        return handler.bom
    }

    private final class Handler: NSObject, XMLParserDelegate {
        let source: String
        let limits: VEXLimits
        var bom = CycloneDXVEXReader.RawBOM(bomFormat: "CycloneDX")
        var error: VEXError?
        var sawBOM = false
        private var namespace = ""
        /// Local names of the open CycloneDX elements; `nil` for a skipped (foreign) one.
        private var path: [String?] = []
        private var skipping = 0
        private var text = ""
        /// Whether the open element is one whose text is read.
        private var capturing = false
        static let textElements: Set<String> = [
            "purl", "timestamp", "id", "updated", "state", "justification", "detail", "lastUpdated", "ref", "version", "range", "status",
        ]
        private var components: [CycloneDXVEXReader.RawComponent] = []
        /// Open components (index into `components`, or -1 for one not counted).
        private var openComponents: [Int] = []
        private var vulnerability: CycloneDXVEXReader.RawVulnerability?
        private var vulnerabilityCount = 0

        init(source: String, limits: VEXLimits) {
            self.source = source
            self.limits = limits
        }

        private func fail(_ parser: XMLParser, _ message: String) {
            guard error == nil else { return }
            error = VEXError(source, message + " (line \(parser.lineNumber))")
            parser.abortParsing()
        }

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            guard error == nil else { return }
            if path.isEmpty && !sawBOM {
                guard elementName == "bom", let uri = namespaceURI, uri.hasPrefix(CycloneDXXMLReader.namespacePrefix) else {
                    return fail(parser, "XML root <\(elementName.prefix(80))> is not a CycloneDX <bom>")
                }
                sawBOM = true
                namespace = uri
                bom.serialNumber = attributes["serialNumber"].map { String($0.prefix(limits.maxStringLength)) }
                path.append("bom")
                return
            }
            guard path.count < limits.maxDepth * 4 else { return fail(parser, "elements nested deeper than \(limits.maxDepth * 4)") }
            guard skipping == 0, namespaceURI == namespace else {
                skipping += 1
                path.append(nil)
                return
            }
            let parent = path.last ?? nil
            let grandparent = path.count >= 2 ? path[path.count - 2] : nil
            path.append(elementName)
            text = ""
            capturing = Self.textElements.contains(elementName)
            switch elementName {
            case "component":
                // bom/components, bom/metadata, and components nested in those: not pedigree or formulation.
                let counted = (parent == "components" && (grandparent == "bom" || (grandparent == "component" && openComponents.last.map { $0 >= 0 } == true)))
                    || (parent == "metadata" && grandparent == "bom")
                guard counted else { return openComponents.append(-1) }
                guard components.count < limits.maxComponents else { return fail(parser, "more than \(limits.maxComponents) components") }
                guard openComponents.count < limits.maxDepth else { return fail(parser, "components nested deeper than \(limits.maxDepth)") }
                components.append(CycloneDXVEXReader.RawComponent(bomRef: attributes["bom-ref"]))
                openComponents.append(components.count - 1)
            case "vulnerability" where parent == "vulnerabilities" && grandparent == "bom":
                guard vulnerabilityCount < limits.maxStatements else { return fail(parser, "more than \(limits.maxStatements) vulnerabilities") }
                vulnerabilityCount += 1
                vulnerability = CycloneDXVEXReader.RawVulnerability()
            case "reference" where parent == "references" && vulnerability != nil && grandparent == "vulnerability":
                if vulnerability?.references == nil { vulnerability?.references = [] }
                vulnerability?.references?.append(CycloneDXVEXReader.RawReference())
            case "analysis" where parent == "vulnerability" && vulnerability != nil:
                vulnerability?.analysis = CycloneDXVEXReader.RawAnalysis()
            case "target" where parent == "affects" && vulnerability != nil:
                let targets = vulnerability?.affects?.count ?? 0
                guard targets < limits.maxProductsPerStatement else {
                    return fail(parser, "more than \(limits.maxProductsPerStatement) affects targets")
                }
                if vulnerability?.affects == nil { vulnerability?.affects = [] }
                vulnerability?.affects?.append(CycloneDXVEXReader.RawAffect())
            case "version" where parent == "versions" && grandparent == "target" && vulnerability != nil:
                guard let last = vulnerability?.affects?.indices.last else { return }
                let listed = vulnerability?.affects?[last].versions?.count ?? 0
                guard listed < limits.maxProductsPerStatement else { return fail(parser, "more than \(limits.maxProductsPerStatement) versions in a target") }
                if vulnerability?.affects?[last].versions == nil { vulnerability?.affects?[last].versions = [] }
                vulnerability?.affects?[last].versions?.append(CycloneDXVEXReader.RawAffectedVersion())
            default:
                break
            }
        }

        /// Sets a field of the last listed version of the last target.
        private func setListed(_ field: WritableKeyPath<CycloneDXVEXReader.RawAffectedVersion, String?>, _ value: String) {
            guard let t = vulnerability?.affects?.indices.last, let v = vulnerability?.affects?[t].versions?.indices.last else { return }
            vulnerability?.affects?[t].versions?[v][keyPath: field] = value
        }

        /// Only the text of the elements read is kept (and bounded); any other text
        /// (license texts, descriptions, ...) is passed over, whatever its length.
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard error == nil, skipping == 0, capturing else { return }
            let limit = limits.maxStringLength * 16
            guard text.utf8.count + string.utf8.count <= limit else { return fail(parser, "<\(path.last.flatMap { $0 } ?? "")> text longer than \(limit) bytes") }
            text += string
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            self.parser(parser, foundCharacters: String(decoding: CDATABlock, as: UTF8.self))
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            guard error == nil else { return }
            guard let name = path.popLast() else { return }
            guard let name else {
                skipping -= 1
                return
            }
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            text = ""
            capturing = false
            let parent = path.last ?? nil
            let grandparent = path.count >= 2 ? path[path.count - 2] : nil
            switch (name, parent, grandparent) {
            case ("component", _, _):
                _ = openComponents.popLast()
            case ("purl", "component", _):
                if let open = openComponents.last, open >= 0 { components[open].purl = value }
            case ("timestamp", "metadata", "bom"):
                bom.metadata = CycloneDXVEXReader.RawMetadata(timestamp: value)
            case ("vulnerability", "vulnerabilities", "bom"):
                if let vulnerability {
                    if bom.vulnerabilities == nil { bom.vulnerabilities = [] }
                    bom.vulnerabilities?.append(vulnerability)
                }
                vulnerability = nil
            case ("id", "vulnerability", _):
                vulnerability?.id = value
            case ("updated", "vulnerability", _):
                vulnerability?.updated = value
            case ("id", "reference", "references"):
                if let last = vulnerability?.references?.indices.last { vulnerability?.references?[last].id = value }
            case ("state", "analysis", "vulnerability"):
                vulnerability?.analysis?.state = value
            case ("justification", "analysis", "vulnerability"):
                vulnerability?.analysis?.justification = value
            case ("detail", "analysis", "vulnerability"):
                vulnerability?.analysis?.detail = value
            case ("lastUpdated", "analysis", "vulnerability"):
                vulnerability?.analysis?.lastUpdated = value
            case ("version", "version", "versions"):
                setListed(\.version, value)
            case ("range", "version", "versions"):
                setListed(\.range, value)
            case ("status", "version", "versions"):
                setListed(\.status, value)
            case ("ref", "target", "affects"):
                if let last = vulnerability?.affects?.indices.last { vulnerability?.affects?[last].ref = value }
            case ("bom", _, _):
                bom.components = components
            default:
                break
            }
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
            if error == nil { error = VEXError(source, "not well-formed XML (line \(parser.lineNumber))") }
        }

        func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) {
            fail(parser, "XML entity declarations are not accepted")
        }
    }
}
