import Foundation
import Hummingbird
import InventoryStore
import PassboxKit
import Station

/// The operator's pages: sign in, pick a source, progress, verdict, admit, receipt,
/// approvals, history, reports.
struct WebRoutes: Sendable {
    let services: KioskServices
    var secure: Bool { services.config.usesTLS }

    func register(_ router: Router<BasicRequestContext>) {
        router.get("/static/kiosk.css") { _, _ in Web.text(Assets.css, type: "text/css; charset=utf-8") }
        router.get("/static/kiosk.js") { _, _ in Web.text(Assets.js, type: "text/javascript; charset=utf-8") }
        router.get("/signin") { request, _ in signInPage(request, message: nil) }
        router.post("/signin") { request, _ in try await signIn(request) }
        router.post("/signout") { request, _ in
            let user = try await posted(request)
            services.auth.signOut(Web.cookie(request, Web.sessionCookie))
            services.audit("signout", user: user.name)
            var response = Web.redirect("/signin")
            Web.setCookie(&response, Web.sessionCookie, "", secure: secure, maxAge: 0)
            return response
        }
        router.get("/") { request, _ in
            guard let user = session(request) else { return Web.redirect("/signin") }
            let sources = user.role.canScan ? services.finder.sources() : []
            return Web.html(HTML.home(user, sources: sources, recent: services.queue.all.filter { $0.startedBy == user.name }))
        }
        router.post("/scan") { request, _ in
            let (user, form) = try await postedForm(request)
            guard user.role.canScan else { throw PageError(status: .forbidden, message: "Your role does not scan.") }
            guard let chosen = form["path"], let path = services.finder.allowed(chosen) else {
                throw PageError(status: .badRequest, message: "That source is not one this station may read.")
            }
            let label = URL(fileURLWithPath: path).lastPathComponent
            do {
                let scan = try services.startScan(path: path, label: label, by: user.name)
                return Web.redirect("/scan/\(scan.id)")
            } catch let busy as Busy {
                var response = Web.html(HTML.error(429, "The station is busy. Try again in a moment.", user: user), status: .tooManyRequests)
                response.headers[.retryAfter] = String(busy.retryAfter)
                return response
            }
        }
        router.get("/scan/{id}") { request, context in
            let (user, scan) = try scanFor(request, context)
            switch scan.state {
            case .queued, .running: return Web.html(HTML.progress(user, scan: scan))
            case .done, .failed:
                return Web.html(HTML.verdict(user, scan: scan, approvalRequired: services.config.approvalForWarnings))
            }
        }
        router.get("/scan/{id}/events") { request, context in
            let (_, scan) = try scanFor(request, context)
            return Events.stream(scan)
        }
        router.post("/scan/{id}/admit") { request, context in
            let (user, form) = try await postedForm(request)
            let scan = try lookup(context)
            guard user.role.canScan else { throw PageError(status: .forbidden, message: "Your role does not admit.") }
            let reason = String((form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines).prefix(500))
            guard !reason.isEmpty else { throw PageError(status: .badRequest, message: "Give a reason (work order, ticket).") }
            guard scan.report?.verdict == .accepted else { throw PageError(status: .conflict, message: "Only an accepted delivery can be admitted.") }
            if services.config.approvalForWarnings && scan.hasWarnings {
                scan.setPending(.init(requestedBy: user.name, reason: reason))
                services.audit("approval-requested", user: user.name, input: scan.path, verdict: "pending", report: scan.report)
                return Web.redirect("/scan/\(scan.id)")
            }
            if let problem = await services.admit(scan, by: user.name, reason: reason, approvedBy: nil) {
                throw PageError(status: .conflict, message: problem)
            }
            return Web.redirect("/scan/\(scan.id)/receipt")
        }
        router.post("/scan/{id}/approve") { request, context in
            let user = try await posted(request)
            let scan = try lookup(context)
            guard user.role.canApprove else { throw PageError(status: .forbidden, message: "Your role does not approve.") }
            guard let pending = scan.pending else { throw PageError(status: .conflict, message: "Nothing is waiting for approval here.") }
            guard pending.requestedBy != user.name else {
                services.audit("approve-refused", user: user.name, input: scan.path, verdict: "refused", report: scan.report)
                throw PageError(status: .forbidden, message: "A second person must approve: not the one who asked.")
            }
            services.audit("approve", user: user.name, input: scan.path, verdict: "approved", report: scan.report)
            if let problem = await services.admit(scan, by: pending.requestedBy, reason: pending.reason, approvedBy: user.name) {
                throw PageError(status: .conflict, message: problem)
            }
            return Web.redirect("/scan/\(scan.id)/receipt")
        }
        router.get("/scan/{id}/receipt") { request, context in
            let (user, scan) = try scanFor(request, context)
            guard let text = receiptText(scan) else { throw PageError(status: .notFound, message: "No receipt: this delivery was not admitted.") }
            return Web.html(HTML.receipt(user, scan: scan, text: text))
        }
        router.get("/scan/{id}/receipt.json") { request, context in
            let (_, scan) = try scanFor(request, context)
            guard let text = receiptText(scan) else { throw PageError(status: .notFound, message: "No receipt: this delivery was not admitted.") }
            var response = Web.text(text, type: "application/json")
            response.headers[.contentDisposition] = "attachment; filename=\"receipt-\(scan.id.prefix(12)).dsse.json\""
            return response
        }
        for format in ReportFormat.allCases {
            router.get("/scan/{id}/report.\(format.rawValue)") { request, context in
                let (_, scan) = try scanFor(request, context)
                guard let report = scan.admission?.report ?? scan.report else { throw PageError(status: .notFound, message: "No report yet.") }
                return try format.response(report)
            }
        }
        router.get("/approvals") { request, _ in
            guard let user = session(request) else { return Web.redirect("/signin") }
            guard user.role.canApprove else { throw PageError(status: .forbidden, message: "Your role does not approve.") }
            return Web.html(HTML.approvals(user, scans: services.queue.all))
        }
        router.get("/history") { request, _ in
            guard let user = session(request) else { return Web.redirect("/signin") }
            let q = Web.query(request)
            let query: HistoryQuery
            do { query = try HistoryQuery { q[$0] } } catch let e as HistoryQueryError { throw PageError(status: .badRequest, message: e.message) }
            let history = try await onThread { services.history(query) }
            return Web.html(HTML.history(user, history: history, query: query))
        }
        router.get("/history/decision/{uid}") { request, context in
            guard let user = session(request) else { return Web.redirect("/signin") }
            let (detail, scan) = try await pastDecision(context)
            return Web.html(HTML.pastDecision(user, detail: detail, scan: scan))
        }
        router.get("/history/decision/{uid}/json") { request, context in
            guard session(request) != nil else { throw PageError(status: .unauthorized, message: "Sign in first.") }
            let (detail, _) = try await pastDecision(context)
            return Web.json(try History.json(detail))
        }
        router.get("/history/log") { request, _ in
            guard let user = session(request) else { return Web.redirect("/signin") }
            let q = Web.query(request)
            let filter = HTML.AuditFilter(text: String(q["q"]?.prefix(200) ?? ""), verdict: String(q["verdict"]?.prefix(32) ?? ""),
                                          command: String(q["command"]?.prefix(32) ?? ""), user: String(q["user"]?.prefix(64) ?? ""))
            let audit = try await onThread { services.auditState() }
            return Web.html(HTML.auditLog(user, audit: audit, filter: filter, scans: services.queue.all))
        }
        router.get("/admin") { request, _ in
            guard let user = session(request) else { return Web.redirect("/signin") }
            guard user.role == .admin else { throw PageError(status: .forbidden, message: "Only an admin sees the station settings.") }
            let config = services.config
            let files = try await onThread { HTML.StationFiles.read(config) }
            return Web.html(HTML.admin(user, config: config, files: files))
        }
    }

