import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Kiosk

/// The operator's pages end to end through the router: sign in, pick, verdict, admit, receipt.
@Suite struct OperatorFlowTests {
    @Test func demoDeliveryIsAcceptedAdmittedAndHasAReceipt() async throws {
        let station = try TestStation()
        let services = try station.services()
        try await app(services).test(.router) { client in
            var b = Browser()
            let signIn = try await b.signIn(client, "alice")
            #expect(signIn.status == .seeOther)
            let home = try await b.get(client, "/")
            let page = String(buffer: home.body)
            #expect(page.contains("delivery") && page.contains("tampered"))
            let csrf = Browser.csrf(in: page) ?? ""
            let started = try await b.post(client, "/scan", form: ["csrf": csrf, "path": station.drop + "/delivery"])
            #expect(started.status == .seeOther)
            let id = try #require(scanID(fromLocation: started.headers[.location]))
            _ = try await waitDone(services, id)
            let verdict = String(buffer: try await b.get(client, "/scan/\(id)").body)
            #expect(verdict.contains("ACCEPTED"))
            #expect(verdict.contains("etcher-ctrl"))
            let admitted = try await b.post(client, "/scan/\(id)/admit", form: ["csrf": csrf, "reason": "WO-4711"])
            #expect(admitted.status == .seeOther)
            #expect(admitted.headers[.location] == "/scan/\(id)/receipt")
            let receipt = try await b.get(client, "/scan/\(id)/receipt")
            #expect(receipt.status == .ok)
            #expect(String(buffer: receipt.body).contains("payloadType"))
            let download = try await b.get(client, "/scan/\(id)/receipt.json")
            #expect(download.headers[.contentDisposition]?.hasPrefix("attachment") == true)
            // Admitting twice is refused.
            let again = try await b.post(client, "/scan/\(id)/admit", form: ["csrf": csrf, "reason": "again"])
            #expect(again.status == .conflict)
            for format in ["html", "json", "sarif"] {
                let report = try await b.get(client, "/scan/\(id)/report.\(format)")
                #expect(report.status == .ok, "report.\(format)")
            }
        }
        let folders = try FileManager.default.contentsOfDirectory(atPath: station.production)
        #expect(folders.contains { $0.hasSuffix(".receipt.dsse.json") })
        let log = auditLines(station)
        #expect(log.contains { $0.contains("\"command\":\"signin\"") && $0.contains("\"user\":\"alice\"") })
        #expect(log.contains { $0.contains("\"command\":\"verify\"") && $0.contains("\"user\":\"alice\"") && $0.contains("\"verdict\":\"accepted\"") })
        #expect(log.contains { $0.contains("\"command\":\"admit\"") && $0.contains("\"user\":\"alice\"") && $0.contains("\"admitted\"") })
    }

