import Foundation
import PassboxKit
import Station

/// The verdict page, the approvals list and the receipt (history: HistoryPage.swift; station: AdminPage.swift).
extension HTML {
    /// What the operator should do about one kind of finding, in plain words.
    static func advice(_ code: FindingCode) -> String {
        switch code.rawValue {
        case "file.unlisted": return "A file the vendor did not sign is on the medium. Do not use the medium; ask the vendor for a clean delivery."
        case "file.mismatch": return "A file differs from what the vendor signed (changed or damaged). Do not use it; report it to security."
        case "file.missing": return "A file the vendor signed is not on the medium. Ask the vendor for the complete delivery."
        case let c where c.hasPrefix("signature."): return "The signature cannot be trusted here. Ask security whether this vendor's key is in the trust store."
        case let c where c.hasPrefix("manifest."): return "No valid signed list of files came with this delivery. Ask the vendor for the signed manifest."
        case let c where c.hasPrefix("archive."): return "An archive on the medium is unsafe or unreadable. Do not open it; report it to security."
        case let c where c.hasPrefix("sbom."): return "The software bill of materials does not meet the policy. Ask security to review the components."
        case let c where c.hasPrefix("vuln."): return "A component has a known vulnerability, or the vulnerability database is missing or old. Ask security whether this version may be used (see Known vulnerabilities below)."
        case "version.rollback": return "This is older than a version already admitted. Ask engineering whether a downgrade is intended."
        default: return "Ask security to review this finding."
        }
    }

