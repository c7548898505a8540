import Foundation

extension ReportFormats {
    /// Findings of one code listed in the visible part, and in the full list.
    static let htmlShownPerCode = 25
    static let htmlListedPerCode = 1_000

    /// A self-contained HTML page for the kiosk screen, an e-mail or a printer: no
    /// scripts, no external resources, every name from the delivery escaped. A header
    /// an operator reads at a glance (verdict, product, signers, time, station, passbox
    /// version, delivery digest) and one line saying what to do next; findings grouped
    /// by code and capped as in the text report, the longer list behind a disclosure;
    /// files as counts (and the ones that are not as signed), never one row per verified
    /// file — a 200,000-file delivery's page stays small and draws at once.
    public static func html(_ reports: [Report]) -> String {
        var out = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(reports.map { "passbox: \($0.verdict == .accepted ? "ACCEPTED" : "REJECTED") \($0.delivery.path)" }.joined(separator: "; ")))</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:0;color:#111;background:#fff;font-size:18px;line-height:1.4}
        section.report{padding:1.2em 1.6em;border-top:1.2em solid #555}
        section.accepted{border-color:#0a6b0a}section.rejected{border-color:#b00000}
        .verdict{font-size:3em;font-weight:800;letter-spacing:.04em}
        .accepted .verdict{color:#0a6b0a}.rejected .verdict{color:#b00000}
        .product{font-size:1.5em;font-weight:600}
        .next{font-size:1.3em;font-weight:700;padding:.5em .7em;margin:.6em 0;border:3px solid currentColor}
        .accepted .next{color:#0a6b0a}.rejected .next{color:#b00000}
        dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:.8em 0}
        dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}
        h2{margin:1.2em 0 .4em;font-size:1.3em}h3{margin:.8em 0 .2em;font-size:1.05em}
        table{border-collapse:collapse;margin:.3em 0 1em}td,th{border:1px solid #999;padding:.2em .6em;text-align:left;vertical-align:top}
        code{font-size:90%;overflow-wrap:anywhere}.error{color:#b00000;font-weight:700}.warning{color:#8a5300;font-weight:700}
        ul{margin:.2em 0 .6em}details{margin:.5em 0}summary{cursor:pointer;font-weight:600}
        @media print{section.report{border-top-width:.4em}summary{display:none}details>*{display:block}}
        </style></head><body>

        """
        for report in reports { out += section(report) }
        return out + "</body></html>\n"
    }

    private static func section(_ report: Report) -> String {
        let accepted = report.verdict == .accepted
        var out = "<section class=\"report \(accepted ? "accepted" : "rejected")\">\n<header>\n"
        out += "<div class=\"verdict\">\(accepted ? (report.admitted != nil ? "ADMITTED" : "ACCEPTED") : "REJECTED")</div>\n"
        let described = report.manifests.first { $0.status == .verified && $0.product != nil }
        if let described {
            let product = [described.vendor, described.product, described.version, described.kind.map { "(\($0))" }].compactMap { $0 }
            out += "<div class=\"product\">\(escape(product.joined(separator: " ")))</div>\n"
        }
        out += "<p class=\"next\">\(escape(nextStep(report)))</p>\n<dl class=\"facts\">\n"
        func fact(_ name: String, _ value: String?) {
            guard let value, !value.isEmpty else { return }
            out += "<dt>\(escape(name))</dt><dd>\(escape(value))</dd>\n"
        }
        var delivery = "\(report.delivery.path) (\(report.delivery.kind.rawValue)"
        if let format = report.delivery.format { delivery += ", \(format)" }
        fact("Delivery", delivery + ")")
        let signers = report.manifests.filter { $0.status == .verified }.flatMap { m in
            m.signatures.filter { $0.status == .valid }.map { s in
                "\(s.signer) (\(s.algorithm ?? "?")\(s.fingerprint.map { ", " + $0.prefix(16) } ?? ""))\(s.subject.map { ", " + $0 } ?? "")"
            }
        }
        fact("Signed by", signers.isEmpty ? "no trusted signer" : signers.joined(separator: "; "))
        fact("Checked", "\(report.summary.files) file(s), \(formatBytes(report.summary.bytes)) read, \(report.summary.archives) archive(s) opened")
        fact("Time", report.time)
        fact("Station", report.station)
        fact("passbox", report.passboxVersion)
        fact("Delivery sha256", report.deliveryDigest?["sha256"] ?? report.delivery.digests?.sha256)
        fact("Audit record", report.auditSeq.map { "seq \($0)" })
        fact("Policy", report.policy.map { $0.source + ($0.sha256.map { " (sha256 \($0.prefix(16))…)" } ?? "") })
        fact("Trust store", report.trustStore.map { $0.path + ($0.sha256.map { " (sha256 \($0.prefix(16))…)" } ?? "") })
        if let admitted = report.admitted {
            fact("Admitted as", admitted.folder)
            fact("Receipt", admitted.receipt)
        }
        out += "</dl>\n</header>\n"
        out += findingsSection(report)
        out += filesSection(report)
        out += manifestsSection(report)
        if let sbom = report.sbom { out += sbomSection(sbom) }
        if let vulnerabilities = report.vulnerabilities { out += vulnerabilitiesSection(vulnerabilities) }
        return out + "</section>\n"
    }

    /// The one line that says what to do next.
    static func nextStep(_ report: Report) -> String {
        if let admitted = report.admitted { return "Admitted as \(admitted.folder). Keep the receipt \(admitted.receipt)." }
        if report.verdict == .accepted {
            return "Accepted: every file is as signed. It may be admitted into the production zone."
        }
        return "Do not use this medium. Return it to the vendor or to your security team with this report."
    }

    private static func findingsSection(_ report: Report) -> String {
        let errors = report.findings.filter { $0.severity == .error }.count
        let warnings = report.findings.filter { $0.severity == .warning }.count
        var out = "<h2>Findings: \(errors) error(s), \(warnings) warning(s)</h2>\n"
        guard !report.findings.isEmpty else { return out + "<p>None.</p>\n" }
        var order: [FindingCode] = []
        var byCode: [FindingCode: [Finding]] = [:]
        for f in report.findings {
            if byCode[f.code] == nil { order.append(f.code) }
            byCode[f.code, default: []].append(f)
        }
        for code in order {
            let group = byCode[code] ?? []
            let severity = group.first?.severity.rawValue ?? ""
            out += "<h3><span class=\"\(severity)\">\(escape(severity))</span> <code>\(escape(code.rawValue))</code> — \(escape(code.summary)) (\(group.count))</h3>\n<ul>\n"
            for f in group.prefix(htmlShownPerCode) { out += "<li>\(f.path.map { "<code>\(escape($0))</code>: " } ?? "")\(escape(f.message))</li>\n" }
            out += "</ul>\n"
            if group.count > htmlShownPerCode {
                out += "<details><summary>All \(group.count) \(escape(code.rawValue)) finding(s)</summary>\n<ul>\n"
                for f in group.dropFirst(htmlShownPerCode).prefix(htmlListedPerCode - htmlShownPerCode) {
                    out += "<li>\(f.path.map { "<code>\(escape($0))</code>: " } ?? "")\(escape(f.message))</li>\n"
                }
                out += "</ul>\n"
                if group.count > htmlListedPerCode { out += "<p>…and \(group.count - htmlListedPerCode) more: see the JSON report.</p>\n" }
                out += "</details>\n"
            }
        }
        return out
    }

    private static func filesSection(_ report: Report) -> String {
        var out = "<h2>Files</h2>\n<table><tr><th>status</th><th>files</th></tr>\n"
        for status in ["verified", "covered", "unlisted", "mismatch", "missing", "skipped"] {
            guard let n = report.summary.byStatus[status] else { continue }
            out += "<tr><td>\(status)</td><td>\(n)</td></tr>\n"
        }
        out += "</table>\n"
        let notSigned = report.files.filter { $0.status != .verified && $0.status != .covered }
        guard !notSigned.isEmpty else { return out }
        out += "<details><summary>Files that are not as signed (\(notSigned.count))</summary>\n<table><tr><th>path</th><th>status</th><th>size</th><th>sha256</th></tr>\n"
        for file in notSigned.prefix(htmlListedPerCode) {
            out += "<tr><td><code>\(escape(file.path))</code></td><td>\(file.status.rawValue)</td><td>\(file.size)</td><td><code>\(escape(file.digests.sha256 ?? ""))</code></td></tr>\n"
        }
        out += "</table>\n"
        if notSigned.count > htmlListedPerCode { out += "<p>…and \(notSigned.count - htmlListedPerCode) more: see the JSON report.</p>\n" }
        return out + "</details>\n"
    }

    private static func manifestsSection(_ report: Report) -> String {
        var out = "<h2>Manifests</h2>\n"
        guard !report.manifests.isEmpty else { return out + "<p>None found.</p>\n" }
        out += "<table><tr><th>manifest</th><th>status</th><th>signatures</th></tr>\n"
        for m in report.manifests.prefix(htmlListedPerCode) {
            let signers = m.signatures.map { "\($0.signer) (\($0.status.rawValue))" }.joined(separator: ", ")
            out += "<tr><td><code>\(escape(m.path))</code></td><td>\(m.status.rawValue)</td><td>\(escape(signers))</td></tr>\n"
        }
        return out + "</table>\n"
    }

    private static func sbomSection(_ sbom: SBOMReport) -> String {
        var out = "<h2>SBOM</h2>\n<p>\(sbom.documents.count) document(s); components \(escape(sbom.countsLine))</p>\n"
        let notApproved = sbom.components.filter { $0.status != "approved" }
        guard !notApproved.isEmpty else { return out }
        out += "<details><summary>Components not approved (\(notApproved.count))</summary>\n<table><tr><th>component</th><th>status</th><th>reason</th></tr>\n"
        for c in notApproved.prefix(htmlListedPerCode) {
            let name = c.purl ?? (c.version.map { "\(c.name)@\($0)" } ?? c.name)
            out += "<tr><td><code>\(escape(name))</code></td><td>\(escape(c.status))</td><td>\(escape(c.reason))</td></tr>\n"
        }
        return out + "</table>\n</details>\n"
    }

    /// Known vulnerabilities: affected ones by severity (most severe first), then suppressed ones.
    private static func vulnerabilitiesSection(_ v: VulnerabilityReport) -> String {
        var out = "<h2>Vulnerabilities</h2>\n<p>"
        if v.database.present {
            out += "Database data of \(escape(v.database.dataTime ?? "unknown time"))"
            if let age = v.database.ageDays { out += " (\(age) day(s) old)" }
        } else {
            out += "No vulnerability database"
        }
        out += "; \(v.componentsChecked) component(s) checked; failOn \(escape(v.failOn)).</p>\n"
        var rows: [(rank: Int, html: String)] = []
        for c in v.components {
            for x in c.vulnerabilities {
                let severity = x.severity ?? "unknown"
                let rank = x.status == "suppressed" ? 99 : VulnerabilityReport.severityOrder.firstIndex(of: severity) ?? 98
                let name = c.purl ?? "\(c.name)@\(c.version)"
                let ids = ([x.id] + x.aliases).joined(separator: ", ")
                let score = x.score.map { String(format: "%.1f", $0) } ?? ""
                let status = x.status == "suppressed" ? "suppressed: " + (x.justification ?? "") : x.level.rawValue
                rows.append((rank, "<tr><td><code>\(escape(name))</code></td><td>\(escape(ids))</td><td>\(escape(severity)) \(score)</td>"
                    + "<td>\(escape(x.fixedVersion ?? "none known"))</td><td>\(escape(status))</td></tr>\n"))
            }
        }
        guard !rows.isEmpty else { return out + "<p>No known vulnerability.</p>\n" }
        out += "<table><tr><th>component</th><th>ids</th><th>severity</th><th>fixed in</th><th>status</th></tr>\n"
        for row in rows.enumerated().sorted(by: { ($0.element.rank, $0.offset) < ($1.element.rank, $1.offset) }).prefix(htmlListedPerCode) {
            out += row.element.html
        }
        return out + "</table>\n"
    }

    /// Everything from the delivery is text an attacker chose: escaped for HTML element
    /// content and quoted attribute values (control and bidi characters as references).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if c.value < 0x20 && c != "\n" && c != "\t" || (0x7f...0x9f).contains(c.value) || (0x202a...0x202e).contains(c.value)
                    || (0x2066...0x2069).contains(c.value) {
                    out += "&#x\(String(c.value, radix: 16));"
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out
    }
}
