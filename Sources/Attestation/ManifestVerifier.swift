import CryptoIO
import Foundation

/// A manifest as found: bytes and where they came from. Nothing in it is trusted.
public struct UnverifiedManifest: Sendable {
    public enum Origin: String, Sendable {
        /// In the delivery root or given with --manifest: it speaks for this delivery.
        case delivery, explicit
        /// Registered in advance (--manifests DIR): applies when it names this delivery's content.
        case registered
    }
    /// Where it was read, as reports show it (`file#L3` for a line of a .jsonl).
    public var path: String
    public var origin: Origin
    public var bytes: Data

    public init(path: String, origin: Origin, bytes: Data) {
        self.path = path
        self.origin = origin
        self.bytes = bytes
    }
}

/// Is this file name a DSSE manifest passbox reads?
public func isManifestFileName(_ name: String) -> Bool {
    let lower = name.lowercased()
    return lower.hasSuffix(".dsse.json") || lower.hasSuffix(".intoto.json") || lower.hasSuffix(".intoto.jsonl")
}

/// Splits a file into the manifests it holds (one per line for .intoto.jsonl).
public func manifests(in bytes: Data, path: String, origin: UnverifiedManifest.Origin) -> [UnverifiedManifest] {
    guard path.lowercased().hasSuffix(".jsonl") else {
        return [UnverifiedManifest(path: path, origin: origin, bytes: bytes)]
    }
    var out: [UnverifiedManifest] = []
    var lineNumber = 0
    for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
        lineNumber += 1
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x0d || $0 == 0x09 }) { continue }
        out.append(UnverifiedManifest(path: "\(path)#L\(lineNumber)", origin: origin, bytes: Data(line)))
    }
    return out
}

/// One signature's result.
public struct SignatureCheck: Sendable {
    public enum Status: String, Sendable {
        /// Verified with a trusted key.
        case valid
        /// Named a trusted key (keyid) but does not verify with it: tampered.
        case invalid
        /// Verifies with no trusted key.
        case untrusted
        /// Verified with a trusted key that trust.yaml does not let count here
        /// (revoked, outside its validity, out of scope): the findings say why.
        case notCounted = "not-counted"
    }
    public var keyid: String?
    public var status: Status
    /// The trusted key that verified it (status valid).
    public var signer: TrustedKey?
}

/// A manifest whose signatures verified with enough distinct trusted keys. Only
/// `ManifestVerifier` makes these.
public struct VerifiedManifest: Sendable {
    public let path: String
    public let origin: UnverifiedManifest.Origin
    public private(set) var statement: Statement
    /// How many subjects the statement names (kept when they are let go).
    public let subjectCount: Int
    /// Distinct trusted keys that signed it (DSSE envelopes).
    public let signers: [TrustedKey]
    /// The names of its distinct trusted signers, whatever the format.
    public let signerNames: [String]

    init(path: String, origin: UnverifiedManifest.Origin, statement: Statement, signers: [TrustedKey], signerNames: [String]? = nil) {
        self.path = path
        self.origin = origin
        self.statement = statement
        self.subjectCount = statement.subjects.count
        self.signers = signers
        self.signerNames = signerNames ?? signers.map(\.name)
    }

    /// Lets go of the subjects once they are matched (a statement naming 200,000 files
    /// holds 14 MB of them); `subjectCount` stays.
    public mutating func releaseSubjects() {
        statement.subjects = SubjectList()
    }
}

/// What checking one manifest found.
public struct ManifestCheck: Sendable {
    public enum Problem: Sendable, Equatable {
        case malformed(String)
        case invalidSignature(String)
        case untrusted(String)
        case threshold(String)
        case expired(String)
        case revoked(String)
        /// A trusted key used for a vendor/product/kind trust.yaml does not trust it for.
        case outOfScope(String)
    }
    public var path: String
    public var origin: UnverifiedManifest.Origin
    /// dsse, or checksums (a checksum list with detached signatures)
    public var format = "dsse"
    /// DSSE signatures.
    public var signatures: [SignatureCheck] = []
    /// Detached signatures over a checksum list.
    public var detached: [DetachedSignatureCheck] = []

