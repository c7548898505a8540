import CryptoIO
import Foundation
@testable import PassboxKit
import Testing

/// The streamed JSON report must be byte for byte what JSONEncoder writes for the
/// whole report (pretty) and for one line (JSON Lines).
@Suite struct ReportJSONTests {
    /// Strings that stress escaping and the writer's markers: control characters,
    /// quotes, backslashes, slashes, non-ASCII, and text that looks like the layout the
    /// writer searches for.
    static let awkward = [
        "fw/a.bin", "", "quote\"in", "back\\slash", "tab\tnew\nline\r", "\u{1}\u{1f}\u{7f}",
        "é ü 日本語 \u{2028}\u{2029} 🔒", "\n  \"files\" : [\n\n  ]", "\"findings\" : [\n\n  ]",
        "\n    \"components\" : [\n\n    ]", "a\"files\":[]", "outer.tar!/inner/../x", String(repeating: "x", count: 5000),
        String((0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) }) + "\u{7f}\u{80}\u{ff}\u{fffd}\u{10ffff}/\\\"",
    ]

    static func report(files: Int, findings: Int, components: Int?, seed: Int) -> Report {
        var rng = SplitMix(seed: UInt64(seed))
        func text() -> String { awkward[Int(rng.next() % UInt64(awkward.count))] + String(rng.next() % 1000) }
        func hex(_ n: Int) -> String { String((0..<n).map { _ in "0123456789abcdef".randomElement(using: &rng) ?? "0" }) }
        let statuses: [FileStatus] = [.verified, .covered, .unlisted, .mismatch, .missing, .skipped]
        let sbom = components.map { n in
            SBOMReport(
                documents: [SBOMReport.Document(path: text(), format: "CycloneDX", specVersion: "1.6", signed: rng.next() % 2 == 0,
                                                product: rng.next() % 2 == 0 ? nil : text(), components: n)],
                components: (0..<n).map { _ in
                    SBOMReport.Entry(name: text(), version: rng.next() % 3 == 0 ? nil : text(), purl: "pkg:generic/\(text())",
                                     cpe: nil, license: rng.next() % 2 == 0 ? "MIT" : nil, status: "unapproved",
                                     rule: nil, reason: text(), document: text())
                })
        }
        return Report(
            verdict: rng.next() % 2 == 0 ? .accepted : .rejected,
            delivery: Report.Delivery(path: text(), kind: .directory, format: nil, size: nil, digests: nil, status: nil),
            files: (0..<files).map { _ in
                Report.File(path: text(), kind: rng.next() % 2 == 0 ? .regular : .archive, size: Int64(rng.next() % 1_000_000),
                            digests: rng.next() % 5 == 0 ? Digests()
                                : Digests(sha256: hex(64), sha384: rng.next() % 4 == 0 ? hex(96) : nil, sha512: rng.next() % 6 == 0 ? nil : hex(128)),
                            status: statuses[Int(rng.next() % UInt64(statuses.count))])
            },
            manifests: [Report.Manifest(path: text(), format: "dsse", status: .verified,
                                        signatures: [Report.Signature(signer: text(), status: .valid, keyid: nil, algorithm: "ed25519",
                                                                      fingerprint: hex(64), subject: nil, chain: nil)],
                                        subjects: files, links: rng.next() % 2 == 0 ? nil : 3, predicateType: nil, vendor: text(), product: nil, version: nil, kind: nil)],
            sbom: sbom,
            findings: (0..<findings).map { _ in
                Finding(code: .fileUnlisted, severity: rng.next() % 2 == 0 ? .error : .warning,
                        path: rng.next() % 5 == 0 ? nil : text(), message: text())
            },
            summary: Report.Summary(files: files, bytes: Int64(files) * 4096, archives: 0, byStatus: ["verified": files, "unlisted": 1]))
    }

    static func streamed(_ report: Report, chunk: Int, compact: Bool = false) throws -> [UInt8] {
        var out: [UInt8] = []
        var compactor = JSONCompactor()
        try ReportJSONWriter(chunk: chunk).write(report) { bytes in
            if compact { out += compactor.compact(bytes) } else { out += bytes }
        }
        return out
    }

    @Test(arguments: [
        (0, 0, nil), (1, 0, nil), (0, 1, 0), (3, 2, 1), (7, 5, 4), (40, 17, 9), (513, 3, nil), (1, 1, 1030),
    ] as [(Int, Int, Int?)])
    func streamedEqualsJSONEncoder(files: Int, findings: Int, components: Int?) throws {
        for seed in 0..<3 {
            let report = Self.report(files: files, findings: findings, components: components, seed: seed * 31 + files)
            let whole = [UInt8](try report.json())
            for chunk in [1, 2, 3, 512] {
                #expect(try Self.streamed(report, chunk: chunk) == whole, "chunk \(chunk), seed \(seed)")
            }
        }
    }

    @Test func compactedEqualsOneLineJSONEncoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for seed in 0..<10 {
            let report = Self.report(files: 12, findings: 6, components: seed % 2 == 0 ? nil : 5, seed: seed)
            let line = try Self.streamed(report, chunk: 5, compact: true)
            #expect(line == [UInt8](try encoder.encode(report)))
            #expect(!line.contains(UInt8(ascii: "\n")))
        }
    }

    /// The compactor keeps whitespace inside strings, however the pieces are cut.
    @Test func compactorKeepsStringsAcrossPieces() {
        let pretty = Array("{\n  \"a b\" : \"x \\\" \\\\ y\",\n  \"c\" : [\n\n  ]\n}".utf8)
        for cut in 0...pretty.count {
            var compactor = JSONCompactor()
            let out = pretty[..<cut].withUnsafeBytes { compactor.compact($0) } + pretty[cut...].withUnsafeBytes { compactor.compact($0) }
            #expect(String(decoding: out, as: UTF8.self) == "{\"a b\":\"x \\\" \\\\ y\",\"c\":[]}", "cut at \(cut)")
        }
    }

    @Test func bufferedSinkKeepsOrderAndFlushesLargeWrites() throws {
        var got: [[UInt8]] = []
        let sink = BufferedSink(capacity: 8) { got.append(Array($0)) }
        for piece in [[1, 2, 3], [4, 5, 6, 7, 8, 9], Array(10...30), [31]] as [[UInt8]] {
            try piece.withUnsafeBytes(sink.write)
        }
        try sink.flush()
        #expect(got.flatMap { $0 } == Array(1...31))
        #expect(got.allSatisfy { $0.count <= 8 } == false) // the 21-byte piece went straight through
        #expect(got.count == 4)
    }
}

/// A small deterministic generator (tests reproduce from the seed).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
