import CryptoIO
import Foundation
import Testing

/// `Digests` holds bytes inline; what it gives back must be what was put in, and
/// comparisons must only ever say "equal" for equal digests.
@Suite struct DigestsTests {
    static func hex(_ algorithm: DigestAlgorithm, _ seed: Int) -> String {
        Hex.encode(Hasher.digest(algorithm, Data("content \(seed)".utf8)))
    }

    @Test func hexGoesInAndComesBackForEveryAlgorithm() {
        var d = Digests()
        #expect(d.isEmpty)
        for (i, algorithm) in DigestAlgorithm.allCases.enumerated() {
            let value = Self.hex(algorithm, i)
            d[algorithm] = value.uppercased() // either case in, lower case out
            #expect(d[algorithm] == value)
            #expect(d.bytes(algorithm) == Hex.decode(value))
        }
        #expect(d.algorithms == [.sha256, .sha384, .sha512])
        #expect(d.all.map(\.algorithm) == [.sha512, .sha384, .sha256])
        #expect(Array(d).map(\.algorithm) == [.sha256, .sha384, .sha512])
        // The neighbours are untouched when one is replaced or removed.
        d.sha384 = nil
        #expect(d.sha384 == nil && d.sha256 == Self.hex(.sha256, 0) && d.sha512 == Self.hex(.sha512, 2))
        d.sha256 = Self.hex(.sha256, 9)
        #expect(d.sha256 == Self.hex(.sha256, 9) && d.sha512 == Self.hex(.sha512, 2))
    }

    @Test func whatIsNotADigestIsNotKept() {
        var d: Digests = [.sha256: Self.hex(.sha256, 1)]
        let notHex = d.set(.sha256, hex: String(repeating: "g", count: 64))
        let wrongLength = d.set(.sha256, hex: Self.hex(.sha512, 1))
        let wrongBytes = d.set(.sha512, bytes: [UInt8](repeating: 1, count: 32))
        #expect(!notHex && !wrongLength && !wrongBytes)
        #expect(d.sha256 == Self.hex(.sha256, 1))                  // a failed set changes nothing
        d[.sha256] = "abc"                                         // the subscript removes instead
        #expect(d.isEmpty)
        let literal: Digests = [.sha256: "not hex", .sha512: Self.hex(.sha512, 3)]
        #expect(literal.algorithms == [.sha512])
    }

    @Test func agreementNeedsACommonAlgorithmAndEqualBytes() {
        let a: Digests = [.sha256: Self.hex(.sha256, 1), .sha512: Self.hex(.sha512, 1)]
        #expect(a.agrees(with: [.sha256: Self.hex(.sha256, 1)]) == true)
        #expect(a.agrees(with: [.sha512: Self.hex(.sha512, 1)]) == true)
        #expect(a.agrees(with: [.sha384: Self.hex(.sha384, 1)]) == nil)
        #expect(a.agrees(with: Digests()) == nil)
        // One differing algorithm is enough to disagree, whichever it is.
        #expect(a.agrees(with: [.sha256: Self.hex(.sha256, 1), .sha512: Self.hex(.sha512, 2)]) == false)
        #expect(a.agrees(with: [.sha256: Self.hex(.sha256, 2), .sha512: Self.hex(.sha512, 1)]) == false)
        var flipped = a
        var last = a.bytes(.sha512) ?? []
        last[63] ^= 1
        flipped.set(.sha512, bytes: last)
        #expect(a.agrees(with: flipped) == false)
        #expect(a != flipped && a == a)
        #expect(Set([a, a, flipped]).count == 2)
    }

    /// JSON is the same shape as before the bytes: an object of hex strings, absent
    /// algorithms left out; decoding refuses what is not a digest.
    @Test func jsonShape() throws {
        let d: Digests = [.sha256: Self.hex(.sha256, 1), .sha512: Self.hex(.sha512, 1)]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(d), as: UTF8.self)
        #expect(json == "{\"sha256\":\"\(Self.hex(.sha256, 1))\",\"sha512\":\"\(Self.hex(.sha512, 1))\"}")
        #expect(try JSONDecoder().decode(Digests.self, from: Data(json.utf8)) == d)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Digests.self, from: Data("{\"sha256\":\"00\"}".utf8)) }
    }
}
