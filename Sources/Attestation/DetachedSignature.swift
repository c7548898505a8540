import CryptoIO
import Foundation

/// Largest detached signature file passbox reads.
public let maxDetachedSignatureBytes = 1 << 20
/// Largest signed file (the checksum list) a detached signature is checked over.
public let maxDetachedContentBytes = maxChecksumListBytes
/// How far in the future an OpenPGP signature's creation time may be (a signer's
/// clock slightly ahead), in seconds.
let openPGPClockSkew: Int64 = 300
/// Largest raw signature (RSA-8192 is 1024 bytes).
let maxRawSignatureBytes = 1024

/// The detached signature formats passbox reads, recognised by content.
public enum DetachedSignatureFormat: String, Sendable, CaseIterable {
    /// minisign `.minisig` (Ed25519, `Ed` or prehashed `ED`, with a signed trusted comment).
    case minisign
    /// signify (OpenBSD) `.sig`.
    case signify
    /// OpenPGP `.asc` / `.gpg` / `.sig` (v4 signatures).
    case openpgp
    /// CMS/PKCS#7 `.p7s`, DER or PEM, with an X.509 chain to `roots/`.
    case cms
    /// A bare signature (binary or base64) by a PEM key, as `openssl pkeyutl`/`dgst -sign` and `cosign sign-blob` make it.
    case raw
}

/// A signature file that does not parse (a malformed manifest, not a bad signature).
public struct DetachedSignatureError: Error, CustomStringConvertible, Sendable {
    public let format: DetachedSignatureFormat?
    public let message: String
    public init(_ format: DetachedSignatureFormat?, _ message: String) {
        self.format = format
        self.message = message
    }
    public var description: String {
        format.map { "\($0.rawValue) signature: \(message)" } ?? message
    }
}

/// Who made a signature.
public struct VendorSigner: Sendable, Equatable {
    /// The trust store's name for the key (file name without extension), or, for
    /// X.509, the signing certificate's common name (its subject when it has none).
    public var name: String
    /// The trust store file the key came from (nil for X.509: the certificate comes with the signature).
    public var file: String?
    /// `ed25519`, `ecdsa-p256`, `ecdsa-p384`, `rsa-3072`...
    public var algorithm: String
    /// The identity in the format's own terms: SHA-256 of the SubjectPublicKeyInfo
    /// (minisign, signify, raw), the v4 fingerprint of the certificate's primary key
    /// (OpenPGP, upper-case), or SHA-256 of the signing certificate's DER (CMS).
    public var fingerprint: String
    /// minisign/signify key id (as minisign prints it); OpenPGP: the fingerprint of
    /// the (sub)key that signed.
    public var keyID: String?
    /// Hex SHA-256 of the SubjectPublicKeyInfo of the key that verified: the same
    /// key in any format has the same value (use it to count distinct signers).
    public var keyFingerprint: String?

    public init(name: String, file: String?, algorithm: String, fingerprint: String, keyID: String?, keyFingerprint: String?) {
        self.name = name
        self.file = file
        self.algorithm = algorithm
        self.fingerprint = fingerprint
        self.keyID = keyID
        self.keyFingerprint = keyFingerprint
    }
}

/// The result of checking one signature of a detached signature file.
public struct DetachedSignatureCheck: Sendable {
    public enum Status: String, Sendable {
        /// Verifies with a trusted key / chains to a trusted root for code signing, valid at the time.
        case valid
        /// Does not verify (content or signature changed, or a weak algorithm: MD5, SHA-1, RSA < 2048, DSA).
        case invalid
        /// Verifies with no trusted key, or the chain does not reach a trusted root, or the certificate is not for code signing.
        case untrusted
        /// Key or certificate (or the signature itself) outside its validity at the time.
        case expired
        /// Key or certificate revoked.
        case revoked
    }

    public var format: DetachedSignatureFormat
    public var status: Status
    /// What was found, in words (OpenSSL's own text included for X.509).
    public var message: String
    /// Who signed, when known (always for valid; for the others when the key or certificate is identified).
    public var signer: VendorSigner?
    /// minisign: the trusted comment (authenticated by the global signature) when valid.
    public var trustedComment: String?
    /// OpenPGP: the signature's creation time.
    public var signedAt: Date?
    /// CMS: the signing certificate, and the chain as far as it was built (leaf first).
    public var certificate: CertificateInfo?
    public var chain: [CertificateInfo] = []
    /// CMS: why the chain is not trusted.
    public var chainProblem: ChainProblem?

    /// The contract's finding code for a signature that is not valid.
    public var findingCode: String? {
        status == .valid ? nil : "signature.\(status.rawValue)"
    }

