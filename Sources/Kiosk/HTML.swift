import Foundation
import PassboxKit

/// HTML for the kiosk: server-rendered, no inline script, no external assets; every
/// text that came from a delivery, a path or a person goes through `esc`.
enum HTML {
    /// Escapes text for HTML element content and quoted attribute values.
    static func esc(_ text: String) -> String { ReportFormats.escape(text) }

    /// Percent-encodes a path segment or query value.
    static func url(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }

    static func page(_ title: String, user: Principal?, body: String, script: Bool = false, refresh: Int? = nil) -> String {
        var nav = ""
        if let user {
            nav = """
            <nav><a class="btn" href="/">Scan</a> <a class="btn" href="/history">History</a>\(user.role.canApprove ? " <a class=\"btn\" href=\"/approvals\">Approvals</a>" : "")\(user.role == .admin ? " <a class=\"btn\" href=\"/admin\">Station</a>" : "")
            <form method="post" action="/signout" class="inline">\(csrfField(user))<button type="submit">Sign out \(esc(user.name))</button></form></nav>
            """
        }
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        \(refresh.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" } ?? "")
        <title>\(esc(title)) · passbox kiosk</title>
        <link rel="stylesheet" href="/static/kiosk.css">
        \(script ? "<script src=\"/static/kiosk.js\" defer></script>" : "")
        </head><body>
        <header><span class="brand">passbox kiosk</span>\(nav)</header>
        <main>
        \(body)
        </main></body></html>
        """
    }

    static func csrfField(_ user: Principal?) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(esc(user?.csrf ?? ""))\">"
    }

    static func signIn(csrf: String, message: String?) -> String {
        page("Sign in", user: nil, body: """
        <h1>Sign in</h1>
        \(message.map { "<p class=\"alert\">\(esc($0))</p>" } ?? "")
        <form method="post" action="/signin" class="stack">
        <input type="hidden" name="csrf" value="\(esc(csrf))">
        <label>Name <input name="name" autocomplete="username" required autofocus></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
        <button type="submit" class="big">Sign in</button>
        </form>
        """)
    }

    static func error(_ status: Int, _ message: String, user: Principal? = nil) -> String {
        page("Error", user: user, body: "<h1>\(status)</h1><p class=\"alert\">\(esc(message))</p><p><a class=\"btn\" href=\"/\">Back</a></p>")
    }

    static func home(_ user: Principal, sources: [DeliverySource], recent: [Scan]) -> String {
        var body = "<h1>Pick what to check</h1>\n"
        if !user.role.canScan {
            body += "<p>Your role (\(esc(user.role.rawValue))) reads history and reports; it does not scan.</p>"
        } else if sources.isEmpty {
            body += "<p class=\"hint\">Insert the transfer medium. It appears here once mounted. <a class=\"btn\" href=\"/\">Look again</a></p>"
        } else {
            body += "<ul class=\"sources\">\n"
            for s in sources {
                let tag = s.kind == .medium ? (s.isNew ? "New medium" : "Medium") : "Drop folder"
                body += """
                <li><form method="post" action="/scan">\(csrfField(user))<input type="hidden" name="path" value="\(esc(s.path))">
                <button type="submit" class="source"><span class="tag">\(tag)</span> <span class="name">\(esc(s.name))</span></button></form></li>\n
                """
            }
            body += "</ul>\n<p><a class=\"btn\" href=\"/\">Look again</a></p>\n"
        }
        if !recent.isEmpty {
            body += "<h2>This session's scans</h2><ul class=\"recent\">"
            for s in recent.prefix(10) {
                body += "<li><a href=\"/scan/\(s.id)\">\(esc(s.label))</a> — \(esc(status(s)))</li>"
            }
            body += "</ul>"
        }
        return page("Scan", user: user, body: body)
    }

    static func status(_ scan: Scan) -> String {
        switch scan.state {
        case .queued: "waiting"
        case .running: "checking"
        case .failed: "could not be checked"
        case .done:
            if scan.admission?.folder != nil { "admitted" } else { scan.report?.verdict == .accepted ? "ACCEPTED" : "REJECTED" }
        }
    }

    static func progress(_ user: Principal, scan: Scan) -> String {
        let s = scan.progress.snapshot()
        return page("Checking", user: user, body: """
        <h1>Checking \(esc(scan.label))</h1>
        <div id="progress" data-events="/scan/\(scan.id)/events" data-done="/scan/\(scan.id)">
        <p class="stage" id="stage">\(esc(stageText(s.stage, scan.state)))</p>
        <div class="bar"><div id="bar" class="fill"></div></div>
        <dl class="facts">
        <dt>Files</dt><dd id="items">\(s.items)</dd>
        <dt>Read</dt><dd id="bytes">\(bytes(s.bytesRead))</dd>
        <dt>Speed</dt><dd id="speed">\(bytes(Int64(s.throughput)))/s</dd>
        <dt>Archive</dt><dd id="archive">\(esc(s.archive ?? "—"))</dd>
        <dt>Time left</dt><dd id="eta">\(s.eta.map { "\(Int($0)) s" } ?? "—")</dd>
        </dl>
        <p class="current" id="current">\(esc(s.current))</p>
        </div>
        """, script: true, refresh: 3)
    }

    static func stageText(_ stage: VerificationProgress.Stage, _ state: Scan.State) -> String {
        if state == .queued { return "Waiting for a free slot…" }
        switch stage {
        case .starting, .trustStore, .evidence: return "Preparing…"
        case .reading: return "Reading every file…"
        case .checkingSignatures, .secondPass: return "Checking signatures…"
        case .judging, .done: return "Deciding…"
        }
    }

    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n)
        var i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[i])
    }
}
