import Attestation
import Foundation

/// *Station* (admin only): the settings, users and tokens, the trust store's keys and
/// roots, and the policy in force. Shown, never changed here: they are files, and the
/// kiosk is restarted after a change.
extension HTML {
    /// What the trust store and the policy hold, read when the page is shown.
    struct StationFiles: Sendable {
        var trust: TrustStoreContents?
        var trustProblem: String?
        /// The policy file's text (nil: the built-in policy), at most `maxPolicyBytes`.
        var policyText: String?
        var policyTruncated = false
        static let maxPolicyBytes = 64 << 10

        static func read(_ config: KioskConfig) -> StationFiles {
            var files = StationFiles()
            do {
                files.trust = try TrustStoreContents.read(directory: config.trustStore)
            } catch {
                files.trustProblem = "The trust store cannot be read: `passbox trust list --trust-store` on the station says why."
            }
            if let policy = config.policy, let handle = FileHandle(forReadingAtPath: policy) {
                defer { try? handle.close() }
                let data = (try? handle.read(upToCount: maxPolicyBytes + 1)) ?? Data()
                files.policyTruncated = data.count > maxPolicyBytes
                files.policyText = String(decoding: data.prefix(maxPolicyBytes), as: UTF8.self)
            }
            return files
        }
    }

    static func admin(_ user: Principal, config: KioskConfig, files: StationFiles) -> String {
        var body = "<h1>Station</h1><p>Users, tokens, the trust store and the policy are changed in their files, then the kiosk is restarted.</p><dl class=\"facts\">"
        for (k, v) in [("Listening", "\(config.host):\(config.port)\(config.usesTLS ? " (TLS)" : "")"), ("Trust store", config.trustStore),
                       ("Policy", config.policy ?? "built-in"), ("Manifests", config.manifests ?? "—"), ("Production", config.production),
                       ("Quarantine", config.quarantine), ("State", config.state), ("Inventory", config.inventory ?? "off"),
                       ("Media roots", config.mediaRoots.joined(separator: ", ")),
                       ("Drop folders", config.dropFolders.joined(separator: ", ")),
                       ("Second approval for warnings", config.approvalForWarnings ? "yes" : "no")] {
            body += "<dt>\(esc(k))</dt><dd>\(esc(v))</dd>"
        }
        body += "</dl><h2>Users</h2><ul>" + config.users.map { "<li>\(esc($0.name)) — \(esc($0.role.rawValue))</li>" }.joined() + "</ul>"
        body += "<h2>API tokens</h2><ul>" + config.tokens.map { "<li>\(esc($0.name)) — \(esc($0.role.rawValue))</li>" }.joined() + "</ul>"
        body += "<h2>Trust store</h2>"
        if let problem = files.trustProblem { body += "<p class=\"alert\">\(esc(problem))</p>" }
        if let trust = files.trust {
            let config = trust.store.config
            let revoked = Set(config.revoked)
            body += "<p id=\"trust-summary\">\(trust.keyCount) key(s); each manifest needs \(config.threshold) trusted signer(s); \(config.revoked.count) revoked; \(config.signers.count) signer rule(s) in trust.yaml.</p>"
            body += "<table class=\"history\" id=\"trust-keys\"><tr><th>Signer</th><th>Format</th><th>Algorithm</th><th>Fingerprint (SHA-256)</th></tr>"
            for file in trust.keyFiles.prefix(500) {
                for entry in file.summary.entries {
                    let isRevoked = [entry.fingerprint, entry.formatID].compactMap { $0.map(normalizeFingerprint) }.contains { revoked.contains($0) }
                    body += "<tr><td>\(esc(file.name))\(isRevoked ? " <strong>(revoked)</strong>" : "")</td><td>\(esc(entry.format))</td>"
                        + "<td>\(esc(entry.algorithm))</td><td><code>\(esc(entry.fingerprint ?? entry.formatID ?? "—"))</code></td></tr>"
                }
            }
            body += "</table>"
            if !trust.roots.isEmpty {
                body += "<h3>X.509 roots</h3><ul>" + trust.roots.prefix(200).map {
                    "<li>\(esc($0.certificate.info.subject)) <code>\(esc($0.certificate.info.fingerprint))</code></li>"
                }.joined() + "</ul>"
            }
        }
        body += "<h2>Policy</h2>"
        if let text = files.policyText {
            body += "<pre class=\"receipt\" id=\"policy\">\(esc(text))</pre>"
            if files.policyTruncated { body += "<p class=\"hint\">Only the first \(StationFiles.maxPolicyBytes >> 10) KiB are shown.</p>" }
        } else {
            body += "<p id=\"policy\">\(config.policy == nil ? "The built-in strict policy (no policy file)." : "The policy file cannot be read.")</p>"
        }
        return page("Station", user: user, body: body)
    }
}
