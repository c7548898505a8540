import Foundation

extension TrustStoreContents {
    /// What `passbox trust check` finds in a trust store that reads (one that does not
    /// read is a `TrustStoreError` with every mistake already): fingerprints that match
    /// no key, signers whose window has passed, keys no signer names, overlapping
    /// scopes, revoked keys still in `keys/`.
    public struct Lint: Sendable {
        public var errors: [String] = []
        public var warnings: [String] = []
        public var notes: [String] = []
    }

    public func lint(now: Date) -> Lint {
        var lint = Lint()
        let keyFiles = self.keyFiles.map { (name: $0.fileName, fingerprints: $0.summary.fingerprints) }
        let allFingerprints = keyFiles.reduce(into: Set<String>()) { $0.formUnion($1.fingerprints) }
        let config = store.config
        if !hasTrustYAML { lint.notes.append("no trust.yaml: every key in keys/ is trusted for every delivery") }
        var named = Set<String>()
        for rule in config.signers {
            var fingerprints = Set<String>()
            for reference in rule.keyReferences {
                if isFingerprintText(reference) {
                    let f = normalizeFingerprint(reference)
                    fingerprints.insert(f)
                    if !allFingerprints.contains(f) {
                        lint.warnings.append("signer '\(rule.name)': fingerprint \(f) matches no key in keys/ (it can still match a CMS signing key)")
                    }
                } else if let file = keyFiles.first(where: { $0.name == reference }) {
                    fingerprints.formUnion(file.fingerprints)
                    named.insert(file.name)
                }
            }
            for file in keyFiles where !file.fingerprints.isDisjoint(with: fingerprints) { named.insert(file.name) }
            if let until = rule.validUntil, until < now {
                lint.warnings.append("signer '\(rule.name)': validUntil \(RFC3339.format(until)) has passed; its keys are rejected as signature.expired")
            }
        }
        for file in keyFiles where !named.contains(file.name) && !config.signers.isEmpty {
            lint.notes.append("keys/\(file.name) is named by no signer: it is trusted for every vendor, product and kind")
        }
        // Overlapping scopes of different signers: two parties trusted for the same deliveries.
        for (i, a) in config.signers.enumerated() {
            for b in config.signers[(i + 1)...] where overlap(a.vendors, b.vendors) && overlap(a.products, b.products) && overlap(a.kinds, b.kinds) {
                lint.warnings.append("signers '\(a.name)' (\(a.scopeDescription)) and '\(b.name)' (\(b.scopeDescription)) have overlapping scopes: either can sign for the other's deliveries")
            }
        }
        let revoked = Set(config.revoked)
        for file in keyFiles where !file.fingerprints.isDisjoint(with: revoked) {
            lint.warnings.append("keys/\(file.name) is revoked in trust.yaml but still in keys/ (it is rejected as signature.revoked; remove the file)")
        }
        return lint
    }

    /// nil means any: overlaps everything; two lists overlap when they share a name.
    private func overlap(_ a: [String]?, _ b: [String]?) -> Bool {
        guard let a, let b else { return true }
        let lower = Set(a.map { $0.lowercased() })
        return b.contains { lower.contains($0.lowercased()) }
    }
}
