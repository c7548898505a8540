import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Kiosk

/// /api/v1/: tokens and their roles, path and upload verification, reports, admit,
/// the queue's 429, and the OpenAPI document against the routes.
@Suite struct APITests {
    static func bearer(_ role: String) -> HTTPFields {
        [.authorization: "Bearer \(TestStation.tokens[role] ?? "")", .contentType: "application/json"]
    }

    static func object(_ r: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: r.body))) as? [String: Any] ?? [:]
    }

    @Test func pathVerificationReportsAdmitAndReceipt() async throws {
        let station = try TestStation(tampered: false)
        let services = try station.services()
        try await app(services).test(.router) { client in
            let started = try await client.execute(uri: "/api/v1/verifications", method: .post, headers: Self.bearer("operator"),
                                                   body: ByteBuffer(string: #"{"path": "\#(station.drop)/delivery"}"#))
            #expect(started.status == .accepted)
            let id = try #require(Self.object(started)["id"] as? String)
            #expect(started.headers[.location] == "/api/v1/verifications/\(id)")
            _ = try await waitDone(services, id)
            let polled = Self.object(try await client.execute(uri: "/api/v1/verifications/\(id)", method: .get, headers: Self.bearer("auditor")))
            #expect(polled["verdict"] as? String == "accepted")
            let json = try await client.execute(uri: "/api/v1/verifications/\(id)/report?format=json", method: .get, headers: Self.bearer("auditor"))
            #expect(Self.object(json)["verdict"] as? String == "accepted")
            let sarif = try await client.execute(uri: "/api/v1/verifications/\(id)/report?format=sarif", method: .get, headers: Self.bearer("auditor"))
            #expect(Self.object(sarif)["version"] as? String == "2.1.0")
            let html = try await client.execute(uri: "/api/v1/verifications/\(id)/report?format=html", method: .get, headers: Self.bearer("auditor"))
            #expect(String(buffer: html.body).contains("<!doctype html") || String(buffer: html.body).contains("<!DOCTYPE html"))
            #expect(try await client.execute(uri: "/api/v1/verifications/\(id)/report?format=pdf", method: .get, headers: Self.bearer("auditor")).status == .badRequest)
            let events = try await client.execute(uri: "/api/v1/verifications/\(id)/events", method: .get, headers: Self.bearer("auditor"))
            #expect(String(buffer: events.body).contains("event: done"))
            // The auditor's token reads but does not admit.
            #expect(try await client.execute(uri: "/api/v1/verifications/\(id)/admit", method: .post, headers: Self.bearer("auditor"),
                                             body: ByteBuffer(string: #"{"reason": "x"}"#)).status == .forbidden)
            #expect(try await client.execute(uri: "/api/v1/verifications/\(id)/admit", method: .post, headers: Self.bearer("operator"),
                                             body: ByteBuffer(string: #"{}"#)).status == .badRequest)
            #expect(try await client.execute(uri: "/api/v1/verifications/\(id)/receipt", method: .get, headers: Self.bearer("auditor")).status == .notFound)
            let admitted = try await client.execute(uri: "/api/v1/verifications/\(id)/admit", method: .post, headers: Self.bearer("operator"),
                                                    body: ByteBuffer(string: #"{"reason": "pipeline run 42"}"#))
            #expect(admitted.status == .ok)
            let admission = Self.object(admitted)["admission"] as? [String: Any]
            #expect(admission?["admitted"] as? Bool == true)
            let receipt = try await client.execute(uri: "/api/v1/verifications/\(id)/receipt", method: .get, headers: Self.bearer("auditor"))
            #expect(receipt.status == .ok && String(buffer: receipt.body).contains("payloadType"))
            let list = Self.object(try await client.execute(uri: "/api/v1/verifications", method: .get, headers: Self.bearer("auditor")))
            #expect((list["verifications"] as? [Any])?.count == 1)
            #expect(try await client.execute(uri: "/api/v1/status", method: .get, headers: Self.bearer("auditor")).status == .ok)
        }
        #expect(auditLines(station).contains { $0.contains("\"command\":\"admit\"") && $0.contains("\"user\":\"token:operator-ci\"") })
    }

    @Test func tokensAreRequiredAndScoped() async throws {
        let station = try TestStation(tampered: false)
        try await app(try station.services()).test(.router) { client in
            let body = ByteBuffer(string: #"{"path": "\#(station.drop)/delivery"}"#)
            #expect(try await client.execute(uri: "/api/v1/verifications", method: .post, body: body).status == .unauthorized)
            #expect(try await client.execute(uri: "/api/v1/verifications", method: .post,
                                             headers: [.authorization: "Bearer not-a-token"], body: body).status == .unauthorized)
            #expect(try await client.execute(uri: "/api/v1/verifications", method: .post, headers: Self.bearer("auditor"), body: body).status == .forbidden)
            #expect(try await client.execute(uri: "/api/v1/uploads", method: .post, headers: Self.bearer("auditor"), body: body).status == .forbidden)
            #expect(try await client.execute(uri: "/api/v1/verifications/nope", method: .get, headers: Self.bearer("auditor")).status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/verifications/nope/approve", method: .post, headers: Self.bearer("operator")).status == .forbidden)
            #expect(try await client.execute(uri: "/api/v1/status", method: .get).status == .unauthorized)
            // A session cookie is not an API credential.
            #expect(try await client.execute(uri: "/api/v1/status", method: .get, headers: [.cookie: "\(Web.sessionCookie)=x"]).status == .unauthorized)
            let outside = try await client.execute(uri: "/api/v1/verifications", method: .post, headers: Self.bearer("operator"),
                                                   body: ByteBuffer(string: #"{"path": "/etc"}"#))
            #expect(outside.status == .forbidden)
            #expect(try await client.execute(uri: "/api/v1/verifications", method: .post, headers: Self.bearer("operator"),
                                             body: ByteBuffer(string: "not json")).status == .badRequest)
        }
    }

    @Test func uploadsAreVerifiedAndLimitedOnRealBytes() async throws {
        let station = try TestStation(yamlExtra: "limits: {uploadMiB: 1}\n", tampered: false)
        let services = try station.services()
        try await app(services).test(.router) { client in
            let firmware = try Data(contentsOf: URL(fileURLWithPath: station.drop + "/delivery/firmware/etcher-ctrl-2.4.1.bin"))
            var headers = Self.bearer("operator")
            headers[.contentType] = "application/octet-stream"
            let started = try await client.execute(uri: "/api/v1/uploads?name=etcher-ctrl-2.4.1.bin", method: .post, headers: headers,
                                                   body: ByteBuffer(bytes: firmware))
            #expect(started.status == .accepted)
            let id = try #require(Self.object(started)["id"] as? String)
            let scan = try await waitDone(services, id)
            #expect(scan.state == .done)
            #expect(scan.report != nil)
            let big = try await client.execute(uri: "/api/v1/uploads?name=big.bin", method: .post, headers: headers,
                                               body: ByteBuffer(bytes: [UInt8](repeating: 7, count: (1 << 20) + 1)))
            #expect(big.status == .contentTooLarge)
            #expect(try await client.execute(uri: "/api/v1/uploads", method: .post, headers: headers, body: ByteBuffer()).status == .badRequest)
        }
        // Nothing left in the spool but what waits for admission.
        let spool = (try? FileManager.default.contentsOfDirectory(atPath: station.state + "/kiosk-spool")) ?? []
        #expect(spool.count <= 1)
    }

    @Test func aFullQueueAnswers429WithRetryAfter() async throws {
        let station = try TestStation(yamlExtra: "limits: {concurrentVerifications: 1, queue: 0}\n", tampered: false)
        let services = try station.services()
        let gate = DispatchSemaphore(value: 0)
        let blocker = Scan(id: "blocker", path: "/", label: "blocker", startedBy: "test", spool: nil)
        try services.queue.submit(blocker) { gate.wait() }
        defer { gate.signal() }
        try await app(services).test(.router) { client in
            let r = try await client.execute(uri: "/api/v1/verifications", method: .post, headers: Self.bearer("operator"),
                                             body: ByteBuffer(string: #"{"path": "\#(station.drop)/delivery"}"#))
            #expect(r.status == .tooManyRequests)
            #expect(Int(r.headers[.retryAfter] ?? "") ?? 0 > 0)
            // The server keeps answering while a verification runs.
            #expect(try await client.execute(uri: "/api/v1/status", method: .get, headers: Self.bearer("auditor")).status == .ok)
        }
    }

    @Test func openAPIDocumentNamesExactlyTheRoutes() async throws {
        let station = try TestStation(tampered: false)
        try await app(try station.services()).test(.router) { client in
            let r = try await client.execute(uri: "/api/v1/openapi.json", method: .get)
            #expect(r.status == .ok)
            let doc = Self.object(r)
            #expect(doc["openapi"] as? String == "3.1.0")
            let paths = try #require(doc["paths"] as? [String: [String: Any]])
            var documented = Set<String>()
            for (path, item) in paths {
                for method in ["get", "post", "put", "delete", "patch"] where item[method] != nil { documented.insert("\(method) \(path)") }
            }
            let routed = Set(APIRoutes.routes.map { "\($0.method) \($0.path)" })
            #expect(documented == routed)
            // Every documented route is served: the router's 404 never answers (an unknown id is our own 404).
            for route in APIRoutes.routes {
                let uri = route.path.replacingOccurrences(of: "{id}", with: "x").replacingOccurrences(of: "{uid}", with: "x")
                let response = try await client.execute(uri: uri, method: route.method == "get" ? .get : .post, headers: Self.bearer("approver"))
                let body = String(buffer: response.body)
                #expect(response.status != .notFound || body.contains("no such verification") || body.contains("no such decision"), "\(route)")
            }
            #expect(try await client.execute(uri: "/api/v1/nothing", method: .get, headers: Self.bearer("approver")).status == .notFound)
        }
    }
}
