import Foundation
import SBOM
import Testing

/// `<repo>/../shared/corpus`, found from this file's path (CI clones the repo
/// elsewhere with a copy of `shared/` beside it).
func corpusDirectory(_ name: String) throws -> URL {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let directory = repo.deletingLastPathComponent().appendingPathComponent("shared/corpus/\(name)")
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

@Suite struct CycloneDXCorpusTests {
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

    @Test func invalidFilesAreRejectedOrAccepted() throws {
        let files = try corpusFiles("cyclonedx-1.6", prefix: "invalid-")
        for file in files {
            do {
                _ = try SBOMDocument(contentsOf: file)
                print("ACCEPTED \(file.lastPathComponent)")
            } catch {
                print("REJECTED \(file.lastPathComponent): \(error)")
            }
        }
    }
}
