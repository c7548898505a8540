internal import CLibCrypto
import Foundation

/// Public keys from the bare encodings other signature formats carry (minisign and
/// signify: 32 raw Ed25519 bytes; OpenPGP: RSA modulus and exponent, EC points),
/// and verification over a digest computed elsewhere (OpenPGP signs a hash of
/// content plus trailer). Weak keys are refused as for PEM keys: RSA < 2048.
extension PublicKey {
    /// An Ed25519 public key from its 32 raw bytes (RFC 8032).
    public convenience init(ed25519Raw bytes: [UInt8]) throws {
        guard bytes.count == 32 else {
            throw CryptoError("an Ed25519 public key is 32 bytes, not \(bytes.count)")
        }
        ERR_clear_error()
        let pkey = bytes.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32)
        }
        guard let pkey else { throw CryptoError.drain("not an Ed25519 public key") }
        try self.init(owning: pkey)
    }

    /// An RSA public key from its big-endian modulus and public exponent.
    public convenience init(rsaModulus modulus: [UInt8], exponent: [UInt8]) throws {
        guard modulus.count <= 2048, exponent.count <= 64 else {
            throw CryptoError("RSA key too large (at most 16384 bits)")
        }
        let rsaKey = DER.sequence(DER.integer(modulus) + DER.integer(exponent))
        let algorithm = DER.sequence(DER.oidRSAEncryption + [0x05, 0x00])
        let spki = DER.sequence(algorithm + DER.bitString(rsaKey))
        try self.init(pemOrDER: Data(spki))
    }

    /// The NIST curves passbox accepts for ECDSA.
    public enum Curve: Sendable {
        case p256, p384
        var oid: [UInt8] {
            switch self {
            case .p256: [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]
            case .p384: [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]
            }
        }
    }

    /// An ECDSA public key from its SEC1 point (uncompressed `04 || x || y` or compressed).
    public convenience init(ecPoint point: [UInt8], curve: Curve) throws {
        guard !point.isEmpty, point.count <= 133 else { throw CryptoError("EC point of \(point.count) bytes") }
        let algorithm = DER.sequence(DER.oidECPublicKey + curve.oid)
        let spki = DER.sequence(algorithm + DER.bitString(point))
        try self.init(pemOrDER: Data(spki))
    }

    /// Checks a signature over a digest that was computed by the caller:
    /// RSA PKCS#1 v1.5 (the DigestInfo names `algorithm`) or ECDSA (DER signature).
    /// Ed25519 signs messages, never digests: use `verify(signature:message:)`.
    public func verify(signature: [UInt8], digest: [UInt8], algorithm digestAlgorithm: DigestAlgorithm) -> Bool {
        guard !signature.isEmpty, signature.count <= 4096, digest.count == digestAlgorithm.byteCount else { return false }
        defer { ERR_clear_error() }
        switch algorithm {
        case .ed25519: return false
        case .ecdsaP256, .ecdsaP384, .rsa: break
        }
        guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, box.pkey, nil) else { return false }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_verify_init(ctx) == 1 else { return false }
        if case .rsa = algorithm {
            guard EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 else { return false }
        }
        guard EVP_PKEY_CTX_set_signature_md(ctx, digestAlgorithm.md) == 1 else { return false }
        return signature.withUnsafeBufferPointer { sig in
            digest.withUnsafeBufferPointer { tbs in
                EVP_PKEY_verify(ctx, sig.baseAddress, sig.count, tbs.baseAddress, tbs.count) == 1
            }
        }
    }
}

/// The few DER encodings passbox builds itself (SubjectPublicKeyInfo of a bare key,
/// an ECDSA signature from its two integers).
public enum DER {
    static let oidRSAEncryption: [UInt8] = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]
    static let oidECPublicKey: [UInt8] = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]

    static func length(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        var bytes: [UInt8] = []
        var v = n
        while v > 0 {
            bytes.insert(UInt8(v & 0xff), at: 0)
            v >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    static func tagged(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        [tag] + length(content.count) + content
    }

    static func sequence(_ content: [UInt8]) -> [UInt8] { tagged(0x30, content) }

    static func bitString(_ content: [UInt8]) -> [UInt8] { tagged(0x03, [0] + content) }

    /// A non-negative INTEGER from big-endian magnitude bytes.
    static func integer(_ magnitude: [UInt8]) -> [UInt8] {
        var m = Array(magnitude.drop(while: { $0 == 0 }))
        if m.isEmpty { m = [0] }
        if m[0] & 0x80 != 0 { m.insert(0, at: 0) }
        return tagged(0x02, m)
    }

    /// ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } from the big-endian r and s.
    public static func ecdsaSignature(r: [UInt8], s: [UInt8]) -> [UInt8] {
        sequence(integer(r) + integer(s))
    }
}
