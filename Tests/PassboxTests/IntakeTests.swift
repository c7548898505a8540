import CryptoIO
import Foundation
import Intake
import Testing

@Suite struct SafePathTests {
    @Test(arguments: [
        ("fw/a.bin", "fw/a.bin"), ("./fw//a.bin", "fw/a.bin"), ("dir/", "dir"), ("ünïcode/名前.bin", "ünïcode/名前.bin"),
    ])
    func safeNames(_ name: String, _ expected: String) {
        #expect((try? safeRelativePath(name, maxLength: 4096).get()) == expected)
    }

    @Test(arguments: ["../etc/passwd", "a/../../b", "/etc/passwd", "C:\\Windows\\x", "c:/x", "a\\..\\b", "a\u{0}b", "a\nb", ""])
    func unsafeNames(_ name: String) {
        #expect((try? safeRelativePath(name, maxLength: 4096).get()) == nil)
    }

    @Test func overlongName() {
        #expect((try? safeRelativePath(String(repeating: "a", count: 5000), maxLength: 4096).get()) == nil)
    }

    @Test func links() {
        #expect(linkStaysInside(linkPath: "a/b/link", target: "../c"))
        #expect(!linkStaysInside(linkPath: "a/link", target: "../../etc"))
        #expect(!linkStaysInside(linkPath: "link", target: "/etc/passwd"))
    }
}

@Suite struct DigestTests {
    @Test func knownAnswers() {
        #expect(Hex.encode(Hasher.digest(.sha256, Data("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(Hasher.digest(.sha384, Data())).hasPrefix("38b060a751ac9638"))
        #expect(Hex.encode(Hasher.digest(.sha512, Data("abc".utf8))).hasPrefix("ddaf35a193617aba"))
    }

    @Test func hexRoundTrip() {
        #expect(Hex.decode("00ffA0") == [0, 255, 160])
        #expect(Hex.decode("0g") == nil)
        #expect(Hex.decode("abc") == nil)
    }

    @Test func constantTimeCompare() {
        #expect(constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEqual([1, 2], [1, 2, 3]))
    }

    @Test func intakeHashesAFileOnce() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("passbox-intake-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) })
        try bytes.write(to: dir.appendingPathComponent("big.bin"))
        let inventory = try Intake.run(path: dir.path)
        let item = try #require(inventory.items.first { $0.path == "big.bin" })
        #expect(item.size == 3_000_000)
        #expect(item.digests[.sha256] == Hex.encode(Hasher.digest(.sha256, bytes)))
        #expect(item.digests[.sha512] == Hex.encode(Hasher.digest(.sha512, bytes)))
    }
}