    public init(path: String, origin: UnverifiedManifest.Origin, format: String = "dsse") {
        self.path = path
        self.origin = origin
        self.format = format
    }
    public var verified: VerifiedManifest?
    public var problems: [Problem] = []
}

public struct ManifestVerifier: Sendable {
    public let trustStore: TrustStore
    /// Validity windows of trust.yaml are judged at this time (`--at`).
    public let time: Date

    public init(trustStore: TrustStore, time: Date = Date()) {
        self.trustStore = trustStore
        self.time = time
    }

    /// Checks signatures first, and only then reads the payload.
    public func check(_ manifest: consuming UnverifiedManifest) -> ManifestCheck {
        var result = ManifestCheck(path: manifest.path, origin: manifest.origin)
        let envelope: (payloadType: String, signatures: [DSSEEnvelope.Signature], pae: [UInt8], payloadStart: Int)
        do {
            // The payload is decoded from the file's bytes into the signed encoding,
            // and read where it lies there: a 50,000-file manifest is a 17 MB
            // envelope, and every copy is that large.
            envelope = try DSSEEnvelope.authenticated(manifest.bytes)
            manifest.bytes = Data() // the file is no longer needed (freed when this was its last holder)
        } catch {
            result.problems.append(.malformed("\(error)"))
            return result
        }
        let pae = envelope.pae, payloadStart = envelope.payloadStart
        for signature in envelope.signatures {
            result.signatures.append(checkSignature(signature, pae: pae))
        }
        let signers = distinctSigners(result.signatures)
        let threshold = trustStore.config.threshold
        guard !signers.isEmpty else {
            for s in result.signatures {
                let hint = s.keyid.map { " (keyid \($0.prefix(80)))" } ?? ""
                switch s.status {
                case .invalid:
                    result.problems.append(.invalidSignature("signature\(hint) does not verify with the trusted key it names: the envelope was changed after signing"))
                case .untrusted:
                    result.problems.append(.untrusted("signature\(hint) verifies with no key in the trust store"))
                case .valid, .notCounted:
                    break
                }
            }
            return result
        }
        guard signers.count >= threshold else {
            let names = signers.map(\.name).joined(separator: ", ")
            result.problems.append(.threshold("\(signers.count) distinct trusted signer(s) (\(names)); the trust store requires \(threshold)"))
            return result
        }
        guard envelope.payloadType == inTotoPayloadType else {
            result.problems.append(.malformed("payloadType is \(envelope.payloadType.prefix(200)); passbox reads \(inTotoPayloadType)"))
            return result
        }
        let statement: Statement
        do {
            statement = try pae.withUnsafeBytes { try Statement.parse(UnsafeRawBufferPointer(rebasing: $0[payloadStart...])) }
        } catch {
            result.problems.append(.malformed("\(error)"))
            return result
        }
        // trust.yaml: revoked keys, validity windows, scopes, per-scope thresholds.
        let identities = signers.map { SignerIdentity(name: $0.name, keyFingerprint: $0.fingerprint, fingerprint: $0.fingerprint) }
        let judgement = TrustPolicy(config: trustStore.config).judge(identities, delivery: statement.delivery, at: time)
        let accepted = Set(judgement.accepted.map(\.countingKey))
        for index in result.signatures.indices where result.signatures[index].status == .valid {
            if let key = result.signatures[index].signer, !accepted.contains(normalizeFingerprint(key.fingerprint)) {
                result.signatures[index].status = .notCounted
            }
        }
        guard applyJudgement(judgement, to: &result) else { return result }
        result.verified = VerifiedManifest(path: manifest.path, origin: manifest.origin, statement: statement,
                                           signers: signers.filter { accepted.contains(normalizeFingerprint($0.fingerprint)) })
        return result
    }

