import Foundation
import SBOM
import Testing

/// `<repo>/../shared/corpus`, found from this file's path (CI clones the repo
/// elsewhere with a copy of `shared/` beside it; a user's clone has none).
let corpusRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus")

/// Whether the corpus is there. Tests that read it are skipped without it, and
/// `swift test` prints each skip with this comment.
let corpusAvailable: Bool = {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: corpusRoot.path, isDirectory: &isDirectory) && isDirectory.boolValue
}()

/// The trait for tests that read the corpus: skipped, with a visible line, when it is absent.
let needsCorpus = Testing.ConditionTrait.enabled(
    if: corpusAvailable, "skipped: no test corpus at ../shared/corpus beside the repository")

func corpusDirectory(_ name: String) throws -> URL {
    let directory = corpusRoot.appendingPathComponent(name)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
        Issue.record("test corpus not found at \(directory.path): put a copy of shared/ beside the repository")
        throw CorpusMissing()
    }
    return directory
}

struct CorpusMissing: Error {}

func corpusFiles(_ name: String, prefix: String) throws -> [URL] {
    let directory = try corpusDirectory(name)
    return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        .filter { $0.lastPathComponent.hasPrefix(prefix) }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
}

@Suite(needsCorpus) struct CycloneDXCorpusTests {
    @Test func everyValidFileParses() throws {
        let files = try corpusFiles("cyclonedx-1.6", prefix: "valid-")
        #expect(files.count > 80)
        for file in files {
            do {
                let document = try SBOMDocument(contentsOf: file)
                #expect(document.specVersion == "1.6", "\(file.lastPathComponent)")
                #expect(document.format == (file.pathExtension == "xml" ? .cyclonedxXML : .cyclonedxJSON))
            } catch {
                Issue.record("\(file.lastPathComponent): \(error)")
            }
        }
    }
}

@Suite(needsCorpus) struct CycloneDXCorpusContentTests {
    @Test func validBOMComponentsProductAndLicenses() throws {
        let document = try SBOMDocument(contentsOf: try corpusDirectory("cyclonedx-1.6").appendingPathComponent("valid-bom-1.6.json"))
        #expect(document.product?.name == "Acme Application")
        #expect(document.product?.version == "9.1.1")
        #expect(document.components.map(\.name) == ["tomcat-catalina", "mylibrary", "myframework"])
        let tomcat = document.components[0]
        #expect(tomcat.purl == "pkg:maven/com.acme/tomcat-catalina@9.0.14?packaging=jar")
        #expect(tomcat.ref == "pkg:maven/com.acme/tomcat-catalina@9.0.14?packaging=jar")
        #expect(tomcat.group == "com.acme")
        #expect(tomcat.licenseExpression == "Apache-2.0")
        #expect(Set(tomcat.hashes.keys) == ["md5", "sha1", "sha256", "sha512"])
        #expect(tomcat.hashes["sha256"] == "f498a8ff2dd007e29c2074f5e4b01a9a01775c3ff3aeaf6906ea503bc5791b7b")
        let library = document.components[1]
        #expect(library.licenseExpression == "EPL-2.0 OR GPL-2.0-with-classpath-exception")
        #expect(library.supplier == "Example, Inc.")
        #expect(library.cpe == "cpe:/a:example:myapplication:1.0.0")
        #expect(library.type == "library")
        #expect(document.components[2].licenseExpression == "LicenseRef-Some-random-license")
    }

    /// The suite has each valid BOM in JSON and XML: both must give the same components.
    @Test func jsonAndXMLFormsGiveTheSameComponents() throws {
        let files = try corpusFiles("cyclonedx-1.6", prefix: "valid-").filter { $0.pathExtension == "json" }
        var compared = 0
        for json in files {
            let xml = json.deletingPathExtension().appendingPathExtension("xml")
            guard FileManager.default.fileExists(atPath: xml.path) else { continue }
            let fromJSON = try SBOMDocument(contentsOf: json)
            let fromXML = try SBOMDocument(contentsOf: xml)
            #expect(fromJSON.components == fromXML.components, "\(json.lastPathComponent)")
            #expect(fromJSON.product == fromXML.product, "\(json.lastPathComponent)")
            compared += 1
        }
        #expect(compared > 40)
    }

    @Test func nestedComponentsAreIncludedAndNameTheirParent() throws {
        let directory = try corpusDirectory("cyclonedx-1.6")
        let withRef = try SBOMDocument(contentsOf: directory.appendingPathComponent("valid-component-ref-1.6.json"))
        let child = try #require(withRef.components.first { $0.parent != nil })
        #expect(child.parent == "123")
        #expect(withRef.components.contains { $0.ref == "123" })
        // The enclosing component of acme-library-b has no bom-ref to name.
        let assembly = try SBOMDocument(contentsOf: directory.appendingPathComponent("valid-assembly-1.6.json"))
        #expect(assembly.components.contains { $0.name == "acme-library-b" && $0.parent == nil })
    }

