internal import CLibCrypto
internal import CLibCryptoShims
import Foundation

/// Largest certificate, CRL or bundle file passbox reads.
public let maxCertificateFileBytes = 4 << 20
/// Most certificates (or CRLs) one file may hold.
public let maxCertificatesPerFile = 256

/// What reports say about one X.509 certificate.
public struct CertificateInfo: Sendable, Equatable {
    /// RFC 2253 form, e.g. `CN=ACME Code Signing,O=ACME,C=DE`.
    public var subject: String
    public var issuer: String
    /// Hex SHA-256 of the certificate's DER encoding.
    public var fingerprint: String
    /// Hex serial number (upper-case, as `openssl x509 -serial` prints it).
    public var serial: String
    public var notBefore: Date?
    public var notAfter: Date?

    public init(subject: String, issuer: String, fingerprint: String, serial: String, notBefore: Date?, notAfter: Date?) {
        self.subject = subject
        self.issuer = issuer
        self.fingerprint = fingerprint
        self.serial = serial
        self.notBefore = notBefore
        self.notAfter = notAfter
    }
}

/// Owns one X509 (one reference of it).
final class X509Box: @unchecked Sendable {
    let x509: OpaquePointer
    init(owning x509: OpaquePointer) { self.x509 = x509 }
    deinit { X509_free(x509) }
}

/// Owns one X509_CRL.
final class CRLBox: @unchecked Sendable {
    let crl: OpaquePointer
    init(owning crl: OpaquePointer) { self.crl = crl }
    deinit { X509_CRL_free(crl) }
}

/// Owns one STACK_OF(X509) and one reference of every certificate in it.
final class X509StackBox {
    let stack: OpaquePointer
    init(owning stack: OpaquePointer) { self.stack = stack }
    deinit { passbox_sk_x509_pop_free(stack) }

    var count: Int { Int(passbox_sk_x509_num(stack)) }

    /// Borrowed pointers, valid while the stack lives.
    var borrowed: [OpaquePointer] {
        (0..<passbox_sk_x509_num(stack)).compactMap { passbox_sk_x509_value(stack, $0) }
    }
}

/// Owns one X509_STORE.
final class X509StoreBox {
    let store: OpaquePointer
    init() throws {
        guard let store = X509_STORE_new() else { throw CryptoError.drain("X509_STORE_new") }
        self.store = store
    }
    deinit { X509_STORE_free(store) }
}

/// Owns one X509_STORE_CTX.
final class X509StoreContextBox {
    let ctx: OpaquePointer
    init() throws {
        guard let ctx = X509_STORE_CTX_new() else { throw CryptoError.drain("X509_STORE_CTX_new") }
        self.ctx = ctx
    }
    deinit { X509_STORE_CTX_free(ctx) }
}

/// A memory BIO over bytes, only inside `body` (BIO_new_mem_buf does not copy).
func withReadBIO<T>(_ data: Data, _ body: (OpaquePointer) throws -> T) throws -> T {
    guard data.count < Int(Int32.max) else { throw CryptoError("\(data.count) bytes is too large for a memory BIO") }
    func over(_ base: UnsafeRawPointer, _ count: Int) throws -> T {
        guard let bio = BIO_new_mem_buf(base, Int32(count)) else { throw CryptoError.drain("BIO_new_mem_buf") }
        defer { BIO_free(bio) }
        return try body(bio)
    }
    if data.isEmpty {
        // Empty Data has no base address; an empty BIO still needs a pointer.
        var zero: UInt8 = 0
        return try withUnsafePointer(to: &zero) { try over(UnsafeRawPointer($0), 0) }
    }
    return try data.withUnsafeBytes { raw -> T in
        guard let base = raw.baseAddress else { throw CryptoError("no bytes") }
        return try over(base, raw.count)
    }
}

/// Text an OpenSSL printer writes into a fresh memory BIO.
func printedText(_ body: (OpaquePointer) -> Int32) -> String {
    guard let bio = BIO_new(BIO_s_mem()) else { return "" }
    defer { BIO_free(bio) }
    guard body(bio) >= 0 else { ERR_clear_error(); return "" }
    var pointer: UnsafeMutablePointer<CChar>?
    let length = passbox_bio_get_mem_data(bio, &pointer)
    guard let pointer, length > 0 else { return "" }
    return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
}

func rfc2253(_ name: OpaquePointer?) -> String {
    guard let name else { return "" }
    return printedText { X509_NAME_print_ex($0, name, 0, passbox_xn_flag_rfc2253()) }
}

func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
    guard let time else { return nil }
    var parts = tm()
    guard ASN1_TIME_to_tm(time, &parts) == 1 else { ERR_clear_error(); return nil }
    return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
}

func derEncoding(of x509: OpaquePointer) throws -> [UInt8] {
    try derEncode("a certificate") { i2d_X509(x509, $0) }
}

