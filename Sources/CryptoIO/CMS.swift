internal import CLibCrypto
internal import CLibCryptoShims
import Foundation

/// Largest CMS/PKCS#7 signature passbox reads.
public let maxCMSSignatureBytes = 1 << 20
/// Most signers and carried certificates one CMS signature may have.
public let maxCMSSigners = 16
public let maxCMSCertificates = 64

/// Owns one CMS_ContentInfo.
final class CMSBox {
    let cms: OpaquePointer
    init(owning cms: OpaquePointer) { self.cms = cms }
    deinit { CMS_ContentInfo_free(cms) }
}

/// What checking one SignerInfo of a detached CMS signature found.
public struct CMSSignerResult: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// The signature verifies and the chain is trusted for code signing at the given time.
        case valid
        /// The content or signed attributes do not match the signature.
        case badSignature
        /// MD5/SHA-1 digest, a key too small, or a key type passbox does not accept (DSA...).
        case weakAlgorithm
        /// The signature verifies, but its certificate chain is not trusted (see the problem).
        case chain(ChainProblem)
    }

    public var outcome: Outcome
    /// Human-readable, with OpenSSL's own text where it has one.
    public var detail: String
    /// The signing certificate, when the signature carries it.
    public var signer: CertificateInfo?
    /// Leaf first, as far as it was built.
    public var chain: [CertificateInfo]
    /// The signing key, when it is of a kind passbox accepts.
    public var keyAlgorithm: KeyAlgorithm?
    /// Hex SHA-256 of the signing key's SubjectPublicKeyInfo.
    public var keyFingerprint: String?
}

