import ArgumentParser
import Attestation
import CryptoIO
import Foundation
import Intake
import PassboxKit
import Station

/// verify's and admit's options (names are part of the contract: docs/usage.md).
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Trusted keys and roots (default: $PASSBOX_TRUST_STORE, else ./TrustStore).")
    var trustStore: String?

    @Option(name: .long, help: "Manifests registered in advance (default: ./Manifests if it exists).")
    var manifests: String?

    @Option(name: .long, help: "An extra manifest to consider (repeatable).")
    var manifest: [String] = []

    @Option(name: .long, help: "Policy YAML (default: the built-in strict policy).")
    var policy: String?

    @Option(name: .long, help: "Report format: text, json, sarif (SARIF 2.1.0) or html.")
    var format: VerifyFormat = .text

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the report to FILE instead of stdout, or one format to a file besides the screen: json=FILE, sarif=FILE, html=FILE, text=FILE (repeatable).", valueName: "[FORMAT=]FILE"))
    var output: [String] = []

    @Flag(name: .shortAndLong, help: "Print the verdict line only (files given with -o are still written).")
    var quiet = false

    @Flag(name: .long, help: "Print nothing: the exit status says it (0 accepted, 1 rejected, 2 could not evaluate).")
    var status = false

    @Option(name: .long, help: "Judge validity at this RFC 3339 time (default: now).")
    var at: String?

    @Option(name: .long, help: "The station's own state directory (audit log, versions admitted).")
    var state: String?

    @Option(name: .long, help: "Digests to compute besides sha256, comma-separated: sha384, sha512 (default: sha256 only, and what the policy's digests: or a manifest asks for).")
    var digests: String?

    @Option(name: .long, help: "Also send each decision to a syslog collector: udp://HOST:PORT or tcp://HOST:PORT (default: the policy's siem.syslog).")
    var syslog: String?

    @Option(name: .long, help: "Syslog message form: rfc5424 (structured data) or cef (default: the policy's siem.format, else rfc5424).")
    var syslogFormat: SyslogFormatOption?
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// verify's and admit's report formats (docs/report.md: text | json | sarif | html).
enum VerifyFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, sarif, html
}

enum SyslogFormatOption: String, ExpressibleByArgument, CaseIterable {
    case rfc5424, cef
    var format: SIEMFormat { self == .cef ? .cef : .rfc5424 }
}

/// What the options say, resolved once: the policy file (verification and station
/// parts), the verification options, and where decisions are recorded.
struct Settings {
    var policyFile: PolicyFile
    var verify: VerifyOptions
    var recorder: DecisionRecorder
    var stateDirectory: String

    init(_ o: CommonOptions) throws {
        let env = ProcessInfo.processInfo.environment
        policyFile = try o.policy.map { try PolicyFile.load(path: $0) } ?? .builtIn
        verify = VerifyOptions(trustStoreDirectory: o.trustStore ?? env["PASSBOX_TRUST_STORE"] ?? "TrustStore")
        if let dir = o.manifests {
            verify.manifestsDirectory = dir
        } else {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: "Manifests", isDirectory: &isDir), isDir.boolValue {
                verify.manifestsDirectory = "Manifests"
            }
        }
        verify.manifestFiles = o.manifest
        verify.policy = policyFile.verification
        if let at = o.at {
            guard let date = parseRFC3339(at) else {
                throw CannotEvaluate("--at \(at) is not an RFC 3339 time such as 2026-11-28T09:00:00Z")
            }
            verify.at = date
        }
        verify.algorithms = try digestAlgorithms(o.digests, adding: policyFile.verification.digests)
        try Intake.capMemory(verify.policy.limits.maxMemory)
        stateDirectory = resolveStateDirectory(option: o.state)
        verify.vulnerabilities = try loadVulnerabilityGate(stateDirectory: stateDirectory, policy: policyFile.verification.vulnerabilities)
        let siem = try SIEMDestination.resolve(url: o.syslog, format: o.syslogFormat?.format, policy: policyFile.station)
        recorder = DecisionRecorder(stateDirectory: stateDirectory, siem: siem, version: passboxVersion)
        recorder.store = stationInventory(stateDirectory: stateDirectory) // docs/inventory.md
        recorder.policySha256 = o.policy.flatMap { Receipt.sha256(ofFile: $0) }
        recorder.trustStoreSha256 = Receipt.trustStoreDigest(verify.trustStoreDirectory)
    }
}

extension Settings {
    /// Runs `work`; an error that ends the command (exit 2) is recorded first, with its reason.
    func evaluating<T>(command: String, input: String, _ work: () throws -> T) throws -> T {
        do {
            return try work()
        } catch let error as EvaluationError {
            let failure = CannotEvaluate("\(input): \(error.message)")
            recorder.recordError(command: command, input: input, message: failure.message)
            throw failure
        } catch {
            if error is ExitCode { throw error }
            recorder.recordError(command: command, input: input, message: reason(for: error))
            throw error
        }
    }
}

/// Why a command could not evaluate, as the audit record says it (no "passbox: ").
func reason(for error: Error) -> String {
    let message = exitStatus(for: error).message ?? "\(error)"
    return message.hasPrefix("passbox: ") ? String(message.dropFirst(9)) : message
}

/// sha256 always, then the policy's digests:, then `--digests`.
func digestAlgorithms(_ option: String?, adding policy: [DigestAlgorithm]) throws -> [DigestAlgorithm] {
    var algorithms: [DigestAlgorithm] = [.sha256]
    for algorithm in policy where !algorithms.contains(algorithm) { algorithms.append(algorithm) }
    for name in option?.split(separator: ",") ?? [] {
        guard let algorithm = DigestAlgorithm(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw CannotEvaluate("--digests: unknown algorithm \(name) (sha256, sha384, sha512)")
        }
        if !algorithms.contains(algorithm) { algorithms.append(algorithm) }
    }
    return algorithms
}