/// OpenSSL's two-call i2d_* pattern: the length first (no output), then the encoding
/// into a buffer of exactly that size.
func derEncode(_ what: String, _ i2d: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) throws -> [UInt8] {
    let length = i2d(nil)
    guard length > 0 else { throw CryptoError.drain("encoding \(what)") }
    var der = [UInt8](repeating: 0, count: Int(length))
    let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
        var p = buffer.baseAddress
        return i2d(&p)
    }
    guard written == length else { throw CryptoError.drain("encoding \(what)") }
    return der
}

func certificateInfo(_ x509: OpaquePointer) throws -> CertificateInfo {
    let der = try derEncoding(of: x509)
    var serial = ""
    if let integer = X509_get0_serialNumber(x509), let bn = ASN1_INTEGER_to_BN(integer, nil) {
        if let hex = BN_bn2hex(bn) {
            serial = String(cString: hex)
            passbox_openssl_free(hex)
        }
        BN_free(bn)
    }
    return CertificateInfo(
        subject: rfc2253(X509_get_subject_name(x509)),
        issuer: rfc2253(X509_get_issuer_name(x509)),
        fingerprint: Hex.encode(Hasher.digest(.sha256, der)),
        serial: serial,
        notBefore: date(X509_get0_notBefore(x509)),
        notAfter: date(X509_get0_notAfter(x509)))
}

/// How many PEM blocks with this label the text holds.
func pemBlockCount(_ data: Data, label: String) -> Int {
    let marker = Array("-----BEGIN \(label)-----".utf8)
    let bytes = [UInt8](data)
    guard bytes.count >= marker.count else { return 0 }
    var n = 0
    var i = 0
    while i + marker.count <= bytes.count {
        if bytes[i] == marker[0], bytes[i..<(i + marker.count)].elementsEqual(marker) {
            n += 1
            i += marker.count
        } else {
            i += 1
        }
    }
    return n
}

func looksLikePEM(_ data: Data) -> Bool {
    String(decoding: data.prefix(65536), as: UTF8.self).contains("-----BEGIN ")
}

/// An X.509 certificate (a trust anchor from `roots/`, or one carried by a signature).
public final class Certificate: Sendable {
    let box: X509Box
    public let info: CertificateInfo

    init(owning x509: OpaquePointer) throws {
        box = X509Box(owning: x509)
        info = try certificateInfo(x509)
    }

    /// Every certificate of a PEM file (one or a bundle), or the one certificate of a DER file.
    /// A bundle with any block that does not parse is an error, not a shorter list.
    public static func parseAll(_ data: Data) throws -> [Certificate] {
        guard data.count <= maxCertificateFileBytes else {
            throw CryptoError("certificate file is \(data.count) bytes; at most \(maxCertificateFileBytes) are read")
        }
        ERR_clear_error()
        if looksLikePEM(data) {
            let expected = pemBlockCount(data, label: "CERTIFICATE")
            guard expected > 0 else { throw CryptoError("no PEM CERTIFICATE block") }
            guard expected <= maxCertificatesPerFile else {
                throw CryptoError("\(expected) certificates in one file; at most \(maxCertificatesPerFile) are read")
            }
            return try withReadBIO(data) { bio in
                var out: [Certificate] = []
                for i in 0..<expected {
                    guard let x = PEM_read_bio_X509(bio, nil, nil, nil) else {
                        throw CryptoError.drain("PEM certificate \(i + 1) of \(expected) does not parse")
                    }
                    out.append(try Certificate(owning: x))
                }
                return out
            }
        }
        let x: OpaquePointer? = try withReadBIO(data) { d2i_X509_bio($0, nil) }
        guard let x else { throw CryptoError.drain("not a PEM or DER X.509 certificate") }
        return [try Certificate(owning: x)]
    }

    /// The certificate's public key, if it is of a kind passbox accepts
    /// (Ed25519, ECDSA P-256/P-384, RSA >= 2048).
    public func publicKey() throws -> PublicKey {
        guard let pkey = X509_get_pubkey(box.x509) else { throw CryptoError.drain("certificate has no readable public key") }
        return try PublicKey(owning: pkey)
    }

    /// Whether the extended key usage lists codeSigning.
    public var allowsCodeSigning: Bool {
        let flags = X509_get_extension_flags(box.x509)
        guard flags & UInt32(EXFLAG_XKUSAGE) != 0 else { return false }
        return X509_get_extended_key_usage(box.x509) & UInt32(XKU_CODE_SIGN) != 0
    }

    /// False when a keyUsage extension is present without digitalSignature.
    public var keyUsageAllowsSigning: Bool {
        let flags = X509_get_extension_flags(box.x509)
        guard flags & UInt32(EXFLAG_KUSAGE) != 0 else { return true }
        return X509_get_key_usage(box.x509) & UInt32(KU_DIGITAL_SIGNATURE) != 0
    }
}

