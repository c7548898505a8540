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
    private let md: OpaquePointer
    private let ctx: OpaquePointer

    public init(_ algorithm: AuxiliaryDigest) throws {
        self.algorithm = algorithm
        ERR_clear_error()
        guard let md = EVP_MD_fetch(nil, algorithm.rawValue, nil) else {
            throw CryptoError.drain("libcrypto has no \(algorithm.rawValue)")
        }
        guard let ctx = EVP_MD_CTX_new() else {
            EVP_MD_free(md)
            throw CryptoError.drain("EVP_MD_CTX_new")
        }
        self.md = md
        self.ctx = ctx
        guard EVP_DigestInit_ex(ctx, md, nil) == 1 else { throw CryptoError.drain("EVP_DigestInit_ex(\(algorithm.rawValue))") }
    }

    deinit {
        EVP_MD_CTX_free(ctx)
        EVP_MD_free(md)
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(ctx, base, bytes.count)
    }

    public func update(_ data: some DataProtocol) {
        for region in data.regions {
            region.withUnsafeBytes { update($0) }
        }
    }

    /// Finishes the hash and resets for a new message.
    public func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(ctx, &out, &length)
        EVP_DigestInit_ex(ctx, md, nil)
        return Array(out.prefix(Int(length)))
    }

    public static func digest(_ algorithm: AuxiliaryDigest, _ data: some DataProtocol) throws -> [UInt8] {
        let h = try AuxiliaryHasher(algorithm)
        h.update(data)
        return h.finalize()
    }
}
