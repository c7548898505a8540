import ArgumentParser
import Attestation
import CryptoIO
import Foundation

/// `passbox trust list|check`: what the trust store trusts, and a lint of trust.yaml.
struct TrustCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust", abstract: "Show and check the trust store (keys, roots, trust.yaml).",
        subcommands: [TrustList.self, TrustCheck.self])
}

/// How far ahead `trust list` warns about expiry.
private let expiryWarningWindow: TimeInterval = 30 * 24 * 3600

private func trustStoreDirectory(_ option: String?) -> String {
    option ?? ProcessInfo.processInfo.environment["PASSBOX_TRUST_STORE"] ?? "TrustStore"
}




private func timeText(_ date: Date) -> String { RFC3339.format(date) }

/// "expired on ..." / "expires on ... (within 30 days)" / nil.
private func expiryWarning(_ what: String, _ date: Date?, now: Date) -> String? {
    guard let date else { return nil }
    if date < now { return "\(what) expired on \(timeText(date))" }
    if date.timeIntervalSince(now) < expiryWarningWindow { return "\(what) expires on \(timeText(date)) (within 30 days)" }
    return nil
}

struct TrustList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every key, certificate and root in the trust store with what it is trusted for; warn about expiry.")

    @Option(name: .long, help: "The trust store (default: $PASSBOX_TRUST_STORE, else ./TrustStore).")
    var trustStore: String?

    @Option(name: .long, help: "text or json.")
    var format: ReportFormat = .text

    struct KeyRow: Encodable {
        var name: String
        var file: String
        var format: String
        var algorithm: String
        var fingerprint: String?
        var formatID: String?
        var labels: [String]?
        var expires: String?
        var revoked: Bool
        /// Signer rules of trust.yaml that name this key; empty = trusted for everything.
        var trustedBy: [SignerRow]
    }

    struct SignerRow: Encodable {
        var name: String
        var scope: String
        var vendors: [String]?
        var products: [String]?
        var kinds: [String]?
        var validFrom: String?
        var validUntil: String?
        var threshold: Int?
        var certificates: [String]?
        var keys: [String]?
    }

    struct RootRow: Encodable {
        var file: String
        var subject: String
        var issuer: String
        var fingerprint: String
        var notBefore: String?
        var notAfter: String?
    }

    struct CRLRow: Encodable {
        var file: String
        var issuer: String
        var nextUpdate: String?
    }

    struct Listing: Encodable {
        var trustStore: String
        var threshold: Int
        /// Distinct keys (by SPKI fingerprint) across formats: the count every message uses.
        var distinctKeys: Int
        var keys: [KeyRow]
        var roots: [RootRow]
        var crls: [CRLRow]
        var signers: [SignerRow]
        var revoked: [String]
        var warnings: [String]
    }

    /// What `trust list` shows, from the one reading of the trust store.
    static func listing(_ contents: TrustStoreContents, directory dir: String, now: Date) -> Listing {
        let config = contents.store.config
        let revoked = Set(config.revoked)
        var listing = Listing(trustStore: dir, threshold: config.threshold, distinctKeys: contents.keyCount, keys: [], roots: [], crls: [],
                              signers: config.signers.map(Self.signerRow), revoked: config.revoked, warnings: [])
        for file in contents.keyFiles {
            for entry in file.summary.entries {
                let ids = [entry.fingerprint, entry.formatID].compactMap { $0.map(normalizeFingerprint) }
                let rules = config.signers.filter { rule in ids.contains { rule.keyFingerprints.contains($0) } }
                let isRevoked = ids.contains { revoked.contains($0) }
                listing.keys.append(KeyRow(name: file.name, file: "keys/\(file.fileName)", format: entry.format, algorithm: entry.algorithm,
                                           fingerprint: entry.fingerprint, formatID: entry.formatID,
                                           labels: entry.labels.isEmpty ? nil : entry.labels, expires: entry.expires.map(timeText),
                                           revoked: isRevoked, trustedBy: rules.map(Self.signerRow)))
                if let w = expiryWarning("key \(file.name) (\(entry.format))", entry.expires, now: now) { listing.warnings.append(w) }
            }
        }
        for root in contents.roots {
            let c = root.certificate
            listing.roots.append(RootRow(file: "roots/\(root.fileName)", subject: c.info.subject, issuer: c.info.issuer, fingerprint: c.info.fingerprint,
                                         notBefore: c.info.notBefore.map(timeText), notAfter: c.info.notAfter.map(timeText)))
            if let w = expiryWarning("root \(c.info.subject) (roots/\(root.fileName))", c.info.notAfter, now: now) { listing.warnings.append(w) }
        }
        for crl in contents.crls {
            let l = crl.list
            listing.crls.append(CRLRow(file: "crls/\(crl.fileName)", issuer: l.issuer, nextUpdate: l.nextUpdate.map(timeText)))
            if let next = l.nextUpdate, next < now {
                listing.warnings.append("CRL of \(l.issuer) (crls/\(crl.fileName)) is stale: its next update was due \(timeText(next))")
            }
        }
        for rule in config.signers {
            if let w = expiryWarning("trust.yaml signer '\(rule.name)' (validUntil)", rule.validUntil, now: now) { listing.warnings.append(w) }
        }

        return listing
    }

    static func signerRow(_ rule: SignerRule) -> SignerRow {
        SignerRow(name: rule.name, scope: rule.scopeDescription, vendors: rule.vendors, products: rule.products, kinds: rule.kinds,
                  validFrom: rule.validFrom.map(timeText), validUntil: rule.validUntil.map(timeText), threshold: rule.threshold,
                  certificates: rule.subjectPatterns.isEmpty ? nil : rule.subjectPatterns,
                  keys: rule.keyReferences.isEmpty ? nil : rule.keyReferences)
    }

    func run() throws {
        let dir = trustStoreDirectory(trustStore)
        let contents: TrustStoreContents
        do {
            contents = try TrustStoreContents.read(directory: dir)
        } catch let error as TrustStoreError {
            throw CannotEvaluate("trust store: \(error)")
        }
        let listing = Self.listing(contents, directory: dir, now: Date())
        switch format {
        case .json:
            let encoder = JSONOutput.encoder()
            try emit(String(decoding: try encoder.encode(listing), as: UTF8.self) + "\n", to: nil)
        case .text:
            try emitText(text(listing), to: nil)
        }
    }

    private func describe(_ s: SignerRow) -> String {
        var parts = ["signer '\(s.name)': \(s.scope)"]
        if s.validFrom != nil || s.validUntil != nil { parts.append("valid \(s.validFrom ?? "always") to \(s.validUntil ?? "open end")") }
        if let t = s.threshold { parts.append("needs \(t) signers") }
        return parts.joined(separator: "; ")
    }

    private func text(_ l: Listing) -> String {
        var out = "trust store \(l.trustStore): \(l.distinctKeys) trusted key(s), \(l.roots.count) root(s), \(l.crls.count) CRL(s); each manifest needs \(l.threshold) distinct signer(s)\n"
        out += "\nkeys:\n"
        if l.keys.isEmpty { out += "  (none)\n" }
        for k in l.keys {
            out += "  \(k.name)  \(k.format) \(k.algorithm)  \(k.file)\(k.revoked ? "  REVOKED" : "")\n"
            out += "      fingerprint \(k.fingerprint ?? "(key not usable by passbox)")\n"
            if let id = k.formatID { out += "      \(k.format.hasPrefix("openpgp") ? "OpenPGP fingerprint" : "key id") \(id)\n" }
            if let labels = k.labels { out += "      user IDs: \(labels.joined(separator: "; "))\n" }
            if let e = k.expires { out += "      expires \(e)\n" }
            if k.revoked {
                out += "      trusted for: nothing (revoked in trust.yaml)\n"
            } else if k.trustedBy.isEmpty {
                out += "      trusted for: everything (no trust.yaml signer names it)\n"
            } else {
                for s in k.trustedBy { out += "      trusted for: \(describe(s))\n" }
            }
        }
        let certificateSigners = l.signers.filter { $0.certificates != nil }
        if !certificateSigners.isEmpty {
            out += "\ncertificate signers (X.509, chaining to roots/):\n"
            for s in certificateSigners { out += "  subject \((s.certificates ?? []).joined(separator: " | ")): \(describe(s))\n" }
        }
        out += "\nroots:\n"
        if l.roots.isEmpty { out += "  (none)\n" }
        for r in l.roots {
            out += "  \(r.subject)  \(r.file)\n      fingerprint \(r.fingerprint)\n      valid \(r.notBefore ?? "?") to \(r.notAfter ?? "?")\n"
        }
        if !l.crls.isEmpty {
            out += "\nCRLs:\n"
            for c in l.crls { out += "  \(c.issuer)  \(c.file)  next update \(c.nextUpdate ?? "?")\n" }
        }
        if !l.revoked.isEmpty {
            out += "\nrevoked:\n"
            for r in l.revoked { out += "  \(r)\n" }
        }
        if !l.warnings.isEmpty {
            out += "\n"
            for w in l.warnings { out += "warning: \(w)\n" }
        }
        return out
    }
}

