import ArgumentParser
import CryptoIO
import Foundation
import Kiosk

/// `passbox serve`: the transfer-media kiosk (web UI and /api/v1/) on the library
/// (docs/kiosk.md).
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the kiosk: a web UI for operators and an HTTP API for pipelines (docs/kiosk.md).",
        discussion: "Stops gracefully on SIGINT or SIGTERM. --hash-password reads a password on standard input and prints the line for users: in the config; --new-token prints a new API token and the sha256 for tokens: in the config.")

    @Option(name: .long, help: "The station configuration (YAML).")
    var config: String?

    @Flag(name: .long, help: "Read a password from standard input, print its PBKDF2-SHA256 hash, and exit.")
    var hashPassword = false

    @Flag(name: .long, help: "Make a new random API token: print it and its sha256 (the config keeps only the sha256), and exit.")
    var newToken = false

    func run() throws {
        if hashPassword {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw CannotEvaluate("--hash-password: no password on standard input") }
            print(try PasswordHash.make(line))
            return
        }
        if newToken {
            let token = try randomBytes(32).map { String(format: "%02x", $0) }.joined()
            print("token:  \(token)")
            print("sha256: \(Hex.encode(CryptoIO.Hasher.digest(.sha256, Data(token.utf8))))")
            return
        }
        guard let config else { throw ValidationError("--config FILE is required (or --hash-password / --new-token)") }
        let settings: KioskConfig
        do { settings = try KioskConfig.load(path: config) } catch let error as ConfigError { throw CannotEvaluate(error.description) }
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { try await KioskServer.run(config: settings) } catch { box.set(error) }
            done.signal()
        }
        FileHandle.standardError.write(Data("passbox serve: listening on \(settings.usesTLS ? "https" : "http")://\(settings.host.contains(":") ? "[\(settings.host)]" : settings.host):\(settings.port)/\n".utf8))
        done.wait()
        if let error = box.error { throw CannotEvaluate("serve: \(error)") }
    }
}

private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var _error: Error?
    var error: Error? { lock.lock(); defer { lock.unlock() }; return _error }
    func set(_ e: Error) { lock.lock(); _error = e; lock.unlock() }
}