    init(format: DetachedSignatureFormat, status: Status, message: String, signer: VendorSigner? = nil) {
        self.format = format
        self.status = status
        self.message = message
        self.signer = signer
    }
}

// MARK: - Checking

/// Checks detached signatures over a signed file (a checksum list) at a given time.
public struct DetachedSignatureVerifier: Sendable {
    public var trust: VendorTrust
    /// When keys, certificates and signatures are judged (`--at`).
    public var time: Date

    public init(trust: VendorTrust, time: Date) {
        self.trust = trust
        self.time = time
    }

    /// The format of a signature file, by content only (never by name).
    public static func detectFormat(_ signature: Data) -> DetachedSignatureFormat {
        if String(decoding: signature.prefix(32), as: UTF8.self).hasPrefix(untrustedPrefix) {
            let lines = (try? textLines(signature)) ?? []
            return lines.count >= 3 && lines[2].hasPrefix(trustedPrefix) ? .minisign : .signify
        }
        if CMS.looksLikeSignedData(signature) { return .cms }
        if OpenPGPDetachedSignature.looksLike(signature) { return .openpgp }
        return .raw
    }

    /// Checks `signature` over `content`: one result per signature the file holds
    /// (OpenPGP and CMS files may hold several; the others hold one). Throws
    /// `DetachedSignatureError` when the file does not parse or is too large.
    public func check(signature: Data, content: Data) throws -> [DetachedSignatureCheck] {
        try check(signature: signature, content: content, as: Self.detectFormat(signature))
    }

    public func check(signature: Data, content: Data, as format: DetachedSignatureFormat) throws -> [DetachedSignatureCheck] {
        guard signature.count <= maxDetachedSignatureBytes else {
            throw DetachedSignatureError(format, "signature file is \(signature.count) bytes; at most \(maxDetachedSignatureBytes) are read")
        }
        guard content.count <= maxDetachedContentBytes else {
            throw DetachedSignatureError(format, "signed file is \(content.count) bytes; at most \(maxDetachedContentBytes) are read")
        }
        switch format {
        case .minisign, .signify: return [try checkEd25519(signature, content, format)]
        case .openpgp: return try checkOpenPGP(signature, content)
        case .cms: return try checkCMS(signature, content)
        case .raw: return [try checkRaw(signature, content)]
        }
    }

    private var judgedAt: Int64 { Int64(time.timeIntervalSince1970.rounded(.down)) }

    // MARK: minisign, signify

    private func checkEd25519(_ signature: Data, _ content: Data, _ format: DetachedSignatureFormat) throws -> DetachedSignatureCheck {
        let file: Ed25519SignatureFile
        do {
            file = try Ed25519SignatureFile.parse(signature)
        } catch {
            throw DetachedSignatureError(format, "\(error)")
        }
        let format: DetachedSignatureFormat = file.flavor == .minisign ? .minisign : .signify
        let candidates = trust.ed25519Keys.filter { $0.keyFile.keyID == file.keyID }
        guard !candidates.isEmpty else {
            return DetachedSignatureCheck(format: format, status: .untrusted,
                                          message: "signed by key id \(file.keyIDHex), which is not in the trust store")
        }
        let message: [UInt8]
        if file.prehashed {
            message = try AuxiliaryHasher.digest(.blake2b512, content)
        } else {
            message = [UInt8](content)
        }
        var failure = DetachedSignatureCheck(format: format, status: .invalid, message: "")
        for candidate in candidates {
            let key = candidate.keyFile.key
            let signer = VendorSigner(name: candidate.name, file: candidate.file, algorithm: "\(key.algorithm)",
                                      fingerprint: key.fingerprint, keyID: candidate.keyFile.keyIDHex, keyFingerprint: key.fingerprint)
            guard key.verify(signature: file.signature, message: message) else {
                failure = DetachedSignatureCheck(format: format, status: .invalid, message: "does not verify with the trusted key \(candidate.name) (key id \(file.keyIDHex)): the signed file or the signature was changed", signer: signer)
                continue
            }
            if let comment = file.trustedComment, let global = file.globalSignature {
                guard key.verify(signature: global, message: file.signature + Array(comment.utf8)) else {
                    return DetachedSignatureCheck(format: format, status: .invalid,
                                                  message: "the trusted comment does not verify with \(candidate.name): it was changed after signing", signer: signer)
                }
            }
            var check = DetachedSignatureCheck(format: format, status: .valid,
                                               message: "verified with \(candidate.name) (key id \(file.keyIDHex)\(file.prehashed ? ", BLAKE2b-512 prehashed" : ""))", signer: signer)
            check.trustedComment = file.trustedComment
            return check
        }
        return failure
    }