    /// Invalid files passbox accepts: their schema violations are in parts it
    /// does not read (dependencies, services, swid, scope, issue and patch
    /// types, properties, timestamps, serial numbers, metadata licenses,
    /// license text encodings), in the component type (kept as text), or in
    /// a license id outside the SPDX list (passbox does not ship the list; an
    /// unknown id simply matches no allow entry).
    static let accepted: Set<String> = [
        "invalid-component-swid-1.6.json", "invalid-component-swid-1.6.xml",
        "invalid-component-type-1.6.json", "invalid-component-type-1.6.xml",
        "invalid-dependency-1.6.json", "invalid-dependency-1.6.xml",
        "invalid-issue-type-1.6.json", "invalid-issue-type-1.6.xml",
        "invalid-license-encoding-1.6.json", "invalid-license-encoding-1.6.xml",
        "invalid-license-id-1.6.json", "invalid-license-id-1.6.xml",
        "invalid-metadata-license-1.6.json", "invalid-metadata-license-1.6.xml",
        "invalid-metadata-timestamp-1.6.json", "invalid-metadata-timestamp-1.6.xml",
        "invalid-missing-component-type-1.6.json", "invalid-missing-component-type-1.6.xml",
        "invalid-patch-type-1.6.json", "invalid-patch-type-1.6.xml",
        "invalid-properties-1.6.json", "invalid-properties-1.6.xml",
        "invalid-scope-1.6.json", "invalid-scope-1.6.xml",
        "invalid-serialnumber-1.6.json", "invalid-serialnumber-1.6.xml",
        "invalid-service-data-1.6.json", "invalid-service-data-1.6.xml",
    ]

    /// Every other invalid file breaks something passbox relies on (format,
    /// namespace, component name, bom-refs, hashes, license structure) and
    /// must be rejected with an SBOMError that says where.
    @Test func invalidFilesAreRejectedUnlessDocumentedAsAccepted() throws {
        let files = try corpusFiles("cyclonedx-1.6", prefix: "invalid-")
        #expect(files.count == 52)
        var rejected = 0
        for file in files {
            let name = file.lastPathComponent
            do {
                _ = try SBOMDocument(contentsOf: file)
                #expect(Self.accepted.contains(name), "\(name) was accepted")
            } catch {
                rejected += 1
                #expect(!Self.accepted.contains(name), "\(name) was rejected: \(error)")
                if name != "invalid-bomformat-1.6.json" {
                    #expect(error.location != nil, "\(name): \(error) has no location")
                }
            }
        }
        #expect(rejected == files.count - Self.accepted.count)
    }
}

@Suite(needsCorpus) struct SPDXCorpusTests {
    @Test func jsonAndTagValueExamplesGiveTheSameComponents() throws {
        let directory = try corpusDirectory("spdx-2.2")
        let json = try SBOMDocument(contentsOf: directory.appendingPathComponent("SPDXJSONExample-v2.2.spdx.json"))
        let tagValue = try SBOMDocument(contentsOf: directory.appendingPathComponent("SPDXTagExample-v2.2.spdx"))
        #expect(json.format == .spdxJSON)
        #expect(tagValue.format == .spdxTagValue)
        #expect(json.specVersion == "2.2")
        #expect(tagValue.specVersion == "2.2")
        #expect(json.components.count == 4)
        #expect(json.components.map(\.name) == tagValue.components.map(\.name))
        #expect(json.components.map(\.version) == tagValue.components.map(\.version))
        #expect(json.components.map(\.purl) == tagValue.components.map(\.purl))
        #expect(json.components.map(\.ref) == tagValue.components.map(\.ref))
        #expect(json.components.map(\.hashes) == tagValue.components.map(\.hashes))
        #expect(json.components.map(\.licenseExpression) == tagValue.components.map(\.licenseExpression))
        #expect(json.components.map(\.cpe) == tagValue.components.map(\.cpe))
    }

    @Test func exampleDetails() throws {
        let directory = try corpusDirectory("spdx-2.2")
        let document = try SBOMDocument(contentsOf: directory.appendingPathComponent("SPDXJSONExample-v2.2.spdx.json"))
        let glibc = try #require(document.components.first { $0.name == "glibc" })
        #expect(glibc.version == "2.11.1")
        #expect(glibc.supplier == "Jane Doe")
        #expect(glibc.licenseExpression == "(LGPL-2.0-only OR LicenseRef-3)")
        #expect(glibc.hashes["sha256"] == "11b6d3ee554eedf79299905a98f9b9a04e498210b59f15094c916c91d150efcd")
        #expect(glibc.cpe == "cpe:2.3:a:pivotal_software:spring_framework:4.1.0:*:*:*:*:*:*:*")
        let jena = try #require(document.components.first { $0.name == "Jena" })
        #expect(jena.purl == "pkg:maven/org.apache.jena/apache-jena@3.12.0")
        #expect(jena.licenseExpression == nil)
        #expect(jena.licenseMarker == .noAssertion)
    }

    @Test func spdxLiteTagValue() throws {
        let document = try SBOMDocument(contentsOf: try corpusDirectory("spdx-2.2").appendingPathComponent("SPDXLite.spdx"))
        #expect(document.components == [Component(name: "SPDX tools", version: "2.0.3", licenseExpression: "Apache-2.0",
                                                   ref: "SPDXRef-spdxtools")])
    }

    @Test func yamlExampleGivesTheJSONExamplesComponents() throws {
        let directory = try corpusDirectory("spdx-2.2")
        let json = try SBOMDocument(contentsOf: directory.appendingPathComponent("SPDXJSONExample-v2.2.spdx.json"))
        let yaml = try SBOMDocument(contentsOf: directory.appendingPathComponent("SPDXYAMLExample-v2.2.spdx.yaml"))
        #expect(yaml.format == .spdxYAML)
        #expect(yaml.specVersion == "2.2")
        #expect(yaml.components == json.components)
    }

    /// The SPDX 2.2 plain "XML" form (a mapping of the JSON, not RDF/XML) is not read.
    @Test func plainXMLFormIsNotRead() throws {
        let directory = try corpusDirectory("spdx-2.2")
        #expect {
            try SBOMDocument(contentsOf: directory.appendingPathComponent("SPDXXMLExample-v2.2.spdx.xml"))
        } throws: { error in
            (error as? SBOMError)?.kind == .unrecognizedFormat
        }
    }
}
