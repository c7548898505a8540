import Attestation
import Foundation
import Intake

/// Findings about the manifests themselves: their problems (errors for manifests that
/// speak for this delivery, warnings for registered ones that may belong to another),
/// a signature that does not verify beside others that do, and `manifest.none` when
/// no verified manifest applies.
enum ManifestRules {
    static func findings(checks: [ManifestCheck], applied: [Int], trust: TrustContext, lookedIn: [String]) -> [Finding] {
        var findings: [Finding] = []
        for check in checks {
            let severity: Severity = check.origin == .registered ? .warning : .error
            for problem in check.problems {
                let (code, message) = problem.finding
                findings.append(Finding(code: code, severity: severity, path: check.path, message: message))
            }
            if check.verified != nil {
                for s in check.signatures where s.status == .invalid {
                    findings.append(Finding(code: .signatureInvalid, severity: .warning, path: check.path,
                                            message: "one signature (keyid \(s.keyid ?? "none")) does not verify; the manifest stands on its other signatures"))
                }
            }
        }
        if applied.isEmpty {
            let verifiedElsewhere = checks.filter { $0.verified != nil }.count
            var message = "no manifest signed by a trusted key covers this delivery"
            message += " (\(checks.count) manifest(s) checked, \(verifiedElsewhere) verified; the trust store holds \(trust.contents.keyCount) trusted key(s)"
                + (trust.contents.roots.isEmpty ? ")" : " and \(trust.contents.roots.count) root certificate(s))")
            if !lookedIn.isEmpty { message += "; looked in: " + lookedIn.joined(separator: "; ") }
            findings.append(Finding(code: .manifestNone, severity: .error, path: nil, message: message))
        }
        return findings
    }
}

extension ManifestCheck.Problem {
    /// The finding code and message of a manifest problem.
    var finding: (FindingCode, String) {
        switch self {
        case .malformed(let m): (.manifestMalformed, m)
        case .invalidSignature(let m): (.signatureInvalid, m)
        case .untrusted(let m): (.signatureUntrusted, m)
        case .threshold(let m): (.signatureThreshold, m)
        case .expired(let m): (.signatureExpired, m)
        case .revoked(let m): (.signatureRevoked, m)
        case .outOfScope(let m): (.signatureOutOfScope, m)
        }
    }
}

/// Intake's findings (hostile names, links, special files, limits, corrupt archives),
/// with the severity the policy gives the ones it decides (`archive.nameCollisions`,
/// `archive.setuid`, `archive.symlinksOutside`); all others are errors.
enum IntakeRules {
    static func findings(inventory: Inventory, policy: Policy) -> [Finding] {
        inventory.findings.map { finding in
            var severity = Severity.error
            if let advisory = finding.advisory {
                let action: Policy.Action
                switch advisory {
                case .nameCollision: action = policy.nameCollisions
                case .setuid: action = policy.setuid
                case .symlinkOutside: action = policy.symlinksOutside
                }
                severity = action == .reject ? .error : .warning
            }
            return Finding(code: finding.code, severity: severity, path: finding.path, message: finding.message)
        }
    }
}

/// File types the policy does not accept here (`files.deny`), wherever they are.
enum FileTypeRule {
    static func findings(inventory: Inventory, evidence: Set<Int>, policy: Policy) -> [Finding] {
        guard !policy.deniedFileTypes.isEmpty else { return [] }
        let denied = Set(policy.deniedFileTypes)
        var findings: [Finding] = []
        for (i, item) in inventory.items.enumerated() where !evidence.contains(i) && (item.kind == .regular || item.kind == .archive) {
            var types: [String] = []
            if let program = item.program { types.append(program.rawValue) }
            if item.program != nil || (item.mode ?? 0) & 0o111 != 0 { types.append("executable") }
            if item.kind == .archive { types.append("archive") }
            guard let type = types.first(where: { denied.contains($0) }) else { continue }
            let what = item.program.map { "\($0.rawValue) program" } ?? (item.kind == .archive ? "archive" : "file with an execute bit")
            findings.append(Finding(code: .deniedType, severity: .error, path: item.path,
                                    message: "\(what): the policy denies '\(type)' files (files.deny)"))
        }
        return findings
    }
}
