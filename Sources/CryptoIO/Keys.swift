internal import CLibCrypto
internal import CLibCryptoShims
import Foundation

/// The public-key algorithms passbox accepts for signatures.
public enum KeyAlgorithm: Sendable, Equatable, CustomStringConvertible {
    case ed25519
    case ecdsaP256
    case ecdsaP384
    case rsa(bits: Int)

    public var description: String {
        switch self {
        case .ed25519: "ed25519"
        case .ecdsaP256: "ecdsa-p256"
        case .ecdsaP384: "ecdsa-p384"
        case .rsa(let bits): "rsa-\(bits)"
        }
    }
}

/// Largest PEM or DER key file passbox will read (keys are a few KiB at most).
public let maxKeyFileBytes = 256 * 1024

/// Owns one EVP_PKEY.
final class PKeyBox: @unchecked Sendable {
    let pkey: OpaquePointer
    init(_ pkey: OpaquePointer) { self.pkey = pkey }
    deinit { EVP_PKEY_free(pkey) }
}

/// A memory BIO over bytes. Only used inside `withMemoryBIO`, since
/// BIO_new_mem_buf does not copy.
private func withMemoryBIO<T>(_ data: Data, _ body: (OpaquePointer) throws -> T) throws -> T {
    try data.withUnsafeBytes { raw -> T in
        guard let base = raw.baseAddress,
              let bio = BIO_new_mem_buf(base, Int32(clamping: raw.count)) else {
            throw CryptoError.drain("BIO_new_mem_buf")
        }
        defer { BIO_free(bio) }
        return try body(bio)
    }
}

/// Runs `body` with a fresh writable memory BIO and returns what it wrote.
private func writeToMemoryBIO(_ what: String, _ body: (OpaquePointer) -> Int32) throws -> Data {
    guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError.drain("BIO_new") }
    defer { BIO_free(bio) }
    guard body(bio) == 1 else { throw CryptoError.drain(what) }
    var pointer: UnsafeMutablePointer<CChar>?
    let length = passbox_bio_get_mem_data(bio, &pointer)
    guard let pointer, length > 0 else { return Data() }
    return Data(bytes: pointer, count: length)
}

/// A password callback that never asks: an encrypted key simply fails to load
/// instead of OpenSSL prompting on the terminal.
private let noPassword: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = { _, _, _, _ in 0 }

private func algorithm(of pkey: OpaquePointer) throws -> KeyAlgorithm {
    let id = EVP_PKEY_get_base_id(pkey)
    switch id {
    case EVP_PKEY_ED25519:
        return .ed25519
    case EVP_PKEY_EC:
        var name = [CChar](repeating: 0, count: 64)
        var length = 0
        guard EVP_PKEY_get_group_name(pkey, &name, name.count, &length) == 1 else {
            throw CryptoError.drain("reading the EC curve name")
        }
        let curve = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch curve {
        case "prime256v1", "P-256", "secp256r1": return .ecdsaP256
        case "secp384r1", "P-384": return .ecdsaP384
        default: throw CryptoError("unsupported EC curve \(curve) (P-256 and P-384 are accepted)")
        }
    case EVP_PKEY_RSA:
        let bits = Int(EVP_PKEY_get_bits(pkey))
        guard bits >= 2048 else {
            throw CryptoError("RSA key of \(bits) bits is too weak (at least 2048 are required)")
        }
        return .rsa(bits: bits)
    default:
        throw CryptoError("unsupported key type (OpenSSL id \(id)); Ed25519, ECDSA P-256/P-384 and RSA >= 2048 are accepted")
    }
}

private func spkiDER(_ pkey: OpaquePointer) throws -> [UInt8] {
    try derEncode("the public key") { i2d_PUBKEY(pkey, $0) }
}

