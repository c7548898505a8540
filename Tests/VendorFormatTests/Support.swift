import Foundation

/// The repository root (fixture scripts live in Tests/Fixtures).
let repoRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let fixtureScripts = repoRoot.appendingPathComponent("Tests/Fixtures")

struct ToolError: Error, CustomStringConvertible {
    var description: String
}

struct ToolResult {
    var status: Int32
    var stdout: Data
    var stderr: String
}

/// A temporary directory removed when the value goes away.
final class TempDir: @unchecked Sendable {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("passbox-vendor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func read(_ name: String) throws -> Data { try Data(contentsOf: url.appendingPathComponent(name)) }
    func write(_ name: String, _ data: Data) throws { try data.write(to: url.appendingPathComponent(name)) }
}

/// Runs a real tool; output goes through files so nothing blocks. Throws when
/// `check` is set and the tool fails.
@discardableResult
func run(_ arguments: [String], cwd: URL? = nil, environment: [String: String] = [:], check: Bool = true, stdin: String? = nil) throws -> ToolResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let cwd { process.currentDirectoryURL = cwd }
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("passbox-tool-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: tmp) }
    let out = tmp.appendingPathComponent("out"), err = tmp.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
    process.standardOutput = outHandle
    process.standardError = errHandle
    if let stdin {
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdin))
    } else {
        process.standardInput = FileHandle.nullDevice
    }
    try process.run()
    process.waitUntilExit()
    try outHandle.close()
    try errHandle.close()
    let result = ToolResult(
        status: process.terminationStatus,
        stdout: try Data(contentsOf: out),
        stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    if check && result.status != 0 {
        throw ToolError(description: "\(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
    }
    return result
}
