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
            var delivery = "<strong>\(esc(what.isEmpty ? "(no signed manifest)" : what))</strong><br><code class=\"path\">\(esc(d.mediumLabel ?? d.input))</code>"
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