/// A certificate revocation list from `crls/`.
public final class RevocationList: Sendable {
    let box: CRLBox
    /// The issuer, RFC 2253.
    public let issuer: String
    public let thisUpdate: Date?
    public let nextUpdate: Date?

    init(owning crl: OpaquePointer) {
        box = CRLBox(owning: crl)
        issuer = rfc2253(X509_CRL_get_issuer(crl))
        thisUpdate = date(X509_CRL_get0_lastUpdate(crl))
        nextUpdate = date(X509_CRL_get0_nextUpdate(crl))
    }

    /// Every CRL of a PEM file, or the one CRL of a DER file.
    public static func parseAll(_ data: Data) throws -> [RevocationList] {
        guard data.count <= maxCertificateFileBytes else {
            throw CryptoError("CRL file is \(data.count) bytes; at most \(maxCertificateFileBytes) are read")
        }
        ERR_clear_error()
        if looksLikePEM(data) {
            let expected = pemBlockCount(data, label: "X509 CRL")
            guard expected > 0 else { throw CryptoError("no PEM X509 CRL block") }
            guard expected <= maxCertificatesPerFile else {
                throw CryptoError("\(expected) CRLs in one file; at most \(maxCertificatesPerFile) are read")
            }
            return try withReadBIO(data) { bio in
                var out: [RevocationList] = []
                for i in 0..<expected {
                    guard let crl = PEM_read_bio_X509_CRL(bio, nil, nil, nil) else {
                        throw CryptoError.drain("PEM CRL \(i + 1) of \(expected) does not parse")
                    }
                    out.append(RevocationList(owning: crl))
                }
                return out
            }
        }
        let crl: OpaquePointer? = try withReadBIO(data) { d2i_X509_CRL_bio($0, nil) }
        guard let crl else { throw CryptoError.drain("not a PEM or DER X.509 CRL") }
        return [RevocationList(owning: crl)]
    }
}

/// Why a certificate chain is not trusted for code signing.
public enum ChainProblem: String, Sendable, Equatable {
    /// An issuer is neither in the trust anchors nor carried by the signature (missing intermediate).
    case issuerNotFound = "issuer-not-found"
    /// The chain ends in a self-signed certificate that is not a trust anchor.
    case untrustedRoot = "untrusted-root"
    /// The leaf's extended key usage does not include codeSigning (or keyUsage forbids signing).
    case notCodeSigning = "not-code-signing"
    /// A certificate of the chain is outside its validity period.
    case expired = "expired"
    case notYetValid = "not-yet-valid"
    /// A CRL lists a certificate of the chain.
    case revoked = "revoked"
    /// A CRL is required but missing (or stale) for a CA of the chain.
    case revocationUnknown = "revocation-unknown"
    /// A key too small or a digest too weak (RSA < 2048, SHA-1, MD5) in the chain.
    case weakAlgorithm = "weak-algorithm"
    /// Any other reason the chain does not verify (bad certificate signature, not a CA, ...).
    case invalidChain = "invalid-chain"
}

/// Policy for building and judging a chain.
public struct ChainPolicy: Sendable {
    /// When the chain's validity is judged.
    public var time: Date
    /// Require the codeSigning extended key usage on the leaf (the default).
    public var requireCodeSigning: Bool
    /// Require a CRL for every CA of the chain.
    public var requireCRL: Bool

    public init(time: Date, requireCodeSigning: Bool = true, requireCRL: Bool = false) {
        self.time = time
        self.requireCodeSigning = requireCodeSigning
        self.requireCRL = requireCRL
    }
}

/// The outcome of building a chain from a leaf to a trust anchor.
public struct ChainResult: Sendable {
    /// nil when the chain is trusted for code signing.
    public var problem: ChainProblem?
    /// OpenSSL's text for the failure, and the depth it was found at (0 = leaf).
    public var detail: String
    /// Leaf first; up to the trust anchor when the chain was built, partial otherwise.
    public var chain: [CertificateInfo]
}

