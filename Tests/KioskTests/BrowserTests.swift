import CryptoIO
import Foundation
import Testing
@testable import Kiosk

/// The real server (`passbox serve`, the built binary) on 127.0.0.1, driven by headless
/// Chromium through selenium (Tests/Fixtures/kiosk_browser.py). Screenshots go to
/// .build/test-artifacts/kiosk/.
@Suite struct BrowserTests {
    static let passbox = repoRoot.appendingPathComponent(".build/debug/passbox").path
    static let missing: String? = {
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") { return "chromium" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver") { return "chromium-driver" }
        if (try? run(["python3", "-c", "import selenium"]))?.status != 0 { return "python3 selenium" }
        return nil
    }()

    @Test(.enabled(if: missing == nil, "the browser test needs chromium, chromium-driver and python3 selenium"))
    func operatorInARealBrowser() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.passbox), "build passbox first (swift build --build-tests)")
        let station = try TestStation()
        let hostile = "<img src=x onerror=alert(1)>"
        try FileManager.default.createDirectory(atPath: station.drop + "/" + hostile, withIntermediateDirectories: false)
        try Data("x".utf8).write(to: URL(fileURLWithPath: station.drop + "/" + hostile + "/readme.txt"))
        let port = try freePort()
        let hash = try PasswordHash.make(TestStation.password, iterations: PasswordHash.minimumIterations)
        let yaml = """
        listen: 127.0.0.1:\(port)
        trustStore: \(repoRoot.path)/TrustStore
        manifests: \(repoRoot.path)/Manifests
        production: \(station.production)
        quarantine: \(station.quarantine)
        state: \(station.state)
        stationKey: \(station.root)/station.key
        dropFolders: [\(station.drop)]
        users:
          - {name: alice, role: operator, password: "\(hash)"}
        """
        let configPath = station.root + "/kiosk.yaml"
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: configPath))
        let server = Process()
        server.executableURL = URL(fileURLWithPath: Self.passbox)
        server.arguments = ["serve", "--config", configPath]
        let serverLog = Pipe()
        server.standardError = serverLog
        server.standardOutput = serverLog
        try server.run()
        defer {
            server.interrupt() // SIGINT: graceful shutdown
            server.waitUntilExit()
        }
        try await waitForPort(port)
        let shots = repoRoot.appendingPathComponent(".build/test-artifacts/kiosk").path
        let result = try run(["python3", repoRoot.appendingPathComponent("Tests/Fixtures/kiosk_browser.py").path,
                              "http://127.0.0.1:\(port)", "alice", TestStation.password, shots])
        #expect(result.status == 0, "\(result.output)")
        print("kiosk browser test: \(result.output.trimmingCharacters(in: .whitespacesAndNewlines)); screenshots in \(shots)")
        #expect(FileManager.default.fileExists(atPath: shots + "/kiosk-4-receipt.png"))
    }

    @Test func browserTestNotice() {
        if let missing = Self.missing { print("NOTICE: kiosk browser test skipped: \(missing) is not installed") }
    }
}

/// Runs a command; its status and combined output.
func run(_ arguments: [String], in directory: String? = nil) throws -> (status: Int32, output: String) {
    let p = Process()
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A port nothing listens on now (bound to 0, read back, closed).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TimeoutError() }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    guard bound == 0 else { throw TimeoutError() }
    let named = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    guard named == 0 else { throw TimeoutError() }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// Waits (at most 30 s) until something accepts connections on 127.0.0.1:port.
func waitForPort(_ port: Int) async throws {
    for _ in 0..<300 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        close(fd)
        if ok == 0 { return }
        try await Task.sleep(nanoseconds: 100_000_000)
    }
    throw TimeoutError()
}

/// schemathesis (PyPI) against the OpenAPI document the real server serves: no 5xx,
/// responses, status codes and content types as documented.
@Suite struct SchemathesisTests {
    static let available = (try? run(["st", "--version"]))?.status == 0