    // MARK: raw

    private func checkRaw(_ signature: Data, _ content: Data) throws -> DetachedSignatureCheck {
        var candidates: [[UInt8]] = []
        let bytes = [UInt8](signature)
        let isText = bytes.allSatisfy { $0 == 0x0a || $0 == 0x0d || $0 == 0x20 || $0 == 0x09 || (0x21...0x7e).contains($0) }
        if isText {
            let compact = String(decoding: bytes.filter { !($0 == 0x0a || $0 == 0x0d || $0 == 0x20 || $0 == 0x09) }, as: UTF8.self)
            guard !compact.isEmpty, let decoded = Data(base64Encoded: compact), !decoded.isEmpty else {
                throw DetachedSignatureError(.raw, "neither a minisign, signify, OpenPGP or CMS signature nor a raw signature (binary or base64)")
            }
            candidates.append([UInt8](decoded))
        }
        candidates.append(bytes)
        candidates = candidates.filter { !$0.isEmpty && $0.count <= maxRawSignatureBytes }
        guard !candidates.isEmpty else {
            throw DetachedSignatureError(.raw, "a raw signature is at most \(maxRawSignatureBytes) bytes; this file is \(signature.count)")
        }
        let message = [UInt8](content)
        for key in trust.keys {
            for candidate in candidates where key.key.verify(signature: candidate, message: message) {
                let signer = VendorSigner(name: key.name, file: key.file, algorithm: "\(key.key.algorithm)",
                                          fingerprint: key.fingerprint, keyID: nil, keyFingerprint: key.fingerprint)
                return DetachedSignatureCheck(format: .raw, status: .valid, message: "verified with \(key.name)", signer: signer)
            }
        }
        // A raw signature names no key: tampering and an unknown key look the same.
        return DetachedSignatureCheck(format: .raw, status: .untrusted,
                                      message: trust.keys.isEmpty
                                        ? "raw signature, and the trust store has no PEM keys"
                                        : "verifies with none of the \(trust.keys.count) trusted PEM keys: the signed file or the signature was changed, or the key is not in the trust store")
    }

    // MARK: OpenPGP

    private func checkOpenPGP(_ signature: Data, _ content: Data) throws -> [DetachedSignatureCheck] {
        let file: OpenPGPDetachedSignature
        do {
            file = try OpenPGPDetachedSignature.parse(signature)
        } catch {
            throw DetachedSignatureError(.openpgp, "\(error)")
        }
        var textContent: Data?
        return file.signatures.map { sig in
            checkOpenPGPSignature(sig, content: content, textContent: &textContent)
        }
    }

