import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Kiosk

/// History from the audit log: filters, the log's verification state, unknown scans.
@Suite struct HistoryTests {
    @Test func historyFiltersAndShowsTheAuditLogsState() async throws {
        let station = try TestStation()
        let services = try station.services()
        try await app(services).test(.router) { client in
            var alice = Browser()
            try await alice.signIn(client, "alice")
            let csrf = try await alice.csrf(client)
            for name in ["delivery", "tampered"] {
                let started = try await alice.post(client, "/scan", form: ["csrf": csrf, "path": station.drop + "/" + name])
                _ = try await waitDone(services, try #require(scanID(fromLocation: started.headers[.location])))
            }
            var carol = Browser()
            try await carol.signIn(client, "carol")
            let all = String(buffer: try await carol.get(client, "/history").body)
            #expect(all.contains("Audit log intact"))
            #expect(all.contains("signin") && all.contains("accepted") && all.contains("rejected"))
            let rejected = String(buffer: try await carol.get(client, "/history?verdict=rejected").body)
            #expect(rejected.contains("file.mismatch"))
            #expect(!rejected.contains("<td class=\"accepted\">"))
            let byUser = String(buffer: try await carol.get(client, "/history?command=signin&user=carol").body)
            #expect(byUser.contains("<td>carol</td>") && !byUser.contains("<td>alice</td>"))
            let unknown = try await carol.get(client, "/scan/does-not-exist")
            #expect(unknown.status == .notFound)
        }
        // A record changed after the fact: history says the log is not intact.
        let log = station.state + "/audit.jsonl"
        let text = try String(contentsOfFile: log, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "\"verdict\":\"rejected\"", with: "\"verdict\":\"accepted\"").utf8)
            .write(to: URL(fileURLWithPath: log))
        try await app(services).test(.router) { client in
            var carol = Browser()
            try await carol.signIn(client, "carol")
            let page = String(buffer: try await carol.get(client, "/history").body)
            #expect(page.contains("Audit log NOT intact"))
        }
    }
}
