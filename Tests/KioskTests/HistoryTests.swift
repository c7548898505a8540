import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Kiosk

/// History: past decisions from the inventory (filters, also after a restart), the
/// audit log's verification state and events, and `GET /api/v1/history`.
@Suite struct HistoryTests {
    static func bearer(_ role: String) -> HTTPFields { APITests.bearer(role) }

    /// Scans the demo delivery and its tampered copy as alice; admits the demo.
    static func scanBoth(_ station: TestStation, _ services: KioskServices, _ client: some TestClientProtocol) async throws {
        var alice = Browser()
        try await alice.signIn(client, "alice")
        let csrf = try await alice.csrf(client)
        for name in ["delivery", "tampered"] {
            let started = try await alice.post(client, "/scan", form: ["csrf": csrf, "path": station.drop + "/" + name])
            let id = try #require(scanID(fromLocation: started.headers[.location]))
            let scan = try await waitDone(services, id)
            if name == "delivery" {
                let admitted = try await alice.post(client, "/scan/\(id)/admit", form: ["csrf": csrf, "reason": "work order 7"])
                #expect(admitted.headers[.location] == "/scan/\(id)/receipt")
                #expect(scan.admission?.folder != nil)
            }
        }
    }

    @Test func historyPageReadsTheInventoryAndShowsTheAuditLogsState() async throws {
        let station = try TestStation()
        let services = try station.services()
        try await app(services).test(.router) { client in
            try await Self.scanBoth(station, services, client)
            var carol = Browser()
            try await carol.signIn(client, "carol")
            let all = String(buffer: try await carol.get(client, "/history").body)
            #expect(all.contains("Audit log intact"))
            #expect(all.contains("id=\"deliveries\""))
            // verify (accepted), admit (accepted), verify (rejected), newest first.
            #expect(all.components(separatedBy: "<td class=\"accepted\">").count - 1 == 2)
            #expect(all.components(separatedBy: "<td class=\"rejected\">").count - 1 == 1)
            #expect(all.contains("Acme Etch Systems etcher-ctrl 2.4.1"))
            #expect(all.contains("<td>alice</td>"))
            #expect(all.contains("/report.sarif\">SARIF</a>"), "reports of scans still in memory are linked")
            let rejected = String(buffer: try await carol.get(client, "/history?verdict=rejected").body)
            #expect(rejected.contains("<td class=\"rejected\">") && !rejected.contains("<td class=\"accepted\">"))
            let admits = String(buffer: try await carol.get(client, "/history?command=admit").body)
            #expect(admits.components(separatedBy: "<td>admit</td>").count - 1 == 1 && !admits.contains("<td>verify</td>"))
            let other = String(buffer: try await carol.get(client, "/history?operator=bob").body)
            #expect(other.contains("Nothing recorded matches."))
            let future = String(buffer: try await carol.get(client, "/history?since=2999-01-01").body)
            #expect(future.contains("Nothing recorded matches."))
            let vendor = String(buffer: try await carol.get(client, "/history?vendor=Acme+Etch+Systems&product=etcher-ctrl&command=verify").body)
            #expect(vendor.components(separatedBy: "<td>verify</td>").count - 1 == 2)
            #expect(try await carol.get(client, "/history?since=yesterday").status == .badRequest)
            #expect(try await carol.get(client, "/history?verdict=maybe").status == .badRequest)
            // The audit log's own events: sign-ins, filterable by event and user.
            let byUser = String(buffer: try await carol.get(client, "/history/log?command=signin&user=carol").body)
            #expect(byUser.contains("Audit log intact"))
            #expect(byUser.contains("<td>carol</td>") && !byUser.contains("<td>alice</td>"))
            let unknown = try await carol.get(client, "/scan/does-not-exist")
            #expect(unknown.status == .notFound)
        }
        // A record changed after the fact: history says the log is not intact.
        let log = station.state + "/audit.jsonl"
        let text = try String(contentsOfFile: log, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "\"verdict\":\"rejected\"", with: "\"verdict\":\"accepted\"").utf8)
            .write(to: URL(fileURLWithPath: log))
        // A restart (new services): the verifications in memory are gone, the inventory is not.
        let restarted = try station.services()
        try await app(restarted).test(.router) { client in
            var carol = Browser()
            try await carol.signIn(client, "carol")
            let page = String(buffer: try await carol.get(client, "/history").body)
            #expect(page.contains("Audit log NOT intact"))
            #expect(page.components(separatedBy: "<td class=\"rejected\">").count - 1 == 1)
            #expect(!page.contains("/report.sarif"), "no report links once the kiosk no longer keeps the verification")
            let api = APITests.object(try await client.execute(uri: "/api/v1/history", method: .get, headers: Self.bearer("auditor")))
            #expect((api["audit"] as? [String: Any])?["intact"] as? Bool == false)
            #expect((api["deliveries"] as? [Any])?.count == 3)
            // Everything recorded about the rejected decision, after the restart: page, JSON, API.
            let rejected = try #require((api["deliveries"] as? [[String: Any]])?.first { $0["verdict"] as? String == "rejected" })
            let uid = try #require(rejected["uid"] as? String)
            #expect(page.contains("href=\"/history/decision/\(uid)\""))
            let detail = String(buffer: try await carol.get(client, "/history/decision/\(uid)").body)
            #expect(detail.contains("REJECTED") && detail.contains("file.mismatch") && detail.contains("autorun.inf"))
            let json = APITests.object(try await carol.get(client, "/history/decision/\(uid)/json"))
            #expect((json["delivery"] as? [String: Any])?["uid"] as? String == uid)
            let viaAPI = APITests.object(try await client.execute(uri: "/api/v1/history/\(uid)", method: .get, headers: Self.bearer("auditor")))
            let codes = (viaAPI["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            #expect(codes.contains("file.mismatch") && codes.contains("file.unlisted") && codes.contains("file.missing"))
            #expect(try await carol.get(client, "/history/decision/no-such-uid").status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/history/no-such-uid", method: .get, headers: Self.bearer("auditor")).status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/history/\(uid)", method: .get, headers: [:]).status == .unauthorized)
            var nobody = Browser()
            #expect(try await nobody.get(client, "/history/decision/\(uid)").headers[.location] == "/signin")
            #expect(try await nobody.get(client, "/history/decision/\(uid)/json").status == .unauthorized)
        }
    }

    @Test func apiHistoryFiltersAndLinksTheReports() async throws {
        let station = try TestStation()
        let services = try station.services()
        try await app(services).test(.router) { client in
            for name in ["delivery", "tampered"] {
                let started = try await client.execute(uri: "/api/v1/verifications", method: .post, headers: Self.bearer("operator"),
                                                       body: ByteBuffer(string: #"{"path": "\#(station.drop)/\#(name)"}"#))
                _ = try await waitDone(services, try #require(APITests.object(started)["id"] as? String))
            }
            #expect(try await client.execute(uri: "/api/v1/history", method: .get, headers: [:]).status == .unauthorized)
            let all = APITests.object(try await client.execute(uri: "/api/v1/history", method: .get, headers: Self.bearer("auditor")))
            #expect(all["inventory"] as? String == "on")
            #expect((all["audit"] as? [String: Any])?["intact"] as? Bool == true)
            let deliveries = try #require(all["deliveries"] as? [[String: Any]])
            #expect(deliveries.count == 2)
            #expect(deliveries.allSatisfy { $0["operator"] as? String == "token:operator-ci" && $0["command"] as? String == "verify" })
            let rejected = try #require(deliveries.first { $0["verdict"] as? String == "rejected" })
            #expect(rejected["vendor"] as? String == "Acme Etch Systems" && rejected["product"] as? String == "etcher-ctrl")
            #expect((rejected["files"] as? Int ?? 0) > 0)
            // Its report is still reachable through the verification it names.
            let id = try #require(rejected["verification"] as? String)
            let sarif = try await client.execute(uri: "/api/v1/verifications/\(id)/report?format=sarif", method: .get, headers: Self.bearer("auditor"))
            #expect(String(buffer: sarif.body).contains("file.mismatch"))
            let filtered = APITests.object(try await client.execute(uri: "/api/v1/history?verdict=accepted&operator=token:operator-ci&until=2999-01-01&limit=5",
                                                                    method: .get, headers: Self.bearer("auditor")))
            #expect((filtered["deliveries"] as? [[String: Any]])?.map { $0["verdict"] as? String } == ["accepted"])
            let nobody = APITests.object(try await client.execute(uri: "/api/v1/history?operator=token:operator", method: .get, headers: Self.bearer("auditor")))
            #expect((nobody["deliveries"] as? [Any])?.count == 0, "an operator name matches whole names only")
            for bad in ["limit=0", "limit=abc", "since=12/01/2026", "command=signin"] {
                let r = try await client.execute(uri: "/api/v1/history?\(bad)", method: .get, headers: Self.bearer("auditor"))
                #expect(r.status == .badRequest, "\(bad)")
            }
        }
    }

    @Test func inventoryOffShowsTheAuditLogOnly() async throws {
        let station = try TestStation(yamlExtra: "inventory: off\n")
        #expect(station.config.inventory == nil)
        let services = try station.services()
        try await app(services).test(.router) { client in
            var carol = Browser()
            try await carol.signIn(client, "carol")
            let page = String(buffer: try await carol.get(client, "/history").body)
            #expect(page.contains("id=\"inventory-off\"") && page.contains("Audit log intact"))
            let api = APITests.object(try await client.execute(uri: "/api/v1/history", method: .get, headers: Self.bearer("auditor")))
            #expect(api["inventory"] as? String == "off")
        }
        #expect(!FileManager.default.fileExists(atPath: station.state + "/inventory.sqlite"))
    }

    @Test func inventorySettingIsCheckedWhenTheConfigIsRead() throws {
        let station = try TestStation()
        #expect(station.config.inventory == station.state + "/inventory.sqlite")
        let custom = try TestStation(yamlExtra: "inventory: sqlite:db/kiosk.sqlite\n")
        #expect(custom.config.inventory == custom.root + "/db/kiosk.sqlite")
        #expect(throws: ConfigError.self) { try TestStation(yamlExtra: "inventory: postgres://u@db/x\n") }
    }
}
