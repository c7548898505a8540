import CryptoIO
import Foundation

/// One `signers:` entry of trust.yaml: which keys (or X.509 signing certificates)
/// it names, what they are trusted for, and when.
public struct SignerRule: Sendable, Equatable {
    public var name: String
    /// The `keys:` entries as written: file names in `keys/` or SHA-256 SPKI fingerprints.
    public var keyReferences: [String] = []
    /// The line of trust.yaml its `keys:` are on (for messages), when known.
    public var keysLine: Int?
    /// What the references resolve to (lower-case hex): SHA-256 of the SPKI of every
    /// key in the named files (OpenPGP: primary key and subkeys, and the v4
    /// fingerprint), and the fingerprints given directly. Filled by `TrustStore.load`.
    public var keyFingerprints: Set<String> = []
    /// `certificates: {subject: ...}`: RFC 2253 subject patterns (`*` matches any run of characters).
    public var subjectPatterns: [String] = []
    /// Scope: nil = any.
    public var vendors: [String]?
    public var products: [String]?
    public var kinds: [String]?
    public var validFrom: Date?
    public var validUntil: Date?
    /// Distinct signers a manifest in this scope needs.
    public var threshold: Int?

    public init(name: String) { self.name = name }

    public var isScoped: Bool { vendors != nil || products != nil || kinds != nil }

    /// Does this rule name the signer?
    public func names(_ signer: SignerIdentity) -> Bool {
        if let k = signer.keyFingerprint, keyFingerprints.contains(normalizeFingerprint(k)) { return true }
        if keyFingerprints.contains(normalizeFingerprint(signer.fingerprint)) { return true }
        if let subject = signer.certificateSubject {
            let forms = subjectForms(subject)
            return subjectPatterns.contains { pattern in forms.contains { globMatch(pattern: pattern, $0) } }
        }
        return false
    }

    public func isValid(at time: Date) -> Bool {
        if let validFrom, time < validFrom { return false }
        if let validUntil, time > validUntil { return false }
        return true
    }

    /// Fail closed: a scoped rule covers only manifests that name what it is scoped to.
    public func covers(_ delivery: DeliveryPredicate?) -> Bool {
        guard isScoped else { return true }
        guard let delivery else { return false }
        func inList(_ list: [String]?, _ value: String?) -> Bool {
            guard let list else { return true }
            guard let value else { return false }
            return list.contains { $0.caseInsensitiveCompare(value) == .orderedSame }
        }
        return inList(vendors, delivery.vendor) && inList(products, delivery.product) && inList(kinds, delivery.kind)
    }

    /// "vendors [A], products [x], kinds [firmware]" (only the restricted ones).
    public var scopeDescription: String {
        var parts: [String] = []
        if let vendors { parts.append("vendors [\(vendors.joined(separator: ", "))]") }
        if let products { parts.append("products [\(products.joined(separator: ", "))]") }
        if let kinds { parts.append("kinds [\(kinds.joined(separator: ", "))]") }
        return parts.isEmpty ? "everything" : parts.joined(separator: ", ")
    }

    public var validityDescription: String {
        switch (validFrom, validUntil) {
        case (nil, nil): return "always"
        case (let f?, nil): return "from \(rfc3339(f))"
        case (nil, let u?): return "until \(rfc3339(u))"
        case (let f?, let u?): return "\(rfc3339(f)) to \(rfc3339(u))"
        }
    }
}

/// Who made a valid signature, in the terms trust.yaml speaks.
public struct SignerIdentity: Sendable, Equatable {
    public var name: String
    /// SHA-256 of the SPKI of the key that verified (the same key in any format has the same value).
    public var keyFingerprint: String?
    /// The format's own identity (OpenPGP v4 fingerprint, CMS certificate digest; else the SPKI digest).
    public var fingerprint: String
    /// CMS: the signing certificate's subject (RFC 2253).
    public var certificateSubject: String?

    public init(name: String, keyFingerprint: String?, fingerprint: String, certificateSubject: String? = nil) {
        self.name = name
        self.keyFingerprint = keyFingerprint
        self.fingerprint = fingerprint
        self.certificateSubject = certificateSubject
    }

    /// What signers are counted by: one key, one signer.
    public var countingKey: String { normalizeFingerprint(keyFingerprint ?? fingerprint) }
}

/// What trust.yaml says about the valid signatures of one manifest.
public struct TrustJudgement: Sendable {
    /// Distinct (by key) signers trusted for this manifest, at this time.
    public var accepted: [SignerIdentity] = []
    /// Distinct signers the manifest needs: the global threshold and those of the accepted signers' scopes.
    public var required: Int = 1
    /// Why the other signatures do not count (revoked, expired, out-of-scope).
    public var rejections: [ManifestCheck.Problem] = []
    /// Enough distinct trusted signers.
    public var satisfied: Bool { !accepted.isEmpty && accepted.count >= required }
}

