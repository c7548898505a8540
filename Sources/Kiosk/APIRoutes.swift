import Foundation
import Hummingbird
import InventoryStore
import PassboxKit
import Station

/// `/api/v1/`: for update pipelines. Bearer tokens (stored hashed, each with a role);
/// JSON in and out; the OpenAPI document at /api/v1/openapi.json lists every route.
struct APIRoutes: Sendable {
    let services: KioskServices

    /// Every route, as the OpenAPI document names it (a test compares the two).
    static let routes: [(method: String, path: String)] = [
        ("get", "/api/v1/openapi.json"),
        ("get", "/api/v1/status"),
        ("post", "/api/v1/verifications"),
        ("post", "/api/v1/uploads"),
        ("get", "/api/v1/verifications"),
        ("get", "/api/v1/verifications/{id}"),
        ("get", "/api/v1/verifications/{id}/events"),
        ("get", "/api/v1/verifications/{id}/report"),
        ("post", "/api/v1/verifications/{id}/admit"),
        ("post", "/api/v1/verifications/{id}/approve"),
        ("get", "/api/v1/verifications/{id}/receipt"),
        ("get", "/api/v1/history"),
        ("get", "/api/v1/history/{uid}"),
    ]

    func register(_ router: Router<BasicRequestContext>) {
        router.get("/api/v1/openapi.json") { _, _ in Web.json(Data(OpenAPI.document.utf8)) }
        router.get("/api/v1/status") { request, _ in
            _ = try principal(request)
            let load = services.queue.load
            return Web.json(["running": load.running, "waiting": load.waiting,
                             "concurrent": services.config.limits.concurrentVerifications, "queue": services.config.limits.queue,
                             "version": passboxVersion])
        }
        router.post("/api/v1/verifications") { request, _ in
            let caller = try principal(request, scan: true)
            var request = request
            let body = try await request.collectBody(upTo: 16 << 10)
            guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                  let path = object["path"] as? String, path.utf8.count <= 4096 else {
                throw APIError(.badRequest, "expected {\"path\": \"...\"}")
            }
            guard let real = services.finder.allowed(path) else {
                throw APIError(.forbidden, "the path is not under an allowed root")
            }
            return try start(path: real, label: URL(fileURLWithPath: real).lastPathComponent, by: caller, spool: nil)
        }
        router.post("/api/v1/uploads") { request, _ in
            let caller = try principal(request, scan: true)
            let name = safeFolderName(String((request.uri.queryParameters.get("name") ?? "upload").prefix(200)))
            let spool = services.spoolDirectory + "/" + Authenticator.token()
            try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: false)
            let file = spool + "/" + (name.isEmpty || name.hasPrefix(".") ? "upload" : name)
            do {
                try await receive(request, into: file, limit: services.config.limits.uploadBytes)
                return try start(path: file, label: name, by: caller, spool: spool)
            } catch {
                try? FileManager.default.removeItem(atPath: spool)
                throw error
            }
        }
        router.get("/api/v1/verifications") { request, _ in
            _ = try principal(request)
            let items = services.queue.all.prefix(100).map { summary($0) }
            return Web.json(["verifications": Array(items)])
        }
        router.get("/api/v1/verifications/{id}") { request, context in
            _ = try principal(request)
            return Web.json(summary(try lookup(context)))
        }
        router.get("/api/v1/verifications/{id}/events") { request, context in
            _ = try principal(request)
            return Events.stream(try lookup(context))
        }
        router.get("/api/v1/verifications/{id}/report") { request, context in
            _ = try principal(request)
            let scan = try lookup(context)
            let name = request.uri.queryParameters.get("format") ?? "json"
            guard let format = ReportFormat(rawValue: name) else { throw APIError(.badRequest, "format is json, sarif or html") }
            guard let report = scan.admission?.report ?? scan.report else { throw APIError(.conflict, "no report yet: the verification is \(scan.state.rawValue)") }
            return try format.response(report)
        }
        router.post("/api/v1/verifications/{id}/admit") { request, context in
            let caller = try principal(request, scan: true)
            let scan = try lookup(context)
            var request = request
            let body = try await request.collectBody(upTo: 16 << 10)
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any]
            guard let reason = (object?["reason"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty,
                  reason.count <= 500 else { throw APIError(.badRequest, "expected {\"reason\": \"...\"} (1-500 characters)") }
            guard scan.report?.verdict == .accepted else { throw APIError(.conflict, "only an accepted delivery can be admitted") }
            if services.config.approvalForWarnings && scan.hasWarnings {
                scan.setPending(.init(requestedBy: caller.name, reason: reason))
                services.audit("approval-requested", user: caller.name, input: scan.path, verdict: "pending", report: scan.report)
                return Web.json(summary(scan), status: .accepted)
            }
            if let problem = await services.admit(scan, by: caller.name, reason: reason, approvedBy: nil) { throw APIError(.conflict, problem) }
            return Web.json(summary(scan))
        }
        router.post("/api/v1/verifications/{id}/approve") { request, context in
            let caller = try principal(request)
            guard caller.role.canApprove else { throw APIError(.forbidden, "this token's role does not approve") }
            let scan = try lookup(context)
            guard let pending = scan.pending else { throw APIError(.conflict, "nothing is waiting for approval") }
            guard pending.requestedBy != caller.name else {
                services.audit("approve-refused", user: caller.name, input: scan.path, verdict: "refused", report: scan.report)
                throw APIError(.forbidden, "a second person must approve")
            }
            services.audit("approve", user: caller.name, input: scan.path, verdict: "approved", report: scan.report)
            if let problem = await services.admit(scan, by: pending.requestedBy, reason: pending.reason, approvedBy: caller.name) {
                throw APIError(.conflict, problem)
            }
            return Web.json(summary(scan))
        }
        router.get("/api/v1/verifications/{id}/receipt") { request, context in
            _ = try principal(request)
            let scan = try lookup(context)
            guard let text = WebRoutes(services: services).receiptText(scan) else { throw APIError(.notFound, "not admitted: no receipt") }
            return Web.text(text, type: "application/json")
        }
        router.get("/api/v1/history") { request, _ in try await history(request) }
        router.get("/api/v1/history/{uid}") { request, context in
            _ = try principal(request)
            let uid = context.parameters.get("uid") ?? ""
            let detail: DeliveryDetail?
            do { detail = try await onThread { try services.pastDecision(uid) } } catch {
                FileHandle.standardError.write(Data("passbox serve: history: \(error)\n".utf8))
                throw APIError(.internalServerError, "the inventory could not be read")
            }
            guard let detail else { throw APIError(.notFound, "no such decision in the inventory") }
            return Web.json(try History.json(detail))
        }
    }