    @Test func tamperedCopyIsRejectedWithItsThreeReasonsAndNothingCopied() async throws {
        let station = try TestStation()
        let services = try station.services()
        try await app(services).test(.router) { client in
            var b = Browser()
            try await b.signIn(client, "alice")
            let csrf = try await b.csrf(client)
            let started = try await b.post(client, "/scan", form: ["csrf": csrf, "path": station.drop + "/tampered"])
            let id = try #require(scanID(fromLocation: started.headers[.location]))
            _ = try await waitDone(services, id)
            let verdict = String(buffer: try await b.get(client, "/scan/\(id)").body)
            #expect(verdict.contains("REJECTED"))
            for code in ["file.unlisted", "file.mismatch", "file.missing"] { #expect(verdict.contains(code), "\(code)") }
            #expect(!verdict.contains("action=\"/scan/\(id)/admit\""))
            let admit = try await b.post(client, "/scan/\(id)/admit", form: ["csrf": csrf, "reason": "try anyway"])
            #expect(admit.status == .conflict)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: station.production).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: station.quarantine).contains { $0.hasSuffix(".report.json") })
    }

    @Test func hostileNameFromADeliveryIsEscaped() async throws {
        let station = try TestStation(tampered: false)
        let hostile = "<img src=x onerror=alert(1)>"
        try FileManager.default.createDirectory(atPath: station.drop + "/" + hostile, withIntermediateDirectories: false)
        try Data("x".utf8).write(to: URL(fileURLWithPath: station.drop + "/" + hostile + "/<script>alert(2)<\\script>.txt"))
        let services = try station.services()
        try await app(services).test(.router) { client in
            var b = Browser()
            try await b.signIn(client, "alice")
            let home = String(buffer: try await b.get(client, "/").body)
            #expect(home.contains("&lt;img src=x onerror=alert(1)&gt;"))
            #expect(!home.contains(hostile))
            let csrf = Browser.csrf(in: home) ?? ""
            let started = try await b.post(client, "/scan", form: ["csrf": csrf, "path": station.drop + "/" + hostile])
            let id = try #require(scanID(fromLocation: started.headers[.location]))
            _ = try await waitDone(services, id)
            let verdict = String(buffer: try await b.get(client, "/scan/\(id)").body)
            #expect(verdict.contains("REJECTED"))
            #expect(verdict.contains("&lt;script&gt;alert(2)"))
            #expect(!verdict.contains("<script>alert(2)"))
        }
    }

    @Test func pathsOutsideTheRootsAndSymlinksOutAreRefused() async throws {
        let station = try TestStation(tampered: false)
        try FileManager.default.createSymbolicLink(atPath: station.drop + "/escape", withDestinationPath: "/etc")
        let services = try station.services()
        try await app(services).test(.router) { client in
            var b = Browser()
            try await b.signIn(client, "alice")
            let csrf = try await b.csrf(client)
            for path in ["/etc", station.drop + "/escape", station.drop + "/../state", station.state] {
                let r = try await b.post(client, "/scan", form: ["csrf": csrf, "path": path])
                #expect(r.status == .badRequest, "\(path)")
                #expect(!String(buffer: r.body).contains(path), "error page names no path")
            }
        }
    }

    @Test func progressStreamsAsServerSentEvents() async throws {
        let station = try TestStation(tampered: false)
        let services = try station.services()
        try await app(services).test(.router) { client in
            var b = Browser()
            try await b.signIn(client, "alice")
            let csrf = try await b.csrf(client)
            let started = try await b.post(client, "/scan", form: ["csrf": csrf, "path": station.drop + "/delivery"])
            let id = try #require(scanID(fromLocation: started.headers[.location]))
            let events = try await b.get(client, "/scan/\(id)/events")
            #expect(events.headers[.contentType] == "text/event-stream")
            let text = String(buffer: events.body)
            #expect(text.contains("event: done"))
            #expect(text.contains("\"verdict\":\"accepted\""))
        }
    }

    @Test func staticAssetsAndPagesCarryTheSecurityHeaders() async throws {
        let station = try TestStation(tampered: false)
        try await app(try station.services()).test(.router) { client in
            var b = Browser()
            let signin = try await b.get(client, "/signin")
            let csp = signin.headers[.contentSecurityPolicy] ?? ""
            #expect(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"))
            #expect(signin.headers[.xContentTypeOptions] == "nosniff")
            let cookie = signin.headers[values: .setCookie].joined(separator: "\n")
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            #expect(!String(buffer: signin.body).contains("<script>"))
            let js = try await b.get(client, "/static/kiosk.js")
            #expect(js.status == .ok && String(buffer: js.body).contains("EventSource"))
            #expect(try await b.get(client, "/static/kiosk.css").status == .ok)
            let missing = try await b.get(client, "/no/such/page")
            #expect(missing.status == .notFound)
            #expect(!String(buffer: missing.body).contains("Hummingbird"))
        }
    }
}

/// A scan that waits for a free slot: the progress page, then progress events, then done.
@Suite struct ProgressPageTests {
    @Test func queuedScanShowsProgressThenStreamsUntilDone() async throws {
        let station = try TestStation(yamlExtra: "limits: {concurrentVerifications: 1, queue: 1}\n", tampered: false)
        let services = try station.services()
        let gate = DispatchSemaphore(value: 0)
        try services.queue.submit(Scan(id: "blocker", path: "/", label: "blocker", startedBy: "test", spool: nil)) { gate.wait() }
        try await app(services).test(.router) { client in
            var b = Browser()
            try await b.signIn(client, "alice")
            let csrf = try await b.csrf(client)
            let started = try await b.post(client, "/scan", form: ["csrf": csrf, "path": station.drop + "/delivery"])
            let id = try #require(scanID(fromLocation: started.headers[.location]))
            let page = String(buffer: try await b.get(client, "/scan/\(id)").body)
            #expect(page.contains("Waiting for a free slot"))
            #expect(page.contains("src=\"/static/kiosk.js\"") && page.contains("data-events=\"/scan/\(id)/events\""))
            #expect(page.contains("http-equiv=\"refresh\""), "works without script too")
            // A second one does not fit: the queue holds one.
            let busy = try await b.post(client, "/scan", form: ["csrf": csrf, "path": station.drop + "/delivery"])
            #expect(busy.status == .tooManyRequests && busy.headers[.retryAfter] != nil)
            Task {
                try await Task.sleep(nanoseconds: 600_000_000)
                gate.signal()
            }
            let events = String(buffer: try await b.get(client, "/scan/\(id)/events").body)
            #expect(events.contains("event: progress"))
            #expect(events.contains("event: done") && events.contains("\"verdict\":\"accepted\""))
        }
    }
}
