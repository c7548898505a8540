internal import CLibCrypto
import Foundation

/// The digest algorithms passbox computes and accepts in manifests.
/// MD5 and SHA-1 are deliberately absent: they are too weak to vouch for content.
public enum DigestAlgorithm: String, CaseIterable, Sendable, Codable, Comparable {
    case sha256, sha384, sha512

    public var byteCount: Int {
        switch self {
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    public static func < (a: DigestAlgorithm, b: DigestAlgorithm) -> Bool {
        a.byteCount < b.byteCount
    }

    var md: OpaquePointer {
        switch self {
        case .sha256: MessageDigests.shared.sha256
        case .sha384: MessageDigests.shared.sha384
        case .sha512: MessageDigests.shared.sha512
        }
    }
}

/// The EVP_MD objects, fetched once and reused (fetching per file costs ~6% on
/// many small files). They live for the whole process.
final class MessageDigests: @unchecked Sendable {
    let sha256: OpaquePointer
    let sha384: OpaquePointer
    let sha512: OpaquePointer

    static let shared = MessageDigests()

    private init() {
        func fetch(_ name: String) -> OpaquePointer {
            // The default provider always has these; without them nothing can be checked.
            guard let md = EVP_MD_fetch(nil, name, nil) else {
                preconditionFailure("libcrypto has no \(name): \(drainErrorQueue())")
            }
            return md
        }
        sha256 = fetch("SHA256")
        sha384 = fetch("SHA384")
        sha512 = fetch("SHA512")
    }
}

/// One EVP_MD_CTX over a message digest: the streaming part every hasher shares.
/// Owns the context, not the EVP_MD.
final class DigestContext {
    private let ctx: OpaquePointer
    private let md: OpaquePointer

    init?(md: OpaquePointer) {
        guard let ctx = EVP_MD_CTX_new() else { return nil }
        guard EVP_DigestInit_ex(ctx, md, nil) == 1 else {
            EVP_MD_CTX_free(ctx)
            return nil
        }
        self.ctx = ctx
        self.md = md
    }

    deinit { EVP_MD_CTX_free(ctx) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(ctx, base, bytes.count)
    }

    func update(_ data: some DataProtocol) {
        for region in data.regions {
            region.withUnsafeBytes { update($0) }
        }
    }

    /// Finishes the digest and resets for a new message.
    func finalize() -> [UInt8] {
        var out: [UInt8] = []
        finalize(appendingTo: &out)
        return out
    }

    /// The same, appending the digest to `out` (no array of its own per digest).
    func finalize(appendingTo out: inout [UInt8]) {
        var digest: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        var length: UInt32 = 0
        withUnsafeMutableBytes(of: &digest) { raw in
            precondition(raw.count >= Int(EVP_MAX_MD_SIZE))
            _ = EVP_DigestFinal_ex(ctx, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), &length)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[0..<Int(length)]))
        }
        EVP_DigestInit_ex(ctx, md, nil)
    }
}

/// A streaming hash over one message. One owner; not for concurrent use.
public final class Hasher: @unchecked Sendable {
    public let algorithm: DigestAlgorithm
    private let context: DigestContext

    public init(_ algorithm: DigestAlgorithm) {
        self.algorithm = algorithm
        guard let context = DigestContext(md: algorithm.md) else {
            preconditionFailure("EVP digest context for \(algorithm.rawValue) failed: \(drainErrorQueue())")
        }
        self.context = context
    }

    public func update(_ bytes: UnsafeRawBufferPointer) { context.update(bytes) }

    public func update(_ data: some DataProtocol) { context.update(data) }

    /// Finishes the hash and resets for a new message.
    public func finalize() -> [UInt8] { context.finalize() }

    /// The same, appending the digest's bytes to `out`.
    public func finalize(appendingTo out: inout [UInt8]) { context.finalize(appendingTo: &out) }

    public static func digest(_ algorithm: DigestAlgorithm, _ data: some DataProtocol) -> [UInt8] {
        let h = Hasher(algorithm)
        h.update(data)
        return h.finalize()
    }
}