/// Verifies `leaf` up to one of `roots`, with `intermediates` as untrusted helpers,
/// at `policy.time`. The purpose check is "any" (OpenSSL 3.0 has no code-signing
/// purpose); codeSigning is checked here on the leaf.
func verifyChain(leaf: OpaquePointer, intermediates: OpaquePointer?, roots: [Certificate], crls: [RevocationList], policy: ChainPolicy) throws -> ChainResult {
    let store = try X509StoreBox()
    for root in roots {
        guard X509_STORE_add_cert(store.store, root.box.x509) == 1 else {
            // A duplicate anchor is harmless; anything else is not.
            ERR_clear_error()
            continue
        }
    }
    for crl in crls {
        guard X509_STORE_add_crl(store.store, crl.box.crl) == 1 else {
            ERR_clear_error()
            continue
        }
    }
    let context = try X509StoreContextBox()
    guard X509_STORE_CTX_init(context.ctx, store.store, leaf, intermediates) == 1 else {
        throw CryptoError.drain("X509_STORE_CTX_init")
    }
    guard X509_STORE_CTX_set_purpose(context.ctx, X509_PURPOSE_ANY) == 1 else {
        throw CryptoError.drain("X509_STORE_CTX_set_purpose")
    }
    guard let param = X509_STORE_CTX_get0_param(context.ctx) else { throw CryptoError.drain("X509_STORE_CTX_get0_param") }
    X509_VERIFY_PARAM_set_time(param, time_t(policy.time.timeIntervalSince1970.rounded(.down)))
    // Level 2: at least 112-bit security; refuses RSA < 2048 and SHA-1/MD5 certificate signatures.
    X509_VERIFY_PARAM_set_auth_level(param, 2)
    if policy.requireCRL || !crls.isEmpty {
        X509_VERIFY_PARAM_set_flags(param, UInt(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL))
        if !policy.requireCRL {
            // Use the CRLs there are; a CA without one (or with a stale one) is not an error.
            X509_STORE_CTX_set_verify_cb(context.ctx) { ok, ctx in
                guard ok == 0, let ctx else { return ok }
                switch X509_STORE_CTX_get_error(ctx) {
                case X509_V_ERR_UNABLE_TO_GET_CRL, X509_V_ERR_CRL_HAS_EXPIRED, X509_V_ERR_CRL_NOT_YET_VALID:
                    X509_STORE_CTX_set_error(ctx, X509_V_OK)
                    return 1
                default:
                    return 0
                }
            }
        }
    }
    ERR_clear_error()
    let verified = X509_verify_cert(context.ctx)
    var chain: [CertificateInfo] = []
    if let stack = X509_STORE_CTX_get1_chain(context.ctx) {
        let owned = X509StackBox(owning: stack)
        chain = try owned.borrowed.map(certificateInfo)
    }
    if chain.isEmpty { chain = [try certificateInfo(leaf)] }
    if verified == 1 {
        ERR_clear_error()
        let flags = X509_get_extension_flags(leaf)
        if policy.requireCodeSigning {
            guard flags & UInt32(EXFLAG_XKUSAGE) != 0, X509_get_extended_key_usage(leaf) & UInt32(XKU_CODE_SIGN) != 0 else {
                let has = flags & UInt32(EXFLAG_XKUSAGE) != 0 ? "an extended key usage without codeSigning" : "no extended key usage extension"
                return ChainResult(problem: .notCodeSigning, detail: "the signing certificate has \(has); codeSigning is required", chain: chain)
            }
        }
        if flags & UInt32(EXFLAG_KUSAGE) != 0, X509_get_key_usage(leaf) & UInt32(KU_DIGITAL_SIGNATURE) == 0 {
            return ChainResult(problem: .notCodeSigning, detail: "the signing certificate's key usage does not include digitalSignature", chain: chain)
        }
        return ChainResult(problem: nil, detail: "chain verified to \(chain.last?.subject ?? "a trust anchor")", chain: chain)
    }
    let code = X509_STORE_CTX_get_error(context.ctx)
    let depth = X509_STORE_CTX_get_error_depth(context.ctx)
    let text = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "error \(code)"
    let queue = drainErrorQueue()
    var where_ = "certificate at depth \(depth)"
    if let current = X509_STORE_CTX_get_current_cert(context.ctx) {
        where_ += " (\(rfc2253(X509_get_subject_name(current))))"
    }
    let detail = "\(text): \(where_)" + (queue.isEmpty ? "" : "; \(queue.joined(separator: "; "))")
    let problem: ChainProblem
    switch code {
    case X509_V_ERR_CERT_HAS_EXPIRED: problem = .expired
    case X509_V_ERR_CERT_NOT_YET_VALID: problem = .notYetValid
    case X509_V_ERR_CERT_REVOKED: problem = .revoked
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
         X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        problem = .issuerNotFound
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        problem = .untrustedRoot
    case X509_V_ERR_UNABLE_TO_GET_CRL, X509_V_ERR_CRL_HAS_EXPIRED, X509_V_ERR_CRL_NOT_YET_VALID,
         X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
        problem = .revocationUnknown
    case X509_V_ERR_EE_KEY_TOO_SMALL, X509_V_ERR_CA_KEY_TOO_SMALL, X509_V_ERR_CA_MD_TOO_WEAK:
        problem = .weakAlgorithm
    default:
        problem = .invalidChain
    }
    return ChainResult(problem: problem, detail: detail, chain: chain)
}