/// Judges signers against trust.yaml (bind the key to the vendor, product and kind).
public struct TrustPolicy: Sendable {
    public var config: TrustConfig
    public init(config: TrustConfig) { self.config = config }

    /// Is this key listed under `revoked:`?
    public func isRevoked(_ signer: SignerIdentity) -> Bool {
        let revoked = Set(config.revoked)
        if let k = signer.keyFingerprint, revoked.contains(normalizeFingerprint(k)) { return true }
        return revoked.contains(normalizeFingerprint(signer.fingerprint))
    }

    /// The one place trusted signers are counted: each key once (by SHA-256 of
    /// its SPKI), only when it is not revoked, inside its validity window, and
    /// trusted for the manifest's vendor/product/kind. Keys no signer names are
    /// trusted for everything (zero configuration).
    public func judge(_ signers: [SignerIdentity], delivery: DeliveryPredicate?, at time: Date) -> TrustJudgement {
        var judgement = TrustJudgement(required: config.threshold)
        var seen = Set<String>()
        let what = describe(delivery)
        for signer in signers where seen.insert(signer.countingKey).inserted {
            let label = "\(signer.name) (\(signer.countingKey.prefix(16)))"
            if isRevoked(signer) {
                judgement.rejections.append(.revoked("key \(label) is listed as revoked in trust.yaml"))
                continue
            }
            let rules = config.signers.filter { $0.names(signer) }
            if rules.isEmpty {
                // A root vouches for every certificate it issues: once trust.yaml names
                // certificates, one that no signer names is not trusted (a key in keys/
                // is one signer the plant put there, and stays trusted for everything).
                if let subject = signer.certificateSubject, config.signers.contains(where: { !$0.subjectPatterns.isEmpty }) {
                    judgement.rejections.append(.untrusted(
                        "certificate \(subject) chains to roots/, but trust.yaml names certificates (certificates: {subject: ...}) and none of its signers names this one"))
                    continue
                }
                judgement.accepted.append(signer)
                continue
            }
            let current = rules.filter { $0.isValid(at: time) }
            guard !current.isEmpty else {
                let windows = rules.map { "'\($0.name)' \($0.validityDescription)" }.joined(separator: "; ")
                judgement.rejections.append(.expired("key \(label) is trusted by trust.yaml signer \(windows); judged at \(rfc3339(time))"))
                continue
            }
            let inScope = current.filter { $0.covers(delivery) }
            guard !inScope.isEmpty else {
                let scopes = current.map { "'\($0.name)' for \($0.scopeDescription)" }.joined(separator: "; ")
                judgement.rejections.append(.outOfScope("key \(label) is trusted by trust.yaml signer \(scopes); this manifest is \(what)"))
                continue
            }
            judgement.accepted.append(signer)
            for rule in inScope {
                if let t = rule.threshold { judgement.required = max(judgement.required, t) }
            }
        }
        return judgement
    }

    private func describe(_ delivery: DeliveryPredicate?) -> String {
        guard let delivery else {
            return "a manifest without passbox's delivery predicate (e.g. a checksum list), which names no vendor, product or kind: a scoped signer is not trusted for it"
        }
        return "vendor \(delivery.vendor ?? "(none)"), product \(delivery.product ?? "(none)"), kind \(delivery.kind ?? "(none)")"
    }
}

// MARK: - Helpers

/// Lower-case hex without `sha256:` and colons.
public func normalizeFingerprint(_ text: String) -> String {
    var t = text.lowercased().trimmingCharacters(in: .whitespaces)
    if t.hasPrefix("sha256:") { t.removeFirst(7) }
    return t.replacingOccurrences(of: ":", with: "")
}

/// Is this text a SHA-256 fingerprint (64 hex digits, optionally `sha256:` and colons)?
public func isFingerprintText(_ text: String) -> Bool {
    let t = normalizeFingerprint(text)
    return t.utf8.count == 64 && t.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
}

/// A subject as printed, and with its RDNs in the other order: OpenSSL prints them
/// in certificate order (`O=Acme,CN=Acme Code Signing`), RFC 2253 most specific
/// first (`CN=Acme Code Signing,O=Acme`); a pattern may be written either way.
func subjectForms(_ subject: String) -> [String] {
    var parts: [String] = []
    var current = ""
    var escaped = false
    for ch in subject {
        if escaped { current.append(ch); escaped = false; continue }
        if ch == "\\" { current.append(ch); escaped = true; continue }
        if ch == "," { parts.append(current); current = ""; continue }
        current.append(ch)
    }
    parts.append(current)
    let reversed = parts.reversed().joined(separator: ",")
    return reversed == subject ? [subject] : [subject, reversed]
}