    private func pastDecision(_ context: BasicRequestContext) async throws -> (DeliveryDetail, Scan?) {
        let uid = context.parameters.get("uid") ?? ""
        let detail: DeliveryDetail?
        do { detail = try await onThread { try services.pastDecision(uid) } } catch {
            FileHandle.standardError.write(Data("passbox serve: history: \(error)\n".utf8))
            throw PageError(status: .internalServerError, message: "The inventory could not be read.")
        }
        guard let detail else { throw PageError(status: .notFound, message: "No such decision in the inventory.") }
        return (detail, services.scan(forAuditSeq: detail.delivery.auditSeq))
    }

    // MARK: sign-in

    private func signInPage(_ request: Request, message: String?, status: HTTPResponse.Status = .ok) -> Response {
        let pre = Authenticator.token()
        var response = Web.html(HTML.signIn(csrf: pre, message: message), status: status)
        Web.setCookie(&response, Web.preCookie, pre, secure: secure)
        return response
    }

    private func signIn(_ request: Request) async throws -> Response {
        let form = try await Web.form(request)
        // Login CSRF: the form's token must be the one set with the form (double submit).
        guard let pre = Web.cookie(request, Web.preCookie), let sent = form["csrf"], Web.same(pre, sent) else {
            throw PageError(status: .forbidden, message: "The form expired. Sign in again.")
        }
        let name = String((form["name"] ?? "").prefix(64))
        let password = String((form["password"] ?? "").prefix(1024))
        // PBKDF2 is slow on purpose: on its own thread, not Swift's cooperative pool.
        let result = try await onThread { services.auth.signIn(name: name, password: password) }
        switch result {
        case .ok(let id, let principal):
            services.audit("signin", user: principal.name, verdict: "ok")
            var response = Web.redirect("/")
            Web.setCookie(&response, Web.sessionCookie, id, secure: secure)
            Web.setCookie(&response, Web.preCookie, "", secure: secure, maxAge: 0)
            return response
        case .wrong:
            services.audit("signin-failed", user: KioskConfig.validName(name) ? name : "(invalid name)", verdict: "failed")
            return signInPage(request, message: "Wrong name or password.", status: .unauthorized)
        case .locked:
            services.audit("signin-locked", user: KioskConfig.validName(name) ? name : "(invalid name)", verdict: "locked")
            return signInPage(request, message: "Too many failed attempts: this account is locked for a while.", status: .tooManyRequests)
        }
    }

