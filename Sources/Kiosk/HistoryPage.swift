import Foundation
import InventoryStore
import PassboxKit
import Station

/// *History*: past decisions from the inventory (filterable) with the audit log's
/// verification state, and the audit log's own events (sign-ins, approvals).
extension HTML {
    static func auditStateLine(_ audit: AuditState) -> String {
        audit.intact
            ? "<p class=\"ok\" id=\"audit-state\">Audit log intact: every record's hash chain checks out (\(audit.records.count) records).</p>"
            : "<p class=\"alert\" id=\"audit-state\">Audit log NOT intact: \(esc(audit.problems.joined(separator: "; ")))</p>"
    }

    static func history(_ user: Principal, history: History, query: HistoryQuery) -> String {
        var body = "<h1>History</h1>\n" + auditStateLine(history.audit)
        body += "<p><a class=\"btn\" href=\"/history/log\" id=\"audit-log-link\">Audit log events (sign-ins, approvals)</a></p>\n"
        guard history.inventoryOn else {
            body += "<p class=\"hint\" id=\"inventory-off\">The inventory is off on this station (<code>inventory: off</code>): past decisions are in the audit log only.</p>"
            return page("History", user: user, body: body)
        }
        if let problem = history.inventoryError { body += "<p class=\"alert\">\(esc(problem))</p>" }
        body += """
        <form method="get" action="/history" class="filters">
        <label>Verdict <select name="verdict">\(options(HistoryQuery.verdicts, query.verdict))</select></label>
        <label>Event <select name="command">\(options(HistoryQuery.commands, query.command))</select></label>
        <label>Vendor <input name="vendor" value="\(esc(query.vendor))" maxlength="200"></label>
        <label>Product <input name="product" value="\(esc(query.product))" maxlength="200"></label>
        <label>Operator <input name="operator" value="\(esc(query.operatorName))" maxlength="200"></label>
        <label>Since <input name="since" type="date" value="\(esc(query.since))"></label>
        <label>Until <input name="until" type="date" value="\(esc(query.until))"></label>
        <button type="submit">Filter</button></form>
        <table class="history" id="deliveries"><tr><th>Time (UTC)</th><th>Station</th><th>Operator</th><th>Event</th><th>Delivery</th><th>Verdict</th><th>Files</th><th>Components</th><th>Reports</th></tr>

        """
        if history.deliveries.isEmpty { body += "<tr><td colspan=\"9\">Nothing recorded matches.</td></tr>\n" }
        for d in history.deliveries {
            let what = [d.vendor, d.product, d.version].compactMap { $0 }.joined(separator: " ")
            var delivery = "<a href=\"/history/decision/\(url(d.uid))\"><strong>\(esc(what.isEmpty ? "(no signed manifest)" : what))</strong></a><br><code class=\"path\">\(esc(d.mediumLabel ?? d.input))</code>"
            if let folder = d.admittedFolder { delivery += " → <code>\(esc(folder))</code>" }
            var reports = "—"
            if let seq = d.auditSeq, let scan = history.scans[Int(seq)] {
                let base = "/scan/\(HTML.url(scan.id))"
                reports = "<a href=\"\(base)\">Page</a> <a href=\"\(base)/report.html\">HTML</a> <a href=\"\(base)/report.json\">JSON</a> <a href=\"\(base)/report.sarif\">SARIF</a>"
            }
            // 2026-12-07T20:50:03.921Z -> 2026-12-07 20:50:03 (the full time is in the title).
            let time = "<span title=\"\(esc(d.time))\">\(esc(String(d.time.prefix(19)).replacingOccurrences(of: "T", with: " ")))</span>"
            body += "<tr><td>\(time)</td><td>\(esc(d.station))</td><td>\(esc(d.operator))</td><td>\(esc(d.command))</td><td>\(delivery)</td>"
                + "<td class=\"\(esc(d.verdict))\">\(esc(d.verdict))</td><td>\(d.files)</td><td>\(d.components)</td><td>\(reports)</td></tr>\n"
        }
        body += "</table>\n<p class=\"hint\">Reports open from here while the kiosk keeps the verification (its last 100); "
            + "a rejected delivery's report is also in the quarantine folder, and <code>passbox inventory show UID</code> shows any decision in full.</p>"
        return page("History", user: user, body: body)
    }

    /// The audit log's records, filtered by text, verdict, event and user.
    struct AuditFilter {
        var text = ""
        var verdict = ""
        var command = ""
        var user = ""

        func matches(_ r: AuditRecord) -> Bool {
            (verdict.isEmpty || r.verdict == verdict) && (command.isEmpty || r.command == command) && (user.isEmpty || r.user == user)
                && (text.isEmpty || [r.input, r.product ?? "", r.vendor ?? "", r.admitted ?? "", r.deliverySha256].contains { $0.localizedCaseInsensitiveContains(text) })
        }
    }