/// `*` matches any run of characters (none included); everything else literally. Iterative: no backtracking blow-up.
public func globMatch(pattern: String, _ text: String) -> Bool {
    let p = Array(pattern.unicodeScalars), s = Array(text.unicodeScalars)
    var i = 0, j = 0, star = -1, mark = 0
    while j < s.count {
        if i < p.count, p[i] != "*", p[i] == s[j] {
            i += 1; j += 1
        } else if i < p.count, p[i] == "*" {
            star = i; mark = j; i += 1
        } else if star >= 0 {
            i = star + 1; mark += 1; j = mark
        } else {
            return false
        }
    }
    while i < p.count, p[i] == "*" { i += 1 }
    return i == p.count
}


/// A key file of `keys/` as trust.yaml and `passbox trust` see it.
public struct KeyFileSummary: Sendable {
    public struct Entry: Sendable {
        /// pem, minisign, signify, openpgp
        public var format: String
        public var algorithm: String
        /// SHA-256 of the SPKI (nil for an OpenPGP key passbox cannot use).
        public var fingerprint: String?
        /// minisign/signify key id, OpenPGP v4 fingerprint.
        public var formatID: String?
        /// OpenPGP: user IDs (unverified labels).
        public var labels: [String] = []
        /// OpenPGP: when the primary key expires (from its self-signature), if it does.
        public var expires: Date?
    }
    public var entries: [Entry]
    /// Every fingerprint the file stands for (lower-case): SPKI digests, and OpenPGP v4 fingerprints.
    public var fingerprints: Set<String> {
        var out = Set<String>()
        for e in entries {
            if let f = e.fingerprint { out.insert(f.lowercased()) }
            if e.format == "openpgp", let id = e.formatID { out.insert(id.lowercased()) }
        }
        return out
    }

    public init(entries: [Entry]) { self.entries = entries }

    /// A PEM SubjectPublicKeyInfo key file.
    public init(pem key: PublicKey) {
        entries = [Entry(format: "pem", algorithm: key.algorithm.description, fingerprint: key.fingerprint)]
    }

    /// A minisign or signify public key file.
    public init(ed25519 file: Ed25519KeyFile) {
        entries = [Entry(format: file.flavor.rawValue, algorithm: "ed25519", fingerprint: file.key.fingerprint, formatID: file.keyIDHex)]
    }

    /// An OpenPGP certificate file (one or more certificates).
    public init(openPGP certs: [OpenPGPCertificate]) {
            var entries: [Entry] = []
            for cert in certs {
                var expires: Date?
                if case (_, let sig?) = cert.primaryState(at: Int64(Date().timeIntervalSince1970)), let e = sig.keyExpiresAfter, e > 0 {
                    expires = Date(timeIntervalSince1970: TimeInterval(Int64(cert.primary.created) + Int64(e)))
                }
                entries.append(Entry(format: "openpgp", algorithm: cert.primary.algorithmName, fingerprint: cert.primary.key?.fingerprint,
                                     formatID: cert.fingerprint, labels: cert.userIDs, expires: expires))
                for sub in cert.subkeys {
                    entries.append(Entry(format: "openpgp-subkey", algorithm: sub.key.algorithmName, fingerprint: sub.key.key?.fingerprint,
                                         formatID: sub.key.fingerprintHex))
                }
            }
            self.entries = entries
    }
}

/// Resolves the `keys:` entries of trust.yaml's signers to fingerprints, from the key
/// files already read (`TrustStoreContents`). Every problem is returned (a named file
/// that does not exist, or is no key file, would make the configuration silently mean
/// less); the caller refuses the store when there is any.
func resolveSignerKeys(_ config: inout TrustConfig, keyFiles: [String: Set<String>], directory: String) -> [String] {
    var problems: [String] = []
    for index in config.signers.indices {
        var fingerprints = Set<String>()
        let here = (config.signers[index].keysLine.map { "line \($0): " } ?? "") + "signers[\(index)] '\(config.signers[index].name)'"
        for reference in config.signers[index].keyReferences {
            if isFingerprintText(reference) {
                fingerprints.insert(normalizeFingerprint(reference))
                continue
            }
            guard isPlainKeyFileName(reference) else {
                problems.append("\(here): keys: '\(reference.prefix(80))' is neither a file name in keys/ nor a SHA-256 fingerprint")
                continue
            }
            if let file = keyFiles[reference] {
                fingerprints.formUnion(file)
            } else if FileManager.default.fileExists(atPath: directory + "/keys/" + reference) {
                problems.append("\(here): keys: keys/\(reference) is not a key file passbox reads (.pem .pub .asc .pgp)")
            } else {
                problems.append("\(here): keys: key file keys/\(reference) does not exist")
            }
        }
        config.signers[index].keyFingerprints = fingerprints
    }
    return problems
}

/// A name in keys/: no path separators, no `..`, not hidden.
public func isPlainKeyFileName(_ name: String) -> Bool {
    !name.isEmpty && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\\") && !name.contains("\0")
}