    // MARK: who is asking

    func session(_ request: Request) -> Principal? {
        services.auth.session(Web.cookie(request, Web.sessionCookie))
    }

    /// A POST from a signed-in person with the session's CSRF token.
    private func postedForm(_ request: Request) async throws -> (Principal, [String: String]) {
        guard let user = session(request) else { throw PageError(status: .unauthorized, message: "Sign in first.") }
        let form = try await Web.form(request)
        guard let sent = form["csrf"], let expected = user.csrf, Web.same(sent, expected) else {
            throw PageError(status: .forbidden, message: "The form expired. Go back and try again.")
        }
        return (user, form)
    }

    private func posted(_ request: Request) async throws -> Principal {
        try await postedForm(request).0
    }

    private func lookup(_ context: BasicRequestContext) throws -> Scan {
        guard let id = context.parameters.get("id"), let scan = services.queue.scan(id) else {
            throw PageError(status: .notFound, message: "No such scan.")
        }
        return scan
    }

    private func scanFor(_ request: Request, _ context: BasicRequestContext) throws -> (Principal, Scan) {
        guard let user = session(request) else { throw PageError(status: .unauthorized, message: "Sign in first.") }
        return (user, try lookup(context))
    }

    func receiptText(_ scan: Scan) -> String? {
        guard let path = scan.admission?.receipt, let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 16 << 20)).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// The report formats served (the CLI's json, sarif and html).
enum ReportFormat: String, CaseIterable, Sendable {
    case json, sarif, html

    func response(_ report: Report) throws -> Response {
        switch self {
        case .json: return Web.json(try KioskServices.json(report))
        case .sarif: return Web.json(try ReportFormats.sarif([report]), type: "application/sarif+json")
        case .html: return Web.html(ReportFormats.html([report]))
        }
    }
}