/// A public key that signatures can be checked against.
public final class PublicKey: Sendable {
    let box: PKeyBox
    public let algorithm: KeyAlgorithm
    /// DER SubjectPublicKeyInfo.
    public let spki: [UInt8]
    /// Hex SHA-256 of the DER SubjectPublicKeyInfo: the key's identity everywhere in passbox.
    public let fingerprint: String

    init(owning pkey: OpaquePointer) throws {
        box = PKeyBox(pkey)
        algorithm = try CryptoIO.algorithm(of: pkey)
        spki = try spkiDER(pkey)
        fingerprint = Hex.encode(Hasher.digest(.sha256, spki))
    }

    /// Reads a PEM "PUBLIC KEY" (SubjectPublicKeyInfo) or its DER form.
    public convenience init(pemOrDER data: Data) throws {
        guard data.count <= maxKeyFileBytes else {
            throw CryptoError("key file is \(data.count) bytes; at most \(maxKeyFileBytes) are read")
        }
        ERR_clear_error()
        // PEM has a "-----BEGIN" line (text may stand before it); anything else is read as DER.
        let looksPEM = String(decoding: data.prefix(4096), as: UTF8.self).contains("-----BEGIN ")
        let pkey: OpaquePointer? = try withMemoryBIO(data) { bio in
            looksPEM ? PEM_read_bio_PUBKEY(bio, nil, noPassword, nil) : d2i_PUBKEY_bio(bio, nil)
        }
        guard let pkey else { throw CryptoError.drain("not a PEM or DER SubjectPublicKeyInfo public key") }
        try self.init(owning: pkey)
    }

    public func pem() throws -> String {
        let data = try writeToMemoryBIO("writing the public key") { PEM_write_bio_PUBKEY($0, box.pkey) }
        return String(decoding: data, as: UTF8.self)
    }

    /// Checks `signature` over `message`. Returns false for a signature that does
    /// not verify; the algorithm follows from the key:
    /// - Ed25519: pure Ed25519 (RFC 8032).
    /// - ECDSA: DER signature; SHA-256 for P-256, SHA-384 for P-384.
    /// - RSA: PSS (any salt length) or PKCS#1 v1.5, with SHA-256, SHA-384 or SHA-512.
    public func verify(signature: [UInt8], message: [UInt8]) -> Bool {
        guard !signature.isEmpty, signature.count <= 4096 else { return false }
        switch algorithm {
        case .ed25519:
            return verifyOnce(signature, message, digest: nil, rsaPadding: nil)
        case .ecdsaP256:
            return verifyOnce(signature, message, digest: .sha256, rsaPadding: nil)
        case .ecdsaP384:
            return verifyOnce(signature, message, digest: .sha384, rsaPadding: nil)
        case .rsa:
            for digest in [DigestAlgorithm.sha256, .sha384, .sha512] {
                for padding in [RSAPadding.pss, .pkcs1] {
                    if verifyOnce(signature, message, digest: digest, rsaPadding: padding) { return true }
                }
            }
            return false
        }
    }

    enum RSAPadding { case pss, pkcs1 }

    private func verifyOnce(_ signature: [UInt8], _ message: [UInt8], digest: DigestAlgorithm?, rsaPadding: RSAPadding?) -> Bool {
        defer { ERR_clear_error() }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        var pctx: OpaquePointer?
        guard EVP_DigestVerifyInit(ctx, &pctx, digest?.md, nil, box.pkey) == 1 else { return false }
        if let rsaPadding, let pctx {
            switch rsaPadding {
            case .pss:
                guard EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1,
                      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) == 1 else { return false }
            case .pkcs1:
                guard EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 else { return false }
            }
        }
        return signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                EVP_DigestVerify(ctx, sig.baseAddress, sig.count, msg.baseAddress, msg.count) == 1
            }
        }
    }
}

/// The key-generation choices of `passbox keygen`.
public enum KeyGenAlgorithm: String, CaseIterable, Sendable {
    case ed25519
    case ecdsaP256 = "ecdsa-p256"
    case rsa3072 = "rsa-3072"
}

