import Foundation
@testable import PassboxKit
import Testing

/// Which files are kept as SBOMs, by their first bytes.
@Suite struct SBOMSniffTests {
    static var corpus: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/corpus")
    }

    /// Every CycloneDX and SPDX document of the corpus in a format passbox reads
    /// (valid or not: the parser decides that) is recognised from the first MiB, as
    /// intake reads it. (SPDX's XML form is not one of them.)
    @Test(.enabled(if: FileManager.default.fileExists(atPath: corpus.path),
                   "skipped: no test corpus at ../shared/corpus beside the repository"))
    func corpusSBOMsAreRecognised() throws {
        // The SBOM folders only (the corpus also holds OSV records and the SARIF schema).
        let files = ["cyclonedx-1.6", "spdx-2.2"].flatMap { folder in
            FileManager.default.enumerator(at: Self.corpus.appendingPathComponent(folder), includingPropertiesForKeys: nil)?
                .compactMap { $0 as? URL } ?? []
        }
            .filter { ["json", "xml", "spdx"].contains($0.pathExtension) && !$0.lastPathComponent.hasSuffix(".spdx.xml") }
        #expect(files.count > 100, "corpus at \(Self.corpus.path)")
        for file in files {
            let head = try Data(contentsOf: file).prefix(1 << 20)
            #expect(head.withUnsafeBytes { looksLikeSBOM($0) }, "\(file.lastPathComponent)")
        }
    }

    /// Binary content is never searched for markers, even when it starts like JSON
    /// and happens to hold one; text without a marker is not an SBOM.
    @Test func binaryAndPlainTextAreNot() {
        var rng = SplitMix(seed: 3)
        var binary = [UInt8](repeating: 0, count: 4096)
        for i in binary.indices { binary[i] = UInt8(truncatingIfNeeded: rng.next()) }
        binary[0] = UInt8(ascii: "{")
        binary.replaceSubrange(600..<611, with: Array("\"bomFormat\"".utf8))
        binary[1] = 0x01
        #expect(!binary.withUnsafeBytes { looksLikeSBOM($0) })
        let plain = Array("{\"name\": \"firmware notes\"}\n".utf8)
        #expect(!plain.withUnsafeBytes { looksLikeSBOM($0) })
        let sbom = Array("{\n\t\"bomFormat\": \"CycloneDX\",\r\n\"specVersion\": \"1.6\"}\u{0c}".utf8)
        #expect(sbom.withUnsafeBytes { looksLikeSBOM($0) })
    }
}

/// Names of detached signature files, compared byte by byte (ASCII letters folded):
/// the same answers as lower-casing the name and comparing suffixes.
@Suite struct SignatureFileNameTests {
    @Test func sameAnswersAsLowerCasing() {
        func reference(_ name: String) -> Bool {
            let lower = name.lowercased()
            return [".minisig", ".sig", ".asc", ".gpg", ".p7s"].contains { lower.hasSuffix($0) }
        }
        let names = ["fw.bin.sig", "FW.BIN.SIG", "fw.Minisig", "SHA256SUMS.asc", "x.gpg", "a.P7S", ".p7s", "sig", "a.sigx",
                     "a.si", "", ".", "fw.bin", "fw.bin.\u{0e}sig", "fw.bin.sİg", "名前.sig", "名前.ſig", "fw.p7", "x.ASC ", "a.s1g"]
        for name in names {
            #expect(isSignatureFileName(name) == reference(name), "\(name)")
        }
    }
}