    static func verdict(_ user: Principal, scan: Scan, approvalRequired: Bool) -> String {
        guard let report = scan.admission?.report ?? scan.report else {
            return page("Could not check", user: user, body: """
            <div class="verdict rejected"><span class="word">NOT CHECKED</span></div>
            <p class="alert">\(esc(scan.error ?? "The delivery could not be checked."))</p>
            <p>Nothing was copied. Ask security for help.</p><p><a class="btn" href="/">Back</a></p>
            """)
        }
        let accepted = report.verdict == .accepted
        var body = "<div class=\"verdict \(accepted ? "accepted" : "rejected")\" id=\"verdict\"><span class=\"word\">\(accepted ? "ACCEPTED" : "REJECTED")</span></div>\n"
        body += "<p class=\"next\">\(esc(accepted ? "Every file is as the vendor signed it." : "Do not use this medium. Nothing was copied. Return it to the vendor or to your security team with this report."))</p>\n"
        let described = report.manifests.first { $0.status == .verified && $0.product != nil } ?? report.manifests.first { $0.status == .verified }
        body += "<dl class=\"facts\">\n<dt>Source</dt><dd>\(esc(scan.label))</dd>\n"
        if let m = described {
            if let vendor = m.vendor { body += "<dt>Vendor</dt><dd>\(esc(vendor))</dd>\n" }
            if let product = m.product { body += "<dt>Product</dt><dd>\(esc(product))</dd>\n" }
            if let version = m.version { body += "<dt>Version</dt><dd>\(esc(version))</dd>\n" }
            let signers = m.signatures.filter { $0.status == .valid }.map { $0.subject ?? $0.signer }
            body += "<dt>Signed by</dt><dd>\(esc(signers.isEmpty ? "—" : signers.joined(separator: ", ")))</dd>\n"
        }
        body += "<dt>Files</dt><dd>\(report.summary.files) (\(bytes(report.summary.bytes)))</dd>\n</dl>\n"

        let findings = report.findings.filter { $0.severity != .info }
        if !findings.isEmpty {
            body += "<h2>What was found</h2>\n<ul class=\"findings\">\n"
            var order: [FindingCode] = []
            var byCode: [FindingCode: [Finding]] = [:]
            for f in findings {
                if byCode[f.code] == nil { order.append(f.code) }
                byCode[f.code, default: []].append(f)
            }
            for code in order {
                let group = byCode[code] ?? []
                body += "<li class=\"\(group.first?.severity.rawValue ?? "")\"><strong>\(esc(code.summary))</strong> <code class=\"code\">\(esc(code.rawValue))</code> (\(group.count))<p>\(esc(advice(code)))</p><ul>"
                for f in group.prefix(20) {
                    body += "<li>\(f.path.map { "<code class=\"path\">\(esc($0))</code>: " } ?? "")\(esc(f.message))</li>"
                }
                if group.count > 20 { body += "<li>… and \(group.count - 20) more (see the full report)</li>" }
                body += "</ul></li>\n"
            }
            body += "</ul>\n"
        }
        let unapproved = report.sbom?.components.filter { $0.status != "approved" && $0.status != "allowed" } ?? []
        if !unapproved.isEmpty {
            body += "<h2>Components not approved</h2><ul class=\"components\">"
            for c in unapproved.prefix(50) {
                body += "<li><code>\(esc(c.purl ?? c.name))</code> \(esc(c.version ?? "")) — \(esc(c.reason))</li>"
            }
            body += "</ul>"
        }
        body += vulnerabilities(report.vulnerabilities)

        if let admission = scan.admission {
            if let folder = admission.folder {
                body += "<p class=\"ok\" id=\"admitted\">Admitted by \(esc(admission.by))\(admission.approvedBy.map { ", approved by \(esc($0))" } ?? "") as <code>\(esc(folder))</code>.</p>"
                body += "<p><a class=\"btn big\" id=\"receipt-link\" href=\"/scan/\(scan.id)/receipt\">Show the receipt</a></p>"
            } else {
                body += "<p class=\"alert\">Not admitted: the delivery was rejected when it was read again.</p>"
            }
        } else if let pending = scan.pending {
            body += "<p class=\"hint\" id=\"pending\">Waiting for a second person to approve (asked by \(esc(pending.requestedBy)): \(esc(pending.reason))</p>"
            if user.role.canApprove && user.name != pending.requestedBy {
                body += """
                <form method="post" action="/scan/\(scan.id)/approve" class="stack">\(csrfField(user))
                <button type="submit" class="big accept" id="approve">Approve and admit</button></form>
                """
            }
        } else if accepted && user.role.canScan {
            let needs = approvalRequired && scan.hasWarnings
            body += """
            <form method="post" action="/scan/\(scan.id)/admit" class="stack">\(csrfField(user))
            <label>Reason (work order, ticket) <input name="reason" id="reason" required maxlength="500"></label>
            <button type="submit" class="big accept" id="admit">\(needs ? "Ask for approval to admit" : "Admit into production")</button></form>
            """
        }
        body += "<h2>Reports</h2><p class=\"reports\"><a class=\"btn\" href=\"/scan/\(scan.id)/report.html\">HTML</a> <a class=\"btn\" href=\"/scan/\(scan.id)/report.json\">JSON</a> <a class=\"btn\" href=\"/scan/\(scan.id)/report.sarif\">SARIF</a></p>"
        if !scan.quarantined.isEmpty { body += "<p>The report was written to the quarantine folder.</p>" }
        body += "<p><a class=\"btn big\" href=\"/\">Done</a></p>"
        return page(accepted ? "ACCEPTED" : "REJECTED", user: user, body: body)
    }

    static func receipt(_ user: Principal, scan: Scan, text: String) -> String {
        page("Receipt", user: user, body: """
        <h1>Receipt</h1>
        <p>The station signed this receipt for <code>\(esc(scan.admission?.folder ?? ""))</code>. Keep it with the work order.</p>
        <p><a class="btn big" href="/scan/\(scan.id)/receipt.json" download>Download the receipt</a> <a class="btn" href="/scan/\(scan.id)">Back</a></p>
        <pre class="receipt" id="receipt">\(esc(text))</pre>
        """)
    }

    static func approvals(_ user: Principal, scans: [Scan]) -> String {
        var body = "<h1>Waiting for approval</h1>"
        let pending = scans.filter { $0.pending != nil && $0.admission == nil }
        if pending.isEmpty { body += "<p>Nothing is waiting.</p>" }
        body += "<ul class=\"recent\">"
        for s in pending {
            body += "<li><a href=\"/scan/\(s.id)\">\(esc(s.label))</a> — asked by \(esc(s.pending?.requestedBy ?? ""))</li>"
        }
        return page("Approvals", user: user, body: body + "</ul>")
    }
}