public enum CMS {
    /// Does this look like a CMS/PKCS#7 SignedData (PEM `PKCS7`/`CMS`, or DER with the signedData OID near the start)?
    public static func looksLikeSignedData(_ data: Data) -> Bool {
        let head = data.prefix(64)
        let text = String(decoding: head, as: UTF8.self)
        if text.contains("-----BEGIN PKCS7-----") || text.contains("-----BEGIN CMS-----") { return true }
        // 1.2.840.113549.1.7.2 (signedData)
        let oid: [UInt8] = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]
        let bytes = [UInt8](head)
        guard bytes.first == 0x30, bytes.count >= oid.count else { return false }
        for i in 0...(bytes.count - oid.count) where bytes[i..<(i + oid.count)].elementsEqual(oid) { return true }
        return false
    }

    /// Verifies a detached CMS/PKCS#7 signature (DER or PEM) over `content`, exactly
    /// as given (binary: no MIME line-ending translation), then builds each signer's
    /// chain to `roots` with the certificates the signature carries as intermediates,
    /// CRLs from `crls`, validity at `policy.time`, and codeSigning required on the leaf.
    ///
    /// Throws (malformed) when the signature does not parse, is not detached SignedData,
    /// or has no signers; otherwise returns one result per signer.
    public static func verifyDetached(signature: Data, content: Data, roots: [Certificate], crls: [RevocationList], policy: ChainPolicy) throws -> [CMSSignerResult] {
        guard signature.count <= maxCMSSignatureBytes else {
            throw CryptoError("CMS signature is \(signature.count) bytes; at most \(maxCMSSignatureBytes) are read")
        }
        ERR_clear_error()
        let pem = looksLikePEM(signature)
        let parsed: OpaquePointer? = try withReadBIO(signature) { bio in
            pem ? PEM_read_bio_CMS(bio, nil, nil, nil) : d2i_CMS_bio(bio, nil)
        }
        guard let parsed else { throw CryptoError.drain("not a \(pem ? "PEM" : "DER") CMS/PKCS#7 signature") }
        let cms = CMSBox(owning: parsed)
        guard OBJ_obj2nid(CMS_get0_type(cms.cms)) == NID_pkcs7_signed else {
            throw CryptoError("CMS content type is not SignedData")
        }
        guard CMS_is_detached(cms.cms) == 1 else {
            throw CryptoError("CMS signature is not detached (it carries its own content)")
        }
        guard let infos = CMS_get0_SignerInfos(cms.cms) else { throw CryptoError.drain("CMS signature has no signers") }
        let signerCount = Int(passbox_sk_cms_signerinfo_num(infos))
        guard signerCount > 0 else { throw CryptoError("CMS signature has no signers") }
        guard signerCount <= maxCMSSigners else {
            throw CryptoError("CMS signature has \(signerCount) signers; at most \(maxCMSSigners) are read")
        }
        let carried = CMS_get1_certs(cms.cms).map { X509StackBox(owning: $0) }
        if let carried, carried.count > maxCMSCertificates {
            throw CryptoError("CMS signature carries \(carried.count) certificates; at most \(maxCMSCertificates) are read")
        }
        ERR_clear_error()
        _ = CMS_set1_signers_certs(cms.cms, nil, 0)
        ERR_clear_error()

        let signers = (0..<Int32(signerCount)).compactMap { passbox_sk_cms_signerinfo_value(infos, $0) }
        // Digest the content once through CMS_dataInit, then check every signer against it.
        let contentResults = try verifyContent(cms: cms, signers: signers, content: content)

        var results: [CMSSignerResult] = []
        for (index, si) in signers.enumerated() {
            var certificate: OpaquePointer?
            var pdig: UnsafeMutablePointer<X509_ALGOR>?
            var psig: UnsafeMutablePointer<X509_ALGOR>?
            CMS_SignerInfo_get0_algs(si, nil, &certificate, &pdig, &psig)
            guard let leaf = certificate else {
                results.append(CMSSignerResult(
                    outcome: .chain(.issuerNotFound),
                    detail: "signer \(index + 1): the signature does not carry the signing certificate",
                    signer: nil, chain: [], keyAlgorithm: nil, keyFingerprint: nil))
                continue
            }
            let info = try certificateInfo(leaf)
            var result = CMSSignerResult(outcome: .valid, detail: "", signer: info, chain: [info], keyAlgorithm: nil, keyFingerprint: nil)

            if let weak = weakDigest(pdig, psig) {
                result.outcome = .weakAlgorithm
                result.detail = "signed with \(weak), which is too weak"
                results.append(result)
                continue
            }
            if let pkey = X509_get_pubkey(leaf) {
                do {
                    let key = try PublicKey(owning: pkey)
                    result.keyAlgorithm = key.algorithm
                    result.keyFingerprint = key.fingerprint
                } catch {
                    result.outcome = .weakAlgorithm
                    result.detail = "signing key not accepted: \(error)"
                    results.append(result)
                    continue
                }
            } else {
                ERR_clear_error()
                result.outcome = .weakAlgorithm
                result.detail = "the signing certificate's key cannot be read"
                results.append(result)
                continue
            }
            if let failure = contentResults[index] {
                result.outcome = .badSignature
                result.detail = failure
                results.append(result)
                continue
            }
            let chain = try verifyChain(leaf: leaf, intermediates: carried?.stack, roots: roots, crls: crls, policy: policy)
            result.chain = chain.chain
            result.detail = chain.detail
            if let problem = chain.problem {
                result.outcome = problem == .weakAlgorithm ? .weakAlgorithm : .chain(problem)
            }
            results.append(result)
        }
        ERR_clear_error()
        return results
    }

    /// For each signer: nil when its signature (signed attributes, then the content
    /// digest) verifies, else why not.
    private static func verifyContent(cms: CMSBox, signers: [OpaquePointer], content: Data) throws -> [String?] {
        try withReadBIO(content) { dcont -> [String?] in
            guard let chain = CMS_dataInit(cms.cms, dcont) else {
                throw CryptoError.drain("CMS_dataInit")
            }
            defer {
                // Free the digest BIOs CMS_dataInit pushed in front of ours, never ours.
                var bio: OpaquePointer? = chain
                while let current = bio, current != dcont {
                    bio = BIO_pop(current)
                    BIO_free(current)
                }
            }
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { BIO_read(chain, $0.baseAddress, Int32($0.count)) }
                if n <= 0 { break }
            }
            var out: [String?] = []
            for si in signers {
                ERR_clear_error()
                if CMS_signed_get_attr_count(si) >= 0, CMS_SignerInfo_verify(si) != 1 {
                    out.append("the signature over the signed attributes does not verify: \(describeQueue())")
                    continue
                }
                ERR_clear_error()
                if CMS_SignerInfo_verify_content(si, chain) != 1 {
                    out.append("the content does not match the signature (changed after signing, or signed in text mode without -binary): \(describeQueue())")
                    continue
                }
                out.append(nil)
            }
            ERR_clear_error()
            return out
        }
    }

    private static func describeQueue() -> String {
        let q = drainErrorQueue()
        return q.isEmpty ? "no detail" : q.joined(separator: "; ")
    }

    /// The name of a weak digest the signer used, if any (only SHA-256/384/512 are accepted).
    private static func weakDigest(_ pdig: UnsafeMutablePointer<X509_ALGOR>?, _ psig: UnsafeMutablePointer<X509_ALGOR>?) -> String? {
        let strong: Set<Int32> = [NID_sha256, NID_sha384, NID_sha512]
        func nid(_ algor: UnsafeMutablePointer<X509_ALGOR>?) -> Int32 {
            guard let algor else { return NID_undef }
            var object: OpaquePointer?
            X509_ALGOR_get0(&object, nil, nil, algor)
            return OBJ_obj2nid(object)
        }
        func name(_ n: Int32) -> String {
            OBJ_nid2sn(n).map { String(cString: $0) } ?? "algorithm \(n)"
        }
        let digest = nid(pdig)
        if !strong.contains(digest) { return name(digest) }
        let signature = nid(psig)
        var md: Int32 = NID_undef
        var pk: Int32 = NID_undef
        if signature != NID_undef, OBJ_find_sigid_algs(signature, &md, &pk) == 1, md != NID_undef, !strong.contains(md) {
            return name(signature)
        }
        return nil
    }
}
