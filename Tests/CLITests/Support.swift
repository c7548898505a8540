import Foundation
import XCTest

/// The repository root (tests read the demo and the fixture scripts from it).
let repoRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

let fixtureScripts = repoRoot.appendingPathComponent("Tests/Fixtures")

/// The built `passbox` binary: $PASSBOX_BIN, else next to the test bundle.
func passboxBinary() -> String {
    if let bin = ProcessInfo.processInfo.environment["PASSBOX_BIN"] { return bin }
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("passbox").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return repoRoot.appendingPathComponent(".build/debug/passbox").path
}

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String

    /// The JSON report on stdout. A test that asks for it when stdout holds no JSON
    /// object fails (an empty report would make every "has no finding X" check pass).
    var json: [String: Any] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] else {
            XCTFail("stdout is not a JSON report (exit \(status)): \(stdout.prefix(300)) | stderr: \(stderr.prefix(300))")
            return [:]
        }
        return object
    }
    var findingCodes: [String] {
        (json["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
    }
    func findings(_ code: String) -> [[String: Any]] {
        (json["findings"] as? [[String: Any]] ?? []).filter { $0["code"] as? String == code }
    }
    var verdict: String? { json["verdict"] as? String }
    func file(_ path: String) -> [String: Any]? {
        (json["files"] as? [[String: Any]] ?? []).first { $0["path"] as? String == path }
    }
    var statuses: [String: String] {
        var out: [String: String] = [:]
        for f in json["files"] as? [[String: Any]] ?? [] {
            if let p = f["path"] as? String, let s = f["status"] as? String { out[p] = s }
        }
        return out
    }
}

/// Runs a program to completion; output goes through files so nothing blocks.
@discardableResult
func runProcess(_ arguments: [String], cwd: URL? = nil, environment: [String: String] = [:]) throws -> RunResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let cwd { process.currentDirectoryURL = cwd }
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "PASSBOX_TRUST_STORE")
    for (k, v) in environment { env[k] = v }
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("passbox-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: tmp) }
    // The station's audit log goes into this run's temporary folder unless the caller
    // chose a state directory: tests never write into ~/.local/state.
    if environment["PASSBOX_STATE_DIR"] == nil { env["PASSBOX_STATE_DIR"] = tmp.appendingPathComponent("state").path }
    process.environment = env
    let out = tmp.appendingPathComponent("out"), err = tmp.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
    process.standardOutput = outHandle
    process.standardError = errHandle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try outHandle.close()
    try errHandle.close()
    return RunResult(
        status: process.terminationStatus,
        stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
        stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
}

/// Runs a shell snippet (for the real tools: tar, zip, 7z, openssl...); fails the test on error.
@discardableResult
func shell(_ script: String, cwd: URL, file: StaticString = #filePath, line: UInt = #line) throws -> RunResult {
    let result = try runProcess(["bash", "-euo", "pipefail", "-c", script], cwd: cwd)
    XCTAssertEqual(result.status, 0, "shell failed: \(script)\n\(result.stderr)", file: file, line: line)
    return result
}

/// A temporary folder for one test, with helpers to make deliveries, keys and
/// manifests, and to run passbox in it.
final class Workspace {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("passbox-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("ts/keys"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("keys"), withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: dir) }

    func url(_ path: String) -> URL { dir.appendingPathComponent(path) }

    func write(_ path: String, _ content: String) throws {
        try write(path, Data(content.utf8))
    }

    func write(_ path: String, _ data: Data) throws {
        let u = url(path)
        try FileManager.default.createDirectory(at: u.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: u)
    }

    func read(_ path: String) throws -> Data { try Data(contentsOf: url(path)) }

    /// The station state directory every run uses (`$PASSBOX_STATE_DIR`), so tests
    /// never write the audit log into the home directory.
    var stateDirectory: URL { dir.appendingPathComponent("state") }

    /// Runs passbox in this folder with `ts/` as the trust store.
    @discardableResult
    func passbox(_ arguments: [String], trustStore: String? = "ts", environment: [String: String] = [:]) throws -> RunResult {
        var args = [passboxBinary()] + arguments
        if let trustStore, arguments.first == "verify", !arguments.contains("--trust-store") {
            args += ["--trust-store", trustStore]
        }
        var env = ["PASSBOX_STATE_DIR": stateDirectory.path]
        for (k, v) in environment { env[k] = v }
        return try runProcess(args, cwd: dir, environment: env)
    }

    /// `passbox verify ... --format json`.
    func verify(_ arguments: [String]) throws -> RunResult {
        try passbox(["verify"] + arguments + ["--format", "json"])
    }

    /// Makes a key pair with `passbox keygen`; when `trusted`, its public key goes into ts/keys.
    @discardableResult
    func key(_ name: String, algorithm: String = "ed25519", trusted: Bool = true) throws -> String {
        let r = try passbox(["keygen", "--algorithm", algorithm, "-o", "keys/\(name)"])
        XCTAssertEqual(r.status, 0, r.stderr)
        if trusted {
            try FileManager.default.copyItem(at: url("keys/\(name).pem"), to: url("ts/keys/\(name).pem"))
        }
        return "keys/\(name).key"
    }

    /// `passbox manifest create`, asserting it worked.
    func manifest(_ path: String, keys: [String], output: String, extra: [String] = [],
                  file: StaticString = #filePath, line: UInt = #line) throws {
        var args = ["manifest", "create", path, "-o", output] + extra
        for k in keys { args += ["--key", k] }
        let r = try passbox(args)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
    }

    /// A small delivery: firmware, a recipe, a tool archive.
    func standardDelivery(_ root: String = "delivery") throws {
        var firmware = Data()
        for i in 0..<70_000 { firmware.append(UInt8(truncatingIfNeeded: i &* 2654435761 >> 13)) }
        try write("\(root)/fw/etcher-2.4.bin", firmware)
        try write("\(root)/recipes/oxide.recipe", "recipe: oxide\nsteps: 3\n")
        try write("\(root)/README.txt", "delivery notes\n")
    }
}

extension Workspace {
    /// The standard delivery signed with `manifest create` (a key `vendor`), with
    /// passbox's predicate: Acme etcher 2.4 firmware.
    func signedStandardDelivery() throws {
        try standardDelivery()
        let key = try key("vendor")
        try manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json",
                     extra: ["--vendor", "Acme", "--product", "etcher", "--version", "2.4", "--kind", "firmware"])
    }

    /// The records of `state/audit.jsonl`, each as a JSON object (none when there is no log).
    func auditRecords() throws -> [[String: Any]] {
        guard FileManager.default.fileExists(atPath: url("state/audit.jsonl").path) else { return [] }
        return try String(decoding: try read("state/audit.jsonl"), as: UTF8.self)
            .split(separator: "\n")
            .map { try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }
}