/// The digests of one piece of content, each present or not. SHA-256 (always
/// computed) is held inline, 32 bytes in the value itself; SHA-384 and SHA-512, when
/// asked for, as bytes in one small buffer shared by copies. Inventories and
/// manifests hold one per file, and there can be millions: a buffer per value costs
/// an allocation of 80 bytes, hex strings two of 112 and 176. Read and written as
/// lower-case hex, and encoded in JSON as `{"sha256": "<hex>", ...}`.
public struct Digests: Sendable, Hashable {
    /// The SHA-256 bytes (all zero when absent).
    private var sha256Bytes = Inline32()
    /// The present sha384 and sha512 bytes back to back, in that order.
    private var storage: [UInt8] = []
    private var present: UInt8 = 0

    private struct Inline32: Hashable, Sendable {
        var a: UInt64 = 0, b: UInt64 = 0, c: UInt64 = 0, d: UInt64 = 0
    }

    private static func bit(_ algorithm: DigestAlgorithm) -> UInt8 {
        switch algorithm {
        case .sha256: 1
        case .sha384: 2
        case .sha512: 4
        }
    }

    /// Where `algorithm`'s bytes are (or would go) in `storage` (not sha256).
    private func offset(_ algorithm: DigestAlgorithm) -> Int {
        switch algorithm {
        case .sha256, .sha384: 0
        case .sha512: present & 2 != 0 ? 48 : 0
        }
    }

    public init() {}

    /// From hex (either case); a value that is not a digest of its algorithm is left out.
    public init(sha256: String? = nil, sha384: String? = nil, sha512: String? = nil) {
        self.sha256 = sha256
        self.sha384 = sha384
        self.sha512 = sha512
    }

    public func has(_ algorithm: DigestAlgorithm) -> Bool {
        present & Self.bit(algorithm) != 0
    }

    /// Sets a digest from its bytes; false (and nothing set) when the length is not the algorithm's.
    @discardableResult
    public mutating func set(_ algorithm: DigestAlgorithm, bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count == algorithm.byteCount else { return false }
        remove(algorithm)
        if algorithm == .sha256 {
            withUnsafeMutableBytes(of: &sha256Bytes) { $0.copyMemory(from: bytes) }
            present |= Self.bit(algorithm)
            return true
        }
        let at = offset(algorithm)
        var next = [UInt8]()
        next.reserveCapacity(storage.count + bytes.count)
        next += storage[..<at]
        next += bytes
        next += storage[at...]
        storage = next
        present |= Self.bit(algorithm)
        return true
    }

    @discardableResult
    public mutating func set(_ algorithm: DigestAlgorithm, bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { set(algorithm, bytes: $0) }
    }

    /// Sets a digest from hex of either case; false (and nothing set) unless it is
    /// exactly the algorithm's length in hex digits.
    @discardableResult
    public mutating func set(_ algorithm: DigestAlgorithm, hex: String) -> Bool {
        guard hex.utf8.count == algorithm.byteCount * 2, let bytes = Hex.decode(hex) else { return false }
        return set(algorithm, bytes: bytes)
    }

    public mutating func remove(_ algorithm: DigestAlgorithm) {
        guard has(algorithm) else { return }
        present &= ~Self.bit(algorithm)
        if algorithm == .sha256 {
            sha256Bytes = Inline32()
            return
        }
        let at = offset(algorithm)
        storage.removeSubrange(at..<(at + algorithm.byteCount))
        if storage.isEmpty { storage = [] }
    }

    /// The digest's bytes, when present.
    public func withBytes<R>(_ algorithm: DigestAlgorithm, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard has(algorithm) else { return nil }
        if algorithm == .sha256 {
            return try withUnsafeBytes(of: sha256Bytes) { try body($0) }
        }
        let at = offset(algorithm)
        return try storage.withUnsafeBytes { raw in
            try body(UnsafeRawBufferPointer(rebasing: raw[at..<(at + algorithm.byteCount)]))
        }
    }

    public func bytes(_ algorithm: DigestAlgorithm) -> [UInt8]? {
        withBytes(algorithm) { Array($0) }
    }

    /// Lower-case hex (made on each read); setting a value that is not a digest of
    /// the algorithm removes it.
    public subscript(_ algorithm: DigestAlgorithm) -> String? {
        get { withBytes(algorithm) { Hex.encode($0) } }
        set {
            guard let newValue, set(algorithm, hex: newValue) else {
                remove(algorithm)
                return
            }
        }
    }