    private func history(_ request: Request) async throws -> Response {
        _ = try principal(request) // every role reads history (auditors too)
        let q = Web.query(request)
        let query: HistoryQuery
        do { query = try HistoryQuery { q[$0] } } catch let e as HistoryQueryError { throw APIError(.badRequest, e.message) }
        let history = try await onThread { services.history(query) }
        return Web.json(history.json())
    }

    private func start(path: String, label: String, by caller: Principal, spool: String?) throws -> Response {
        do {
            let scan = try services.startScan(path: path, label: label, by: caller.name, spool: spool)
            var response = Web.json(summary(scan), status: .accepted)
            response.headers[.location] = "/api/v1/verifications/\(scan.id)"
            return response
        } catch let busy as Busy {
            if let spool { try? FileManager.default.removeItem(atPath: spool) }
            throw APIError(.tooManyRequests, "the verification queue is full", retryAfter: busy.retryAfter)
        }
    }

    /// Streams the body into `file`, counting the bytes actually received.
    private func receive(_ request: Request, into file: String, limit: Int64) async throws {
        guard FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: file) else { throw APIError(.internalServerError, "cannot spool the upload") }
        defer { try? handle.close() }
        var received: Int64 = 0
        for try await buffer in request.body {
            received += Int64(buffer.readableBytes)
            guard received <= limit else { throw APIError(.contentTooLarge, "the upload is larger than \(limit) bytes") }
            try handle.write(contentsOf: Data(buffer: buffer))
        }
        guard received > 0 else { throw APIError(.badRequest, "empty upload") }
    }

    private func principal(_ request: Request, scan: Bool = false) throws -> Principal {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              let caller = services.auth.token(String(header.dropFirst(7).prefix(512))) else {
            throw APIError(.unauthorized, "a valid bearer token is required")
        }
        if scan && !caller.role.canScan { throw APIError(.forbidden, "this token's role (\(caller.role.rawValue)) does not scan or admit") }
        return caller
    }

    private func lookup(_ context: BasicRequestContext) throws -> Scan {
        guard let id = context.parameters.get("id"), let scan = services.queue.scan(id) else { throw APIError(.notFound, "no such verification") }
        return scan
    }

    func summary(_ scan: Scan) -> [String: Any] {
        var out: [String: Any] = ["id": scan.id, "state": scan.state.rawValue, "source": scan.label, "startedBy": scan.startedBy,
                                  "progress": Events.snapshotJSON(scan)]
        if let report = scan.report {
            out["verdict"] = report.verdict.rawValue
            out["findings"] = Array(Set(report.findings.map { $0.code.rawValue })).sorted()
        }
        if let error = scan.error { out["error"] = error }
        if let pending = scan.pending { out["pendingApproval"] = ["requestedBy": pending.requestedBy] }
        if let a = scan.admission {
            var admission: [String: Any] = ["admitted": a.folder != nil, "by": a.by, "files": a.files]
            if let folder = a.folder { admission["folder"] = folder }
            if let approvedBy = a.approvedBy { admission["approvedBy"] = approvedBy }
            out["admission"] = admission
        }
        return out
    }
}

/// An API failure: status, a short message, nothing internal.
struct APIError: Error {
    let status: HTTPResponse.Status
    let message: String
    var retryAfter: Int?
    init(_ status: HTTPResponse.Status, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }
}
