@testable import Attestation
import CryptoIO
import Foundation
import Testing

private let h256 = String(repeating: "ab", count: 32)
private let h384 = String(repeating: "cd", count: 48)
private let h512 = String(repeating: "EF", count: 64)

private func parse(_ text: String) throws -> ChecksumList {
    try ChecksumList.parse(Data(text.utf8))
}

private func lineError(_ text: String) -> ChecksumListError? {
    do {
        _ = try parse(text)
        return nil
    } catch let e as ChecksumListError {
        return e
    } catch {
        return nil
    }
}

@Suite struct ChecksumListTests {
    @Test func gnuTextAndBinaryModes() throws {
        let list = try parse("\(h256)  fw/a.bin\n\(h256) *./fw//b.bin\n")
        #expect(list.style == .gnu)
        #expect(list.entries.map(\.name) == ["fw/a.bin", "fw/b.bin"])
        #expect(list.entries.allSatisfy { $0.algorithm == .sha256 && $0.hex == h256 })
        #expect(list.subjects == [Subject(name: "fw/a.bin", digests: [.sha256: h256]), Subject(name: "fw/b.bin", digests: [.sha256: h256])])
    }

    @Test func algorithmByHexLengthAndUppercaseIsLowered() throws {
        let list = try parse("\(h384)  a\n\(h512)  b\r\n")
        #expect(list.entries[0].algorithm == .sha384)
        #expect(list.entries[1].algorithm == .sha512)
        #expect(list.entries[1].hex == h512.lowercased())
        #expect(list.entries[1].name == "b")
    }

    @Test func gnuEscapedNames() throws {
        let list = try parse("\\\(h256)  dir\\\\x\\nnew line\n")
        #expect(list.entries[0].name == "dir\\x\nnew line")
    }

    @Test func namesKeepSpacesAndParentheses() throws {
        let list = try parse("\(h256)  my file (1).bin \nSHA256 (odd) = name (2)) = \(h256)\n")
        #expect(list.entries[0].name == "my file (1).bin ")
        #expect(list.entries[1].name == "odd) = name (2)")
        #expect(list.style == .mixed)
    }

    @Test func bsdTags() throws {
        let list = try parse("SHA256 (a.bin) = \(h256)\nSHA512 (a.bin) = \(h512)\nSHA384 (b) = \(h384)\n")
        #expect(list.style == .bsd)
        #expect(list.subjects.count == 2)
        #expect(list.subjects[0].digests == [.sha256: h256, .sha512: h512.lowercased()])
    }

    @Test func realToolsOutputParses() throws {
        let dir = try TempDir()
        try Data("hello\n".utf8).write(to: dir.url.appendingPathComponent("a b.txt"))
        try Data("x".utf8).write(to: dir.url.appendingPathComponent("back\\slash"))
        let gnu = try run(["sh", "-c", "sha256sum -b 'a b.txt' 'back\\slash'; sha512sum 'a b.txt'"], cwd: dir.url)
        let bsd = try run(["sh", "-c", "sha256sum --tag 'a b.txt' 'back\\slash'"], cwd: dir.url)
        let g = try ChecksumList.parse(gnu.stdout)
        let b = try ChecksumList.parse(bsd.stdout)
        let expected = Hex.encode(Hasher.digest(.sha256, Data("hello\n".utf8)))
        #expect(g.subjects.first { $0.name == "a b.txt" }?.digests[.sha256] == expected)
        #expect(g.subjects.first { $0.name == "a b.txt" }?.digests[.sha512] != nil)
        #expect(g.subjects.contains { $0.name == "back\\slash" })
        #expect(b.subjects.map(\.name) == g.subjects.map(\.name))
        #expect(b.style == .bsd)
    }

    @Test(arguments: [
        ("\(String(repeating: "a", count: 32))  x\n", "MD5"),
        ("\(String(repeating: "a", count: 40))  x\n", "SHA-1"),
        ("MD5 (x) = \(String(repeating: "a", count: 32))\n", "MD5"),
        ("SHA1 (x) = \(String(repeating: "a", count: 40))\n", "SHA-1"),
    ])
    func weakListsAreRejected(_ text: String, _ word: String) {
        let error = lineError(text)
        #expect(error?.line == 1)
        #expect(error?.message.contains(word) == true)
        #expect(error?.message.contains("weak") == true)
    }

    @Test(arguments: [
        "# a comment\n",
        "\(String(repeating: "a", count: 64)) x\n",           // one space only
        "\(String(repeating: "a", count: 64))\tx\n",
        "\(String(repeating: "a", count: 63))g  x\n",
        "\(String(repeating: "a", count: 64))  \n",            // no name
        "SHA256 (x) = \(String(repeating: "a", count: 63))\n",
        "SHA256 (x) = zz\n",
        "SHA256 x = \(String(repeating: "a", count: 64))\n",
        "BLAKE2b (x) = \(String(repeating: "a", count: 128))\n",
        "\\\(String(repeating: "a", count: 64))  bad\\qescape\n",
        "\(String(repeating: "a", count: 64))  ../etc/passwd\n",
        "\(String(repeating: "a", count: 64))  /etc/passwd\n",
        "  \(String(repeating: "a", count: 64))  x\n",
    ])
    func malformedLineRejectsTheWholeList(_ bad: String) {
        let text = "\(h256)  good\n\n" + bad + "\(h256)  after\n"
        #expect(lineError(text)?.line == 3)
    }

    @Test func invalidUTF8Name() {
        var bytes = Array("\(h256)  ".utf8)
        bytes += [0xff, 0xfe, 0x0a]
        #expect(throws: ChecksumListError.self) { try ChecksumList.parse(Data(bytes)) }
    }

    @Test func conflictingDuplicateIsAnError() throws {
        let other = String(repeating: "0", count: 64)
        #expect(lineError("\(h256)  a\n\(other)  ./a\n")?.line == 2)
        // The same value twice is harmless.
        #expect(try parse("\(h256)  a\n\(h256)  a\n").entries.count == 1)
    }

    @Test func emptyAndOversizedLists() {
        #expect(lineError("\n\n") != nil)
        #expect(throws: ChecksumListError.self) { try ChecksumList.parse(Data(count: maxChecksumListBytes + 1)) }
        let lines = String(repeating: "\n", count: maxChecksumListLines + 1)
        #expect(lineError(lines)?.message.contains("lines") == true)
    }

    /// A list of 200,000 lines parses whole (its speed is a benchmark's business,
    /// Benchmarks/run.sh, not a timed test's).
    @Test func largeListParsesWhole() throws {
        var text = ""
        text.reserveCapacity(200_000 * 80)
        for i in 0..<200_000 { text += "\(h256)  dir/file-\(i).bin\n" }
        let list = try parse(text)
        #expect(list.entries.count == 200_000)
        #expect(list.entries.last?.name == "dir/file-199999.bin")
    }
}