    /// Adds the problems of a judgement that does not meet its threshold; true when it does.
    func applyJudgement(_ judgement: TrustJudgement, to result: inout ManifestCheck) -> Bool {
        guard !judgement.satisfied else { return true }
        result.problems += judgement.rejections
        if !judgement.accepted.isEmpty || judgement.rejections.isEmpty {
            let names = judgement.accepted.map(\.name).joined(separator: ", ")
            result.problems.append(.threshold("\(judgement.accepted.count) distinct trusted signer(s) (\(names)); trust.yaml requires \(judgement.required) for this manifest"))
        }
        return false
    }

    /// Tries the key the keyid hints at first, then every other trusted key: the
    /// keyid is not authenticated, so it never decides anything by itself.
    func checkSignature(_ signature: DSSEEnvelope.Signature, pae: [UInt8]) -> SignatureCheck {
        guard let sig = decodeBase64(signature.sig) else {
            return SignatureCheck(keyid: signature.keyid, status: trustStore.keyNamed(signature.keyid) == nil ? .untrusted : .invalid, signer: nil)
        }
        let hinted = trustStore.keyNamed(signature.keyid)
        var candidates = trustStore.keys
        if let hinted {
            candidates.removeAll { $0.fingerprint == hinted.fingerprint }
            candidates.insert(hinted, at: 0)
        }
        for key in candidates where key.key.verify(signature: sig, message: pae) {
            return SignatureCheck(keyid: signature.keyid, status: .valid, signer: key)
        }
        return SignatureCheck(keyid: signature.keyid, status: hinted == nil ? .untrusted : .invalid, signer: nil)
    }
}

/// A checksum list (SHA256SUMS, *.sha256 …) and the signature files found beside
/// it. Nothing in it is trusted yet.
public struct UnverifiedChecksumList: Sendable {
    public var path: String
    public var origin: UnverifiedManifest.Origin
    public var list: Data
    /// Signature files beside the list (`.minisig .sig .asc .gpg .p7s`), by path.
    public var signatures: [(path: String, bytes: Data)]

    public init(path: String, origin: UnverifiedManifest.Origin, list: Data, signatures: [(path: String, bytes: Data)]) {
        self.path = path
        self.origin = origin
        self.list = list
        self.signatures = signatures
    }
}

extension ManifestVerifier {
    /// Checks the detached signatures over a checksum list first; only a list with
    /// enough distinct trusted signers (by key, across formats) is parsed.
    public func check(_ manifest: UnverifiedChecksumList, detached verifier: DetachedSignatureVerifier) -> ManifestCheck {
        var result = ManifestCheck(path: manifest.path, origin: manifest.origin)
        result.format = "checksums"
        guard !manifest.signatures.isEmpty else {
            result.problems.append(.untrusted("no signature beside the list (\(ChecksumList.signatureFileNames(for: "LIST").map { $0.replacingOccurrences(of: "LIST", with: "") }.joined(separator: " ")))"))
            return result
        }
        let signed: SignedChecksumList
        do {
            signed = try verifier.checkChecksumList(manifest.list, signatures: manifest.signatures.map(\.bytes))
        } catch {
            result.problems.append(.malformed("\(error)"))
            return result
        }
        return judgeDetached(result, checks: signed.checks, type: "checksum-list") {
            guard let list = signed.list else { throw ManifestError(signed.listError ?? "the list did not parse") }
            return list.subjects
        }
    }

    /// A single delivered file (a firmware image) with detached signatures beside it:
    /// the signatures are checked over `content`, the bytes whose digests are `digests`.
    public func check(signedFile name: String, content: Data, digests: Digests,
                      signatures: [(path: String, bytes: Data)], detached verifier: DetachedSignatureVerifier) -> ManifestCheck {
        var result = ManifestCheck(path: signatures.map(\.path).joined(separator: ", "), origin: .delivery)
        result.format = "detached"
        var checks: [DetachedSignatureCheck] = []
        for signature in signatures {
            do {
                checks += try verifier.check(signature: signature.bytes, content: content)
            } catch {
                result.problems.append(.malformed("\(signature.path): \(error)"))
            }
        }
        return judgeDetached(result, checks: checks, type: "detached-signature") {
            [Subject(name: name, digests: digests)]
        }
    }