    public var sha256: String? {
        get { self[.sha256] }
        set { self[.sha256] = newValue }
    }
    public var sha384: String? {
        get { self[.sha384] }
        set { self[.sha384] = newValue }
    }
    public var sha512: String? {
        get { self[.sha512] }
        set { self[.sha512] = newValue }
    }

    public var isEmpty: Bool { present == 0 }

    /// The algorithms present, weakest first.
    public var algorithms: [DigestAlgorithm] { DigestAlgorithm.allCases.filter(has) }

    /// The computed ones, strongest first.
    public var all: [(algorithm: DigestAlgorithm, hex: String)] {
        [DigestAlgorithm.sha512, .sha384, .sha256].compactMap { a in self[a].map { (a, $0) } }
    }

    /// Compares what both sides have, in time that depends only on the lengths:
    /// true when at least one algorithm is in both and all of those are equal, false
    /// when one differs, nil when they have no algorithm in common.
    public func agrees(with other: Digests) -> Bool? {
        let common = present & other.present
        guard common != 0 else { return nil }
        var diff: UInt8 = 0
        if common & Self.bit(.sha256) != 0 {
            let x = sha256Bytes, y = other.sha256Bytes
            diff |= UInt8(truncatingIfNeeded: ((x.a ^ y.a) | (x.b ^ y.b) | (x.c ^ y.c) | (x.d ^ y.d)) == 0 ? 0 : 1)
        }
        storage.withUnsafeBytes { a in
            other.storage.withUnsafeBytes { b in
                for algorithm in [DigestAlgorithm.sha384, .sha512] where common & Self.bit(algorithm) != 0 {
                    let x = offset(algorithm), y = other.offset(algorithm)
                    for i in 0..<algorithm.byteCount { diff |= a[x + i] ^ b[y + i] }
                }
            }
        }
        return diff == 0
    }
}

extension Digests: Sequence {
    /// (algorithm, lower-case hex) of the digests present, weakest first.
    public func makeIterator() -> IndexingIterator<[(algorithm: DigestAlgorithm, hex: String)]> {
        DigestAlgorithm.allCases.compactMap { a in self[a].map { (a, $0) } }.makeIterator()
    }
}

extension Digests: ExpressibleByDictionaryLiteral {
    public typealias Key = DigestAlgorithm
    public typealias Value = String

    /// `[.sha256: "<hex>"]`; a value that is not a digest of its algorithm is left out.
    public init(dictionaryLiteral elements: (DigestAlgorithm, String)...) {
        self.init()
        for (algorithm, hex) in elements { self[algorithm] = hex }
    }
}

extension Digests: Codable {
    private enum Field: String, CodingKey {
        case sha256, sha384, sha512
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Field.self)
        try container.encodeIfPresent(sha256, forKey: .sha256)
        try container.encodeIfPresent(sha384, forKey: .sha384)
        try container.encodeIfPresent(sha512, forKey: .sha512)
    }

    public init(from decoder: Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: Field.self)
        for (key, algorithm) in [(Field.sha256, DigestAlgorithm.sha256), (.sha384, .sha384), (.sha512, .sha512)] {
            guard let hex = try container.decodeIfPresent(String.self, forKey: key) else { continue }
            guard set(algorithm, hex: hex) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container,
                                                       debugDescription: "not a \(algorithm.byteCount)-byte hex digest")
            }
        }
    }
}

public enum Hex {
    public static func encode(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { encode($0) }
    }

    public static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            let digits: StaticString = "0123456789abcdef"
            digits.withUTF8Buffer { table in
                for (i, b) in bytes.enumerated() {
                    out[2 * i] = table[Int(b >> 4)]
                    out[2 * i + 1] = table[Int(b & 0x0f)]
                }
            }
            return bytes.count * 2
        }
    }

    /// Decodes lower- or upper-case hex; nil on any other character or odd length.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

/// Compares two byte strings in time that depends only on their lengths.
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<a.count { diff |= a[i] ^ b[i] }
    return diff == 0
}

/// Compares two strings' UTF-8 bytes in time that depends only on their lengths
/// (no copies: digests of 50,000 files are compared in one verification).
public func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    var a = a, b = b
    return a.withUTF8 { x in
        b.withUTF8 { y in
            guard x.count == y.count else { return false }
            var diff: UInt8 = 0
            for i in 0..<x.count { diff |= x[i] ^ y[i] }
            return diff == 0
        }
    }
}