struct TrustCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Lint trust.yaml against keys/ (exit 2 on errors, 0 otherwise).")

    @Option(name: .long, help: "The trust store (default: $PASSBOX_TRUST_STORE, else ./TrustStore).")
    var trustStore: String?

    func run() throws {
        let dir = trustStoreDirectory(trustStore)
        var errors: [String] = []
        let contents: TrustStoreContents
        do {
            contents = try TrustStoreContents.read(directory: dir)
        } catch let error as TrustStoreError {
            // Every mistake of the file (trust.yaml: each with its line), one per line.
            for problem in error.problems { errors.append("\(error.file): \(problem)") }
            try emitText(errors.map { "error: \($0)\n" }.joined() + "passbox trust check: \(errors.count) error(s), 0 warning(s), 0 note(s)\n", to: nil)
            throw ExitCode(Exit.cannotEvaluate)
        }
        let lint = contents.lint(now: Date())
        errors += lint.errors
        let warnings = lint.warnings, infos = lint.notes
        var out = ""
        for e in errors { out += "error: \(e)\n" }
        for w in warnings { out += "warning: \(w)\n" }
        for i in infos { out += "info: \(i)\n" }
        out += "passbox trust check: \(errors.count) error(s), \(warnings.count) warning(s), \(infos.count) note(s)\n"
        try emitText(out, to: nil)
        throw ExitCode(errors.isEmpty ? Exit.accepted : Exit.cannotEvaluate)
    }
}
