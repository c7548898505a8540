internal import CLibCrypto
import Foundation

/// Hashes other formats need that `DigestAlgorithm` deliberately leaves out, since
/// they never vouch for delivered content themselves:
/// - BLAKE2b-512: what minisign signs in its default (prehashed, `ED`) mode.
/// - SHA-1: OpenPGP v4 key fingerprints (identifiers, RFC 4880 §12.2), never a signature digest.
public enum AuxiliaryDigest: String, Sendable {
    case blake2b512 = "BLAKE2B-512"
    case sha1ForIdentifiers = "SHA1"
}

/// A streaming hash with an `AuxiliaryDigest`. One owner; not for concurrent use.
public final class AuxiliaryHasher {
    public let algorithm: AuxiliaryDigest
    /// Fetched per hasher (these are rare) and freed with it.
    private let md: OpaquePointer
    private let context: DigestContext

    public init(_ algorithm: AuxiliaryDigest) throws {
        self.algorithm = algorithm
        ERR_clear_error()
        guard let md = EVP_MD_fetch(nil, algorithm.rawValue, nil) else {
            throw CryptoError.drain("libcrypto has no \(algorithm.rawValue)")
        }
        guard let context = DigestContext(md: md) else {
            EVP_MD_free(md)
            throw CryptoError.drain("EVP digest context for \(algorithm.rawValue)")
        }
        self.md = md
        self.context = context
    }

    deinit { EVP_MD_free(md) }

    public func update(_ bytes: UnsafeRawBufferPointer) { context.update(bytes) }

    public func update(_ data: some DataProtocol) { context.update(data) }

    /// Finishes the hash and resets for a new message.
    public func finalize() -> [UInt8] { context.finalize() }

    public static func digest(_ algorithm: AuxiliaryDigest, _ data: some DataProtocol) throws -> [UInt8] {
        let h = try AuxiliaryHasher(algorithm)
        h.update(data)
        return h.finalize()
    }
}
