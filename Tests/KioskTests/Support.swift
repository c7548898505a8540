import CryptoIO
import Foundation
import Hummingbird
import HummingbirdTesting
import PassboxKit
@testable import Kiosk

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A throwaway station: the demo delivery and a tampered copy in a drop folder, the
/// repo's trust store and manifests, a fresh station key, users of every role and tokens.
final class TestStation: @unchecked Sendable {
    let root: String
    let drop: String
    let media: String
    let production: String
    let quarantine: String
    let state: String
    let config: KioskConfig
    static let password = "correct horse battery staple"
    /// Tokens by role name.
    static let tokens = ["operator": "op-token-0123456789", "auditor": "aud-token-0123456789", "approver": "appr-token-0123456789"]

    init(yamlExtra: String = "", tampered: Bool = true) throws {
        root = NSTemporaryDirectory() + "kiosk-" + UUID().uuidString
        drop = root + "/drop"
        media = root + "/media"
        production = root + "/production"
        quarantine = root + "/quarantine"
        state = root + "/state"
        let fm = FileManager.default
        for dir in [drop, media, production, quarantine, state] { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try fm.copyItem(atPath: repoRoot.path + "/Demo/delivery", toPath: drop + "/delivery")
        if tampered { try Self.makeTampered(at: drop + "/tampered") }
        _ = try Producer.generateKey(.ed25519, outputBase: root + "/station")
        let hash = try PasswordHash.make(Self.password, iterations: PasswordHash.minimumIterations)
        var tokens = ""
        for (role, token) in Self.tokens.sorted(by: { $0.key < $1.key }) {
            tokens += "  - {name: \(role)-ci, role: \(role), sha256: \(Hex.encode(CryptoIO.Hasher.digest(.sha256, Data(token.utf8))))}\n"
        }
        let yaml = """
        listen: 127.0.0.1:0
        trustStore: \(repoRoot.path)/TrustStore
        manifests: \(repoRoot.path)/Manifests
        production: \(production)
        quarantine: \(quarantine)
        state: \(state)
        stationKey: \(root)/station.key
        mediaRoots: [\(media)]
        dropFolders: [\(drop)]
        users:
          - {name: alice, role: operator, password: "\(hash)"}
          - {name: bob, role: approver, password: "\(hash)"}
          - {name: carol, role: auditor, password: "\(hash)"}
          - {name: dave, role: admin, password: "\(hash)"}
        tokens:
        \(tokens)\(yamlExtra)
        """
        config = try KioskConfig.parse(yaml, baseDirectory: root)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// The demo's tampered copy: one firmware byte changed, an autorun.inf added, a recipe removed.
    static func makeTampered(at path: String) throws {
        try FileManager.default.copyItem(atPath: repoRoot.path + "/Demo/delivery", toPath: path)
        let firmware = path + "/firmware/etcher-ctrl-2.4.1.bin"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: firmware))
        bytes[4096] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: firmware))
        try Data("[autorun]\nopen=payload.exe\n".utf8).write(to: URL(fileURLWithPath: path + "/autorun.inf"))
        try FileManager.default.removeItem(atPath: path + "/recipes/etch-oxide-v12.recipe")
    }

    func services() throws -> KioskServices { try KioskServices(config: config) }
}

/// A browser of sorts: keeps cookies, reads the CSRF token from pages.
struct Browser {
    var cookies: [String: String] = [:]

    var cookieHeader: HTTPFields {
        var h = HTTPFields()
        if !cookies.isEmpty { h[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        return h
    }

    mutating func remember(_ response: TestResponse) {
        for value in response.headers[values: .setCookie] {
            guard let first = value.split(separator: ";").first, let eq = first.firstIndex(of: "=") else { continue }
            let name = String(first[..<eq]).trimmingCharacters(in: .whitespaces)
            let v = String(first[first.index(after: eq)...])
            if v.isEmpty { cookies[name] = nil } else { cookies[name] = v }
        }
    }

    mutating func get(_ client: some TestClientProtocol, _ uri: String) async throws -> TestResponse {
        let response = try await client.execute(uri: uri, method: .get, headers: cookieHeader, body: nil)
        remember(response)
        return response
    }

    mutating func post(_ client: some TestClientProtocol, _ uri: String, form: [String: String]) async throws -> TestResponse {
        var headers = cookieHeader
        headers[.contentType] = "application/x-www-form-urlencoded"
        let body = form.map { "\(HTML.url($0.key))=\(HTML.url($0.value))" }.joined(separator: "&")
        let response = try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
        remember(response)
        return response
    }

    /// Signs in; returns the response of the POST.
    @discardableResult
    mutating func signIn(_ client: some TestClientProtocol, _ name: String, password: String = TestStation.password) async throws -> TestResponse {
        let page = try await get(client, "/signin")
        let csrf = Self.csrf(in: String(buffer: page.body)) ?? ""
        return try await post(client, "/signin", form: ["name": name, "password": password, "csrf": csrf])
    }

    /// The CSRF token of the current page (any signed-in page carries it in the sign-out form).
    mutating func csrf(_ client: some TestClientProtocol) async throws -> String {
        let page = try await get(client, "/")
        return Self.csrf(in: String(buffer: page.body)) ?? ""
    }

    static func csrf(in html: String) -> String? {
        guard let r = html.range(of: "name=\"csrf\" value=\"") else { return nil }
        let rest = html[r.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}

/// Waits (bounded) until a scan is done or failed.
func waitDone(_ services: KioskServices, _ id: String, seconds: Double = 60) async throws -> Scan {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let scan = services.queue.scan(id), scan.state == .done || scan.state == .failed { return scan }
        try await Task.sleep(nanoseconds: 50_000_000)
    }
    throw TimeoutError()
}

struct TimeoutError: Error {}

func scanID(fromLocation location: String?) -> String? {
    guard let location, location.hasPrefix("/scan/") else { return nil }
    return String(location.dropFirst(6).prefix { $0 != "/" })
}

func app(_ services: KioskServices) -> some ApplicationProtocol {
    Application(router: KioskServer.router(services))
}

func auditLines(_ station: TestStation) -> [String] {
    ((try? String(contentsOfFile: station.state + "/audit.jsonl", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
}
