import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Kiosk

/// With `approval: {warnings: true}`, an accepted delivery with warnings is admitted
/// only once a second person (approver or admin, never the one who asked) approves.
@Suite struct ApprovalTests {
    static func station() throws -> TestStation {
        let policy = NSTemporaryDirectory() + "kiosk-policy-" + UUID().uuidString + "-warn.yaml"
        try Data("version: 1\nmanifest:\n  unlisted: warn\n".utf8).write(to: URL(fileURLWithPath: policy))
        let station = try TestStation(yamlExtra: "approval: {warnings: true}\npolicy: \(policy)\n", tampered: false)
        try Data("field engineer's notes\n".utf8).write(to: URL(fileURLWithPath: station.drop + "/delivery/notes.txt"))
        return station
    }

    @Test func warningsNeedASecondPersonsApproval() async throws {
        let station = try Self.station()
        let services = try station.services()
        try await app(services).test(.router) { client in
            var alice = Browser()
            try await alice.signIn(client, "alice")
            let csrf = try await alice.csrf(client)
            let started = try await alice.post(client, "/scan", form: ["csrf": csrf, "path": station.drop + "/delivery"])
            let id = try #require(scanID(fromLocation: started.headers[.location]))
            let scan = try await waitDone(services, id)
            #expect(scan.report?.verdict == .accepted)
            #expect(scan.hasWarnings)
            let page = String(buffer: try await alice.get(client, "/scan/\(id)").body)
            #expect(page.contains("Ask for approval to admit"))
            let asked = try await alice.post(client, "/scan/\(id)/admit", form: ["csrf": csrf, "reason": "WO-1"])
            #expect(asked.headers[.location] == "/scan/\(id)")
            #expect(scan.pending?.requestedBy == "alice")
            #expect(try FileManager.default.contentsOfDirectory(atPath: station.production).isEmpty, "nothing admitted before approval")
            // The operator cannot approve.
            let denied = try await alice.post(client, "/scan/\(id)/approve", form: ["csrf": csrf])
            #expect(denied.status == .forbidden)
            // The approver sees it waiting and approves.
            var bob = Browser()
            try await bob.signIn(client, "bob")
            let list = String(buffer: try await bob.get(client, "/approvals").body)
            #expect(list.contains("/scan/\(id)"))
            let bobCSRF = try await bob.csrf(client)
            let approved = try await bob.post(client, "/scan/\(id)/approve", form: ["csrf": bobCSRF])
            #expect(approved.headers[.location] == "/scan/\(id)/receipt")
            #expect(scan.admission?.approvedBy == "bob")
            // History: the admission under both names (recorded as alice+bob).
            for name in ["alice", "bob"] {
                let page = String(buffer: try await bob.get(client, "/history?command=admit&operator=\(name)").body)
                #expect(page.contains("<td>alice+bob</td>"), "operator filter \(name)")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: station.production).contains { $0.hasSuffix(".receipt.dsse.json") })
        let log = auditLines(station)
        #expect(log.contains { $0.contains("\"command\":\"approval-requested\"") && $0.contains("\"user\":\"alice\"") })
        #expect(log.contains { $0.contains("\"command\":\"approve\"") && $0.contains("\"user\":\"bob\"") })
        #expect(log.contains { $0.contains("\"command\":\"admit\"") && $0.contains("\"user\":\"alice+bob\"") })
    }

    @Test func whoAskedCannotApprove() async throws {
        let station = try Self.station()
        let services = try station.services()
        try await app(services).test(.router) { client in
            var dave = Browser() // admin: may scan and approve, but not his own request
            try await dave.signIn(client, "dave")
            let csrf = try await dave.csrf(client)
            let started = try await dave.post(client, "/scan", form: ["csrf": csrf, "path": station.drop + "/delivery"])
            let id = try #require(scanID(fromLocation: started.headers[.location]))
            _ = try await waitDone(services, id)
            _ = try await dave.post(client, "/scan/\(id)/admit", form: ["csrf": csrf, "reason": "WO-2"])
            let page = String(buffer: try await dave.get(client, "/scan/\(id)").body)
            #expect(page.contains("Waiting for a second person"))
            #expect(!page.contains("id=\"approve\""))
            let own = try await dave.post(client, "/scan/\(id)/approve", form: ["csrf": csrf])
            #expect(own.status == .forbidden)
            // A different principal (the approver token) may approve it.
            let r = try await client.execute(uri: "/api/v1/verifications/\(id)/approve", method: .post, headers: APITests.bearer("approver"))
            #expect(r.status == .ok, "a different principal approves")
        }
        #expect(auditLines(station).contains { $0.contains("\"command\":\"approve-refused\"") && $0.contains("\"user\":\"dave\"") })
    }

    @Test func aTokenCannotApproveItsOwnRequestAndTheRefusalIsRecorded() async throws {
        let station = try Self.station()
        let services = try station.services()
        try await app(services).test(.router) { client in
            let started = try await client.execute(uri: "/api/v1/verifications", method: .post, headers: APITests.bearer("approver"),
                                                   body: ByteBuffer(string: #"{"path": "\#(station.drop)/delivery"}"#))
            let id = try #require(APITests.object(started)["id"] as? String)
            _ = try await waitDone(services, id)
            let asked = try await client.execute(uri: "/api/v1/verifications/\(id)/admit", method: .post, headers: APITests.bearer("approver"),
                                                 body: ByteBuffer(string: #"{"reason": "pipeline run 9"}"#))
            #expect(asked.status == .accepted)
            let own = try await client.execute(uri: "/api/v1/verifications/\(id)/approve", method: .post, headers: APITests.bearer("approver"))
            #expect(own.status == .forbidden)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: station.production).isEmpty)
        let log = auditLines(station)
        #expect(log.contains { $0.contains("\"command\":\"approval-requested\"") && $0.contains("\"user\":\"token:approver-ci\"") })
        #expect(log.contains { $0.contains("\"command\":\"approve-refused\"") && $0.contains("\"user\":\"token:approver-ci\"") })
    }
}
