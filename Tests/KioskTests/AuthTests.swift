import CryptoIO
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Kiosk

/// Sign-in, lockout, roles, CSRF, session expiry, token scopes.
@Suite struct AuthTests {
    @Test func passwordHashesAreSaltedAndVerify() throws {
        let a = try PasswordHash.make("secret", iterations: PasswordHash.minimumIterations)
        let b = try PasswordHash.make("secret", iterations: PasswordHash.minimumIterations)
        #expect(a != b)
        #expect(PasswordHash.verify("secret", stored: a))
        #expect(!PasswordHash.verify("Secret", stored: a))
        #expect(!PasswordHash.verify("secret", stored: "pbkdf2-sha256$10$AAAA$AAAA"))
        #expect(!PasswordHash.isWellFormed("pbkdf2-sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="))
    }

    @Test func wrongPasswordThenLockoutAfterRepeatedFailures() async throws {
        let station = try TestStation(yamlExtra: "limits: {lockoutFailures: 3, lockoutMinutes: 5}\n", tampered: false)
        let services = try station.services()
        try await app(services).test(.router) { client in
            var b = Browser()
            do { let r = try await b.signIn(client, "alice", password: "wrong"); #expect(r.status == .unauthorized) }
            do { let r = try await b.signIn(client, "alice", password: "wrong"); #expect(r.status == .unauthorized) }
            do { let r = try await b.signIn(client, "alice", password: "wrong"); #expect(r.status == .tooManyRequests) }
            // Locked: even the right password is refused now.
            do { let r = try await b.signIn(client, "alice"); #expect(r.status == .tooManyRequests) }
            #expect(b.cookies[Web.sessionCookie] == nil)
            // Another account is not affected.
            do { let r = try await b.signIn(client, "bob"); #expect(r.status == .seeOther) }
        }
        let log = auditLines(station)
        #expect(log.filter { $0.contains("\"command\":\"signin-failed\"") && $0.contains("\"user\":\"alice\"") }.count == 2)
        #expect(log.contains { $0.contains("\"command\":\"signin-locked\"") })
        #expect(log.contains { $0.contains("\"command\":\"signin\"") && $0.contains("\"user\":\"bob\"") })
    }

    @Test func signInWithoutTheFormsTokenIsRefused() async throws {
        let station = try TestStation(tampered: false)
        try await app(try station.services()).test(.router) { client in
            var b = Browser()
            let r = try await b.post(client, "/signin", form: ["name": "alice", "password": TestStation.password])
            #expect(r.status == .forbidden)
        }
    }

    @Test func postsWithoutCSRFTokenAreRefused() async throws {
        let station = try TestStation(tampered: false)
        let services = try station.services()
        try await app(services).test(.router) { client in
            var b = Browser()
            try await b.signIn(client, "alice")
            #expect(try await b.post(client, "/scan", form: ["path": station.drop + "/delivery"]).status == .forbidden)
            #expect(try await b.post(client, "/scan", form: ["path": station.drop + "/delivery", "csrf": "forged"]).status == .forbidden)
            #expect(try await b.post(client, "/signout", form: [:]).status == .forbidden)
            #expect(services.queue.all.isEmpty)
        }
    }

    @Test func rolesLimitWhatEachMayDo() async throws {
        let station = try TestStation(tampered: false)
        let services = try station.services()
        try await app(services).test(.router) { client in
            var auditor = Browser()
            try await auditor.signIn(client, "carol")
            let csrf = try await auditor.csrf(client)
            #expect(try await auditor.post(client, "/scan", form: ["csrf": csrf, "path": station.drop + "/delivery"]).status == .forbidden)
            #expect(try await auditor.get(client, "/history").status == .ok)
            #expect(try await auditor.get(client, "/approvals").status == .forbidden)
            #expect(try await auditor.get(client, "/admin").status == .forbidden)
            var op = Browser()
            try await op.signIn(client, "alice")
            #expect(try await op.get(client, "/admin").status == .forbidden)
            #expect(try await op.get(client, "/approvals").status == .forbidden)
            var admin = Browser()
            try await admin.signIn(client, "dave")
            let settings = try await admin.get(client, "/admin")
            #expect(settings.status == .ok)
            #expect(!String(buffer: settings.body).contains("pbkdf2"), "hashes are never shown")
            var approver = Browser()
            try await approver.signIn(client, "bob")
            #expect(try await approver.get(client, "/approvals").status == .ok)
            // Not signed in: to the sign-in page, or 401 for a POST.
            var nobody = Browser()
            #expect(try await nobody.get(client, "/").headers[.location] == "/signin")
            #expect(try await nobody.get(client, "/history").headers[.location] == "/signin")
            #expect(try await nobody.post(client, "/scan", form: ["path": "x"]).status == .unauthorized)
        }
    }

    @Test func sessionsExpireWhenIdle() async throws {
        let station = try TestStation(yamlExtra: "limits: {sessionMinutes: 1}\n", tampered: false)
        let services = try station.services()
        let clock = Clock()
        services.auth.now = { clock.now }
        try await app(services).test(.router) { client in
            var b = Browser()
            try await b.signIn(client, "alice")
            #expect(try await b.get(client, "/").status == .ok)
            clock.advance(50)
            #expect(try await b.get(client, "/").status == .ok, "use extends the session")
            clock.advance(61)
            #expect(try await b.get(client, "/").headers[.location] == "/signin")
        }
    }

    @Test func signOutEndsTheSession() async throws {
        let station = try TestStation(tampered: false)
        try await app(try station.services()).test(.router) { client in
            var b = Browser()
            try await b.signIn(client, "alice")
            let session = b.cookies[Web.sessionCookie]
            let csrf = try await b.csrf(client)
            #expect(try await b.post(client, "/signout", form: ["csrf": csrf]).status == .seeOther)
            b.cookies[Web.sessionCookie] = session
            #expect(try await b.get(client, "/").headers[.location] == "/signin")
        }
    }

    @Test func configIsStrict() throws {
        let base = "trustStore: t\nproduction: p\nquarantine: q\nstate: s\nstationKey: k\n"
        #expect(throws: ConfigError.self) { try KioskConfig.parse(base + "unknown: 1\n", baseDirectory: "/") }
        #expect(throws: ConfigError.self) { try KioskConfig.parse(base + "limits: {uploadMB: 3}\n", baseDirectory: "/") }
        #expect(throws: ConfigError.self) { try KioskConfig.parse(base + "listen: 0.0.0.0:8443\n", baseDirectory: "/") }
        #expect(throws: ConfigError.self) { try KioskConfig.parse(base + "users: [{name: a, role: operator, password: plain}]\n", baseDirectory: "/") }
        #expect(throws: ConfigError.self) { try KioskConfig.parse(base + "users: [{name: a, role: root, password: x}]\n", baseDirectory: "/") }
        let ok = try KioskConfig.parse(base + "listen: 0.0.0.0:8443\ntls: {certificate: c.pem, key: c.key}\n", baseDirectory: "/etc/passbox")
        #expect(ok.tlsCertificate == "/etc/passbox/c.pem" && ok.port == 8443 && ok.trustStore == "/etc/passbox/t")
        #expect(try KioskConfig.parse(base, baseDirectory: "/").host == "127.0.0.1")
    }
}

final class Clock: @unchecked Sendable {
    private let lock = NSLock()
    private var t = Date()
    var now: Date { lock.lock(); defer { lock.unlock() }; return t }
    func advance(_ seconds: TimeInterval) { lock.lock(); t += seconds; lock.unlock() }
}
