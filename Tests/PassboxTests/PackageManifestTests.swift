import Foundation
import Testing

/// Package.swift declares every module a target imports (reaching one through
/// another target's dependencies builds today and breaks when that target changes).
@Suite struct PackageManifestTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let system: Set<String> = ["Foundation", "FoundationXML", "FoundationNetworking", "Glibc", "Darwin", "Dispatch",
                                      "XCTest", "Testing", "Synchronization", "os"]

    /// Target name -> the module names its `dependencies:` list declares.
    static func declaredDependencies() throws -> [String: Set<String>] {
        let text = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        var out: [String: Set<String>] = [:]
        let targetStart = try Regex(#"\.(?:target|executableTarget|testTarget|systemLibrary)\(\s*name:\s*"([^"]+)""#)
        let quoted = try Regex(#""([^"]+)""#)
        let matches = text.matches(of: targetStart)
        for (i, match) in matches.enumerated() {
            guard let name = match.output[1].substring.map(String.init) else { continue }
            let end = i + 1 < matches.count ? matches[i + 1].range.lowerBound : text.endIndex
            let body = text[match.range.upperBound..<end]
            var names = Set<String>()
            if let deps = body.range(of: "dependencies:") {
                // Up to the closing bracket of the list.
                var depth = 0
                var index = deps.upperBound
                var list = ""
                while index < body.endIndex {
                    let c = body[index]
                    if c == "[" { depth += 1 } else if c == "]" { depth -= 1; if depth == 0 { break } }
                    if depth > 0 { list.append(c) }
                    index = body.index(after: index)
                }
                for q in list.matches(of: quoted) {
                    if let s = q.output[1].substring { names.insert(String(s)) }
                }
            }
            out[name] = names
        }
        return out
    }

    static func imports(of target: String, under folder: String) throws -> Set<String> {
        let dir = root.appendingPathComponent(folder).appendingPathComponent(target)
        let importLine = try Regex(#"^(?:@testable\s+|@_exported\s+|internal\s+|public\s+|private\s+|package\s+)*import\s+(?:struct\s+|class\s+|enum\s+|func\s+)?([A-Za-z_][A-Za-z0-9_]*)"#)
        var out = Set<String>()
        guard let files = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return out }
        for case let file as URL in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                // Swift imports start a line; indented ones are text in a string (an embedded Python script).
                if let m = line.firstMatch(of: importLine), let module = m.output[1].substring {
                    out.insert(String(module))
                }
            }
        }
        return out
    }

    @Test func everyImportIsDeclared() throws {
        let declared = try Self.declaredDependencies()
        #expect(declared.count > 10, "Package.swift was not read: \(declared.keys)")
        for (target, deps) in declared {
            let folder = FileManager.default.fileExists(atPath: Self.root.appendingPathComponent("Tests/\(target)").path) ? "Tests" : "Sources"
            let used = try Self.imports(of: target, under: folder).subtracting(Self.system).subtracting([target])
            let missing = used.subtracting(deps)
            #expect(missing.isEmpty, "\(target) imports \(missing.sorted()) without declaring it in Package.swift")
        }
    }
}