    static func auditLog(_ user: Principal, audit: AuditState, filter: AuditFilter, scans: [Scan]) -> String {
        var body = "<h1>Audit log</h1>\n" + auditStateLine(audit)
        body += """
        <p><a class="btn" href="/history">Deliveries</a></p>
        <form method="get" action="/history/log" class="filters">
        <label>Search <input name="q" value="\(esc(filter.text))"></label>
        <label>Verdict <select name="verdict">\(options(["", "accepted", "rejected", "error", "ok", "failed", "locked", "pending", "approved", "refused"], filter.verdict))</select></label>
        <label>Event <select name="command">\(options(["", "verify", "admit", "approval-requested", "approve", "approve-refused", "signin", "signin-failed", "signin-locked", "signout"], filter.command))</select></label>
        <label>User <input name="user" value="\(esc(filter.user))"></label>
        <button type="submit">Filter</button></form>
        <table class="history"><tr><th>#</th><th>Time (UTC)</th><th>User</th><th>Event</th><th>Delivery</th><th>Verdict</th><th>Findings</th></tr>

        """
        let bySeq = Dictionary(scans.flatMap { s in [s.report?.auditSeq, s.admission?.report.auditSeq].compactMap { $0 }.map { ($0, s) } },
                               uniquingKeysWith: { a, _ in a })
        for r in audit.records.filter(filter.matches).prefix(500) {
            let what = [r.vendor, r.product, r.version].compactMap { $0 }.joined(separator: " ")
            var delivery = esc(what.isEmpty ? r.input : "\(what) (\(r.input))")
            if let scan = bySeq[r.seq], scan.report != nil { delivery = "<a href=\"/scan/\(HTML.url(scan.id))\">\(delivery)</a>" }
            body += "<tr><td>\(r.seq)</td><td>\(esc(r.time))</td><td>\(esc(r.user))</td><td>\(esc(r.command))</td><td>\(delivery)\(r.admitted.map { " → <code>\(esc($0))</code>" } ?? "")</td><td class=\"\(esc(r.verdict))\">\(esc(r.verdict))</td><td>\(esc(r.findings.joined(separator: ", ")))</td></tr>\n"
        }
        return page("Audit log", user: user, body: body + "</table>")
    }

    static func options(_ values: [String], _ selected: String) -> String {
        values.map { "<option value=\"\(esc($0))\"\($0 == selected ? " selected" : "")>\(esc($0.isEmpty ? "any" : $0))</option>" }.joined()
    }
}

extension HTML {
    /// One past decision from the inventory: what was decided, by whom, the findings,
    /// signers, SBOM components and files (bounded lists; the JSON has them all).
    static func pastDecision(_ user: Principal, detail: DeliveryDetail, scan: Scan?) -> String {
        let d = detail.delivery
        let accepted = d.verdict == "accepted"
        var body = "<div class=\"verdict \(accepted ? "accepted" : "rejected")\" id=\"verdict\"><span class=\"word\">\(esc(d.verdict.uppercased()))</span></div>\n"
        body += "<dl class=\"facts\">"
        let facts: [(String, String?)] = [
            ("Event", d.command), ("Time (UTC)", d.time), ("Station", d.station), ("Operator", d.operator),
            ("Vendor", d.vendor), ("Product", d.product), ("Version", d.version), ("Kind", d.kind),
            ("Source", d.input), ("Medium", d.mediumLabel), ("Admitted as", d.admittedFolder),
            ("Files", "\(d.files)"), ("SBOM components", "\(d.components)"), ("Delivery SHA-256", d.sha256),
            ("Receipt SHA-256", detail.receiptSha256), ("Audit record", d.auditSeq.map { "seq \($0)" }),
        ]
        for (k, v) in facts { if let v, !v.isEmpty { body += "<dt>\(esc(k))</dt><dd>\(esc(v))</dd>" } }
        body += "</dl>\n"
        var links = "<a class=\"btn\" href=\"/history/decision/\(url(d.uid))/json\">Recorded decision (JSON)</a>"
        if let scan {
            let base = "/scan/\(url(scan.id))"
            links += " <a class=\"btn\" href=\"\(base)/report.html\">HTML</a> <a class=\"btn\" href=\"\(base)/report.json\">JSON</a> <a class=\"btn\" href=\"\(base)/report.sarif\">SARIF</a>"
        }
        body += "<h2>Reports</h2><p class=\"reports\">\(links)</p>\n"
        if !detail.findings.isEmpty {
            body += "<h2>Findings</h2><ul class=\"findings\" id=\"findings\">"
            for f in detail.findings.prefix(200) {
                body += "<li class=\"\(esc(f.severity))\"><code class=\"code\">\(esc(f.code))</code> \(f.path.map { "<code class=\"path\">\(esc($0))</code>: " } ?? "")\(esc(f.message))</li>"
            }
            if detail.findings.count > 200 { body += "<li>… and \(detail.findings.count - 200) more (see the JSON)</li>" }
            body += "</ul>\n"
        }
        if !detail.signers.isEmpty {
            body += "<h2>Signatures</h2><ul>" + detail.signers.prefix(50).map {
                "<li>\(esc($0.subject ?? $0.signer)) — \(esc($0.status)) (\(esc($0.manifest)))</li>"
            }.joined() + "</ul>\n"
        }
        if !detail.components.isEmpty {
            body += "<h2>Components</h2><ul class=\"components\">" + detail.components.prefix(200).map {
                "<li><code>\(esc($0.purl ?? $0.name))</code> \(esc($0.version ?? "")) — \(esc($0.status))</li>"
            }.joined() + "</ul>\n"
        }
        body += "<h2>Files</h2><table class=\"history\"><tr><th>Path</th><th>Size</th><th>Status</th></tr>"
        for f in detail.files.prefix(500) { body += "<tr><td><code>\(esc(f.path))</code></td><td>\(bytes(f.size))</td><td>\(esc(f.status))</td></tr>" }
        if detail.files.count > 500 { body += "<tr><td colspan=\"3\">… and \(detail.files.count - 500) more (see the JSON)</td></tr>" }
        body += "</table><p><a class=\"btn big\" href=\"/history\">Back to history</a></p>"
        return page("Past decision", user: user, body: body)
    }
}
