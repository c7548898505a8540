import Foundation
@testable import SBOM
import Testing

/// The stream reader (the fast path for CycloneDX JSON) must read every
/// document it answers for exactly as the JSONDecoder path does, and leave
/// everything else, errors included, to it.
@Suite struct CycloneDXJSONStreamTests {
    /// Giving up is always safe; answering differently is not. `answers`: it must answer.
    static func same(_ text: String, answers: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
        let data = Data(text.utf8)
        let fast = CycloneDXJSONStream.read(data, limits: .default)
        if answers { #expect(fast != nil, "stream reader gave up", sourceLocation: sourceLocation) }
        guard let fast else { return }
        switch Result(catching: { () throws(SBOMError) in try JSONReader.decode(data, limits: .default) }) {
        case let .success(document):
            #expect(fast == document, "stream reader differs", sourceLocation: sourceLocation)
        case let .failure(error):
            Issue.record("stream reader read what the decoder refuses: \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func answersOnlyWhatTheDecoderAnswersTheSame() {
        let components = #"""
            {"type": "library", "name": "a", "bom-ref": "a", "group": "g", "version": "1", "cpe": "cpe:/a:x:y",
             "purl": "pkg:npm/a@1", "supplier": {"name": "S", "url": ["x"]}, "extra": {"deep": [1, -2.5e3, true, false, null, "\u00e9\n"]},
             "hashes": [{"alg": "SHA-256", "content": "\#(String(repeating: "A", count: 64))"}],
             "licenses": [{"license": {"id": "MIT", "acknowledgement": "declared"}}, {"license": {"name": "Acme \"Pro\" \u0041"}}],
             "components": [{"name": "a1", "components": null, "licenses": null, "hashes": null, "supplier": null}]},
            {"type": "library", "name": "b\u00e9", "version": null, "licenses": [{"expression": "MIT OR Apache-2.0"}]}
            """#
        Self.same(cycloneDXJSON(components: components), answers: true)
        Self.same(cycloneDXJSON(components: components, metadata: #"{"component": {"name": "p", "bom-ref": "p", "components": [{"name": "c"}]}, "tools": []}"#),
                  answers: true)
        Self.same(cycloneDXJSON("1.2", components: #"{"name": "m", "licenses": [{"expression": "MIT"}, {"license": {"id": "GPL-2.0+"}}]}"#),
                  answers: true)
        // Refused by the decoder, or (a key twice, syntax in skipped values) read by a
        // lenient decoder: the stream reader gives up either way.
        for broken in [
            cycloneDXJSON(components: #"{"name": 5}"#),
            cycloneDXJSON(components: #"{"name": "a", "name": "b"}"#),
            cycloneDXJSON(components: #"{"name": "a", "hashes": [{"alg": "SHA-256"}]}"#),
            cycloneDXJSON(components: #"{"name": "a", "extra": [01]}"#),
            cycloneDXJSON(components: #"{"name": "a", "extra": "\x"}"#),
            cycloneDXJSON(components: #"{"name": "a"}"#) + " x",
            cycloneDXJSON(components: #"{"name": "a", "licenses": [{"license": {"id": "MIT", "name": "MIT"}}]}"#),
            cycloneDXJSON(components: #"{"name": "a", "bom-ref": "x"}, {"name": "b", "bom-ref": "x"}"#),
            cycloneDXJSON("1.1", components: ""),
            #"{"bomFormat": "CycloneDX", "metadata": {}}"#,
            #"{"bomFormat": "SPDX", "specVersion": "1.6"}"#,
        ] {
            #expect(CycloneDXJSONStream.read(Data(broken.utf8), limits: .default) == nil, "\(broken)")
            Self.same(broken)
        }
        // Bounds: the decoder reports them.
        var limits = SBOMLimits()
        limits.maxComponents = 1
        #expect(CycloneDXJSONStream.read(Data(cycloneDXJSON(components: #"{"name": "a"}, {"name": "b"}"#).utf8), limits: limits) == nil)
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(CycloneDXJSONStream.read(Data(cycloneDXJSON(components: #"{"name": "a", "x": \#(deep)}"#).utf8), limits: .default) == nil)
    }

    /// Mutated documents (bytes replaced, deleted, duplicated; seeded, repeatable): the
    /// stream reader either gives up or reads exactly what the decoder reads.
    @Test func mutatedDocumentsNeverReadDifferently() {
        let base = Array(cycloneDXJSON(components: #"""
            {"type": "library", "name": "a", "bom-ref": "a", "version": "1.0", "purl": "pkg:npm/a@1.0",
             "supplier": {"name": "S"}, "hashes": [{"alg": "SHA-256", "content": "\#(String(repeating: "ab", count: 32))"}],
             "licenses": [{"license": {"id": "MIT"}}], "properties": [{"name": "x", "value": "y\u00e9"}],
             "components": [{"name": "b", "licenses": [{"expression": "MIT OR Apache-2.0"}]}]}
            """#, metadata: #"{"component": {"name": "p", "bom-ref": "p"}, "timestamp": "2026-01-01T00:00:00Z"}"#).utf8)
        let alphabet = Array(#"{}[]",:\ 0123456789.-+eEtrufalsn"abcdu"#.utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xA9, 0xFF]
        var state: UInt64 = 0x5EED
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        var answered = 0
        for _ in 0..<3000 {
            var bytes = base
            for _ in 0..<(1 + next(3)) {
                let at = next(bytes.count)
                switch next(3) {
                case 0: bytes[at] = alphabet[next(alphabet.count)]
                case 1: bytes.remove(at: at)
                default: bytes.insert(bytes[at], at: at)
                }
            }
            let data = Data(bytes)
            guard let fast = CycloneDXJSONStream.read(data, limits: .default) else { continue }
            answered += 1
            switch Result(catching: { () throws(SBOMError) in try JSONReader.decode(data, limits: .default) }) {
            case let .success(document):
                #expect(fast == document, "\(String(decoding: bytes, as: UTF8.self))")
            case let .failure(error):
                Issue.record("stream reader read what the decoder refuses (\(error)): \(String(decoding: bytes, as: UTF8.self))")
            }
        }
        #expect(answered > 100)
    }

    /// Every valid example of the CycloneDX 1.6 suite reads the same both ways.
    @Test(.enabled(if: corpusAvailable)) func corpusReadsTheSameBothWays() throws {
        let files = try corpusFiles("cyclonedx-1.6", prefix: "valid-").filter { $0.pathExtension == "json" }
        var answered = 0
        for file in files {
            let data = try Data(contentsOf: file)
            let slow = try JSONReader.decode(data, limits: .default)
            if let fast = CycloneDXJSONStream.read(data, limits: .default) {
                #expect(fast == slow, "\(file.lastPathComponent)")
                answered += 1
            }
        }
        #expect(answered > files.count * 9 / 10, "the stream reader gave up on \(files.count - answered) of \(files.count)")
    }
}

/// The parsed purl a reader keeps for judging is invisible: not in equality, not
/// encoded, and dropped when the purl changes.
@Suite struct ParsedPurlTests {
    @Test func parsedPurlIsNotPartOfTheComponent() throws {
        let read = try parse(cycloneDXJSON(components: #"{"name": "a", "purl": "pkg:npm/a@1"}"#)).components[0]
        #expect(read.parsedPurl != nil)
        #expect(read == Component(name: "a", purl: "pkg:npm/a@1"))
        let encoded = try JSONEncoder().encode(read)
        #expect(try JSONDecoder().decode(Component.self, from: encoded) == read)
        #expect(!String(decoding: encoded, as: UTF8.self).contains("parsed"))
        var changed = read
        changed.purl = "pkg:npm/b@2"
        #expect(changed.parsedPurl == nil)
        let rules = try SBOMRules(deny: ["pkg:npm/b"])
        #expect(evaluate(changed, rules: rules).status == .denied)
        #expect(evaluate(read, rules: rules).status == .approved)
    }
}
