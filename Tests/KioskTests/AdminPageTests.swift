import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Kiosk

/// *Station* (admin): the trust store's keys and the policy in force are shown, read
/// from their files; nothing there changes them.
@Suite struct AdminPageTests {
    @Test func adminSeesTheTrustStoresKeysAndThePolicy() async throws {
        let station = try ApprovalTests.station() // a policy file: manifest.unlisted: warn
        let services = try station.services()
        try await app(services).test(.router) { client in
            var dave = Browser()
            try await dave.signIn(client, "dave")
            let page = String(buffer: try await dave.get(client, "/admin").body)
            #expect(page.contains("id=\"trust-keys\""))
            #expect(page.contains("<td>demo-vendor</td>"))
            #expect(page.contains("1 key(s); each manifest needs 1 trusted signer(s)"))
            #expect(page.contains("unlisted: warn"), "the policy file's text")
            #expect(page.contains(station.state + "/inventory.sqlite"))
            #expect(!page.contains("<form method=\"post\" action=\"/admin"), "shown, not changed")
        }
        let builtIn = try TestStation(tampered: false)
        try await app(try builtIn.services()).test(.router) { client in
            var dave = Browser()
            try await dave.signIn(client, "dave")
            let page = String(buffer: try await dave.get(client, "/admin").body)
            #expect(page.contains("The built-in strict policy"))
        }
    }
}