    @Test(.enabled(if: available, "schemathesis is not installed (pip install schemathesis)"))
    func servedDocumentHoldsUnderSchemathesis() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: BrowserTests.passbox), "build passbox first")
        let station = try TestStation(tampered: false)
        let port = try freePort()
        let token = "schemathesis-token-0123456789"
        let yaml = """
        listen: 127.0.0.1:\(port)
        trustStore: \(repoRoot.path)/TrustStore
        manifests: \(repoRoot.path)/Manifests
        production: \(station.production)
        quarantine: \(station.quarantine)
        state: \(station.state)
        stationKey: \(station.root)/station.key
        dropFolders: [\(station.drop)]
        tokens: [{name: st, role: approver, sha256: \(Hex.encode(CryptoIO.Hasher.digest(.sha256, Data(token.utf8))))}]
        limits: {uploadMiB: 1}
        """
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: station.root + "/kiosk.yaml"))
        let server = Process()
        server.executableURL = URL(fileURLWithPath: BrowserTests.passbox)
        server.arguments = ["serve", "--config", station.root + "/kiosk.yaml"]
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            server.interrupt()
            server.waitUntilExit()
        }
        try await waitForPort(port)
        let result = try run(["st", "run", "http://127.0.0.1:\(port)/api/v1/openapi.json", "-H", "Authorization: Bearer \(token)",
                              "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
                              "-n", "30", "--seed", "1"], in: station.root) // its .schemathesis/ cache stays out of the repo
        #expect(result.status == 0, "\(result.output.suffix(4000))")
        print("schemathesis: \(result.output.split(separator: "\n").suffix(3).joined(separator: " | "))")
    }

    @Test func schemathesisNotice() {
        if !Self.available { print("NOTICE: schemathesis test skipped: schemathesis is not installed (pip install schemathesis)") }
    }
}

/// The real binary: TLS, secure cookies and HSTS, graceful shutdown, --hash-password.
@Suite struct ServeCommandTests {
    @Test func tlsSecureCookiesAndGracefulShutdown() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: BrowserTests.passbox), "build passbox first")
        let station = try TestStation(tampered: false)
        let cert = station.root + "/tls.pem", key = station.root + "/tls.key"
        let made = try run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                            "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert])
        #expect(made.status == 0, "\(made.output)")
        let port = try freePort()
        let yaml = """
        listen: 127.0.0.1:\(port)
        tls: {certificate: \(cert), key: \(key)}
        trustStore: \(repoRoot.path)/TrustStore
        production: \(station.production)
        quarantine: \(station.quarantine)
        state: \(station.state)
        stationKey: \(station.root)/station.key
        dropFolders: [\(station.drop)]
        """
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: station.root + "/kiosk.yaml"))
        let server = Process()
        server.executableURL = URL(fileURLWithPath: BrowserTests.passbox)
        server.arguments = ["serve", "--config", station.root + "/kiosk.yaml"]
        server.standardError = FileHandle.nullDevice
        try server.run()
        try await waitForPort(port)
        let https = try run(["curl", "-sk", "-D", "-", "-o", "/dev/null", "https://127.0.0.1:\(port)/signin"])
        #expect(https.output.contains("200"), "\(https.output)")
        #expect(https.output.lowercased().contains("strict-transport-security"))
        let cookie = https.output.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").first { $0.lowercased().hasPrefix("set-cookie") } ?? ""
        #expect(cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "\(cookie)")
        let plain = try run(["curl", "-s", "-m", "5", "http://127.0.0.1:\(port)/signin"])
        #expect(!plain.output.contains("Sign in"), "no plain HTTP on the TLS port")
        server.interrupt()
        server.waitUntilExit()
        #expect(server.terminationStatus == 0, "SIGINT stops the server gracefully")
    }

    @Test func hashPasswordAndNewToken() throws {
        let hashed = try run(["sh", "-c", "printf 'pw\\n' | '\(BrowserTests.passbox)' serve --hash-password"])
        #expect(hashed.status == 0)
        let line = hashed.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(line.hasPrefix("pbkdf2-sha256$600000$") && PasswordHash.verify("pw", stored: line))
        let token = try run([BrowserTests.passbox, "serve", "--new-token"])
        #expect(token.output.contains("token:") && token.output.contains("sha256:"))
        let refused = try run([BrowserTests.passbox, "serve", "--config", "/nonexistent.yaml"])
        #expect(refused.status == 2)
    }
}