    /// Counts the valid detached signatures' distinct trusted signers, applies
    /// trust.yaml (revoked keys, validity, scope: these name no vendor, product or
    /// kind, so a scoped signer is out of scope) and the threshold; only then are
    /// the subjects read.
    private func judgeDetached(_ start: ManifestCheck, checks: [DetachedSignatureCheck], type: String,
                               subjects: () throws -> [Subject]) -> ManifestCheck {
        var result = start
        result.detached = checks
        let signers = SignedChecksumList(checks: checks, list: nil).distinctValidSigners
        let threshold = trustStore.config.threshold
        guard !signers.isEmpty else {
            for check in checks {
                let text = "\(check.format.rawValue) signature: \(check.message)"
                switch check.status {
                case .valid: break
                case .invalid: result.problems.append(.invalidSignature(text))
                case .untrusted: result.problems.append(.untrusted(text))
                case .expired: result.problems.append(.expired(text))
                case .revoked: result.problems.append(.revoked(text))
                }
            }
            if checks.isEmpty && result.problems.isEmpty { result.problems.append(.untrusted("no signature could be checked")) }
            return result
        }
        guard signers.count >= threshold else {
            result.problems.append(.threshold("\(signers.count) distinct trusted signer(s) (\(signers.map(\.name).joined(separator: ", "))); the trust store requires \(threshold)"))
            return result
        }
        let statementSubjects: [Subject]
        do {
            statementSubjects = try subjects()
        } catch {
            result.problems.append(.malformed("\(error)"))
            return result
        }
        let statement = Statement(type: type, subjects: SubjectList(statementSubjects), predicateType: nil, delivery: nil)
        let identities = signers.map { s in
            SignerIdentity(name: s.name, keyFingerprint: s.keyFingerprint, fingerprint: s.fingerprint,
                           certificateSubject: checks.first { $0.status == .valid && $0.signer == s }?.certificate?.subject)
        }
        let policy = TrustPolicy(config: trustStore.config)
        for index in result.detached.indices where result.detached[index].status == .valid {
            if let s = result.detached[index].signer,
               policy.isRevoked(SignerIdentity(name: s.name, keyFingerprint: s.keyFingerprint, fingerprint: s.fingerprint)) {
                result.detached[index].status = .revoked
                result.detached[index].message = "the key is listed as revoked in trust.yaml"
            }
        }
        let judgement = policy.judge(identities, delivery: statement.delivery, at: time)
        guard applyJudgement(judgement, to: &result) else { return result }
        result.verified = VerifiedManifest(path: result.path, origin: result.origin, statement: statement,
                                           signers: [], signerNames: judgement.accepted.map(\.name))
        return result
    }
}

/// The one place signers are counted: distinct trusted keys by fingerprint,
/// never signatures and never claimed key ids.
public func distinctSigners(_ checks: [SignatureCheck]) -> [TrustedKey] {
    var seen = Set<String>()
    var out: [TrustedKey] = []
    for check in checks where check.status == .valid {
        guard let signer = check.signer, seen.insert(signer.fingerprint).inserted else { continue }
        out.append(signer)
    }
    return out
}

/// Makes a signed envelope (used by `passbox manifest create` and receipts).
public func signEnvelope(payloadType: String, payload: [UInt8], keys: [PrivateKey]) throws -> DSSEEnvelope {
    let pae = preAuthenticationEncoding(payloadType: payloadType, payload: payload)
    var signatures: [DSSEEnvelope.Signature] = []
    for key in keys {
        let sig = try key.sign(pae)
        signatures.append(.init(keyid: key.publicKey.fingerprint, sig: Data(sig).base64EncodedString()))
    }
    return DSSEEnvelope(payloadType: payloadType, payload: Data(payload).base64EncodedString(), signatures: signatures)
}