/// A private key for signing manifests and receipts.
public final class PrivateKey: Sendable {
    let box: PKeyBox
    public let publicKey: PublicKey

    private init(owning pkey: OpaquePointer) throws {
        box = PKeyBox(pkey)
        // The public half, re-read from its own encoding so it owns its EVP_PKEY.
        let der = try spkiDER(pkey)
        publicKey = try PublicKey(pemOrDER: Data(der))
    }

    public static func generate(_ algorithm: KeyGenAlgorithm) throws -> PrivateKey {
        let name: String
        switch algorithm {
        case .ed25519: name = "ED25519"
        case .ecdsaP256: name = "EC"
        case .rsa3072: name = "RSA"
        }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, name, nil) else {
            throw CryptoError.drain("EVP_PKEY_CTX_new_from_name(\(name))")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1 else { throw CryptoError.drain("EVP_PKEY_keygen_init") }
        switch algorithm {
        case .ecdsaP256:
            guard EVP_PKEY_CTX_set_group_name(ctx, "P-256") == 1 else { throw CryptoError.drain("setting curve P-256") }
        case .rsa3072:
            guard EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 3072) == 1 else { throw CryptoError.drain("setting RSA bits") }
        case .ed25519:
            break
        }
        var pkey: OpaquePointer?
        guard EVP_PKEY_generate(ctx, &pkey) == 1, let pkey else { throw CryptoError.drain("EVP_PKEY_generate") }
        return try PrivateKey(owning: pkey)
    }

    /// Reads an unencrypted PEM private key (PKCS#8 or the traditional forms).
    public static func load(pem data: Data) throws -> PrivateKey {
        guard data.count <= maxKeyFileBytes else {
            throw CryptoError("key file is \(data.count) bytes; at most \(maxKeyFileBytes) are read")
        }
        ERR_clear_error()
        let pkey: OpaquePointer? = try withMemoryBIO(data) { PEM_read_bio_PrivateKey($0, nil, noPassword, nil) }
        guard let pkey else {
            throw CryptoError.drain("not an unencrypted PEM private key")
        }
        return try PrivateKey(owning: pkey)
    }

    /// PKCS#8 PEM, unencrypted (the file is written with mode 0600).
    public func pem() throws -> String {
        let data = try writeToMemoryBIO("writing the private key") {
            PEM_write_bio_PrivateKey($0, box.pkey, nil, nil, 0, nil, nil)
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Signs `message`: Ed25519 pure; ECDSA with SHA-256/384 by curve (DER);
    /// RSA-PSS with SHA-256 and a salt as long as the digest.
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        ERR_clear_error()
        guard let ctx = EVP_MD_CTX_new() else { throw CryptoError.drain("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(ctx) }
        let digest: DigestAlgorithm?
        switch publicKey.algorithm {
        case .ed25519: digest = nil
        case .ecdsaP256, .rsa: digest = .sha256
        case .ecdsaP384: digest = .sha384
        }
        var pctx: OpaquePointer?
        guard EVP_DigestSignInit(ctx, &pctx, digest?.md, nil, box.pkey) == 1 else {
            throw CryptoError.drain("EVP_DigestSignInit")
        }
        if case .rsa = publicKey.algorithm, let pctx {
            guard EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1,
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 else {
                throw CryptoError.drain("setting RSA-PSS")
            }
        }
        var length = 0
        let ok = message.withUnsafeBufferPointer { msg in
            EVP_DigestSign(ctx, nil, &length, msg.baseAddress, msg.count)
        }
        guard ok == 1 else { throw CryptoError.drain("EVP_DigestSign (size)") }
        var signature = [UInt8](repeating: 0, count: length)
        let ok2 = signature.withUnsafeMutableBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                EVP_DigestSign(ctx, sig.baseAddress, &length, msg.baseAddress, msg.count)
            }
        }
        guard ok2 == 1 else { throw CryptoError.drain("EVP_DigestSign") }
        return Array(signature.prefix(length))
    }
}