    private func checkOpenPGPSignature(_ sig: PGPSignature, content: Data, textContent: inout Data?) -> DetachedSignatureCheck {
        let issuer = sig.issuerFingerprint.map { Hex.encode($0).uppercased() } ?? sig.issuerKeyID.map { "key id " + Hex.encode($0).uppercased() } ?? "an unnamed key"
        var result = DetachedSignatureCheck(format: .openpgp, status: .invalid, message: "")
        result.signedAt = sig.created.map { Date(timeIntervalSince1970: TimeInterval($0)) }
        guard sig.type == 0x00 || sig.type == 0x01 else {
            result.message = "signature type 0x\(String(sig.type, radix: 16)) is not a document signature"
            return result
        }
        guard digestAlgorithm(openPGPHash: sig.hashAlgorithm) != nil else {
            result.message = "made with \(sig.hashName), which is too weak or not accepted (SHA-256, SHA-384 or SHA-512 are)"
            return result
        }
        if let critical = sig.unknownCritical {
            result.message = "has a critical subpacket (type \(critical)) passbox cannot honour"
            return result
        }
        guard let created = sig.created else {
            result.message = "has no signature creation time"
            return result
        }
        let candidates = trust.openPGPCertificates.flatMap { trusted in
            trusted.certificate.allKeys.filter { sig.names($0) }.map { (trusted, $0) }
        }
        guard !candidates.isEmpty else {
            result.status = .untrusted
            result.message = "made by \(issuer), which is in no trusted OpenPGP certificate"
            return result
        }
        let finalDigest: [UInt8]?
        if sig.type == 0x01 {
            if textContent == nil { textContent = canonicalText(content) }
            let text = textContent ?? content
            finalDigest = sig.digest(over: { $0.update(text) })
        } else {
            finalDigest = sig.digest(over: { $0.update(content) })
        }
        guard let finalDigest else {
            result.message = "made with \(sig.hashName), which is not accepted"
            return result
        }
        var unusable: [String] = []
        for (trusted, key) in candidates {
            let cert = trusted.certificate
            let signer = VendorSigner(name: trusted.name, file: trusted.file, algorithm: key.algorithmName, fingerprint: cert.fingerprint,
                                      keyID: key.fingerprintHex, keyFingerprint: key.key?.fingerprint)
            guard key.key != nil else {
                unusable.append("\(trusted.name): \(key.unusable ?? "unusable key")")
                continue
            }
            guard sig.verifies(digest: finalDigest, with: key) else { continue }
            result.signer = signer
            let at = judgedAt
            if Int64(created) > at + openPGPClockSkew {
                result.status = .expired
                result.message = "made on \(isoDate(Int64(created))), after the time it is judged at"
                return result
            }
            if let e = sig.expiresAfter, e > 0, Int64(created) + Int64(e) <= at {
                result.status = .expired
                result.message = "the signature expired on \(isoDate(Int64(created) + Int64(e)))"
                return result
            }
            guard key.created <= created else {
                result.status = .invalid
                result.message = "claims to be made before its key existed"
                return result
            }
            switch cert.signingState(of: key, at: at) {
            case .usable:
                result.status = .valid
                result.message = "verified with \(trusted.name) (\(key.fingerprintHex)), made \(isoDate(Int64(created)))"
            case .revoked(let why):
                result.status = .revoked
                result.message = why
            case .expired(let why):
                result.status = .expired
                result.message = why
            case .unusable(let why):
                result.status = .untrusted
                result.message = why
            }
            return result
        }
        result.status = .invalid
        if Set(candidates.map(\.0.certificate.fingerprint)).count == 1, let (trusted, key) = candidates.first {
            result.signer = VendorSigner(name: trusted.name, file: trusted.file, algorithm: key.algorithmName, fingerprint: trusted.certificate.fingerprint,
                                         keyID: key.fingerprintHex, keyFingerprint: key.key?.fingerprint)
        }
        if !unusable.isEmpty && unusable.count == candidates.count {
            result.message = "made by a key passbox does not accept: \(unusable.joined(separator: "; "))"
        } else {
            let names = Set(candidates.map(\.0.name)).sorted().joined(separator: ", ")
            result.message = "does not verify with the trusted key it names (\(names)): the signed file or the signature was changed"
        }
        return result
    }

    // MARK: CMS

    private func checkCMS(_ signature: Data, _ content: Data) throws -> [DetachedSignatureCheck] {
        let results: [CMSSignerResult]
        do {
            results = try CMS.verifyDetached(
                signature: signature, content: content, roots: trust.roots, crls: trust.crls,
                policy: ChainPolicy(time: time, requireCodeSigning: trust.requireCodeSigning, requireCRL: trust.requireCRL))
        } catch {
            throw DetachedSignatureError(.cms, "\(error)")
        }
        return results.map { r in
            let status: DetachedSignatureCheck.Status
            var problem: ChainProblem?
            switch r.outcome {
            case .valid: status = .valid
            case .badSignature, .weakAlgorithm: status = .invalid
            case .chain(let p):
                problem = p
                switch p {
                case .expired, .notYetValid: status = .expired
                case .revoked: status = .revoked
                case .weakAlgorithm: status = .invalid
                case .issuerNotFound, .untrustedRoot, .notCodeSigning, .revocationUnknown, .invalidChain: status = .untrusted
                }
            }
            var check = DetachedSignatureCheck(format: .cms, status: status, message: r.detail)
            if let leaf = r.signer {
                check.signer = VendorSigner(name: commonName(leaf.subject) ?? leaf.subject, file: nil,
                                            algorithm: r.keyAlgorithm.map { "\($0)" } ?? "unknown", fingerprint: leaf.fingerprint,
                                            keyID: nil, keyFingerprint: r.keyFingerprint)
            }
            check.certificate = r.signer
            check.chain = r.chain
            check.chainProblem = problem
            return check
        }
    }
}

/// The CN of an RFC 2253 name (`CN=ACME Code Signing,O=ACME`), if it has one.
func commonName(_ rfc2253: String) -> String? {
    // Split on commas not escaped with a backslash.
    var parts: [String] = []
    var current = ""
    var escaped = false
    for c in rfc2253 {
        if escaped {
            current.append(c)
            escaped = false
        } else if c == "\\" {
            current.append(c)
            escaped = true
        } else if c == "," || c == "+" {
            parts.append(current)
            current = ""
        } else {
            current.append(c)
        }
    }
    parts.append(current)
    for p in parts where p.hasPrefix("CN=") {
        return String(p.dropFirst(3))
    }
    return nil
}
