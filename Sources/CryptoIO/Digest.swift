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
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(ctx, &out, &length)
        EVP_DigestInit_ex(ctx, md, nil)
        return Array(out.prefix(Int(length)))
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

    public static func digest(_ algorithm: DigestAlgorithm, _ data: some DataProtocol) -> [UInt8] {
        let h = Hasher(algorithm)
        h.update(data)
        return h.finalize()
    }
}

/// Hex digests of one piece of content; nil where not computed. (A struct, not a
/// dictionary: inventories hold one per file, and there can be millions.)
public struct Digests: Sendable, Equatable, Codable {
    public var sha256: String?
    public var sha384: String?
    public var sha512: String?

    public init(sha256: String? = nil, sha384: String? = nil, sha512: String? = nil) {
        self.sha256 = sha256
        self.sha384 = sha384
        self.sha512 = sha512
    }

    public subscript(_ algorithm: DigestAlgorithm) -> String? {
        get {
            switch algorithm {
            case .sha256: sha256
            case .sha384: sha384
            case .sha512: sha512
            }
        }
        set {
            switch algorithm {
            case .sha256: sha256 = newValue
            case .sha384: sha384 = newValue
            case .sha512: sha512 = newValue
            }
        }
    }

    public var isEmpty: Bool { sha256 == nil && sha384 == nil && sha512 == nil }

    /// The computed ones, strongest first.
    public var all: [(algorithm: DigestAlgorithm, hex: String)] {
        [DigestAlgorithm.sha512, .sha384, .sha256].compactMap { a in self[a].map { (a, $0) } }
    }
}

public enum Hex {
    public static func encode(_ bytes: [UInt8]) -> String {
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
