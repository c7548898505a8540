import ArgumentParser
import Attestation
import Foundation
import Intake
import PassboxKit
import SafeText
import Station

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check deliveries: unpack, hash, match against signed manifests; report and exit 0/1/2.")

    @Argument(help: "A directory (mounted medium, drop folder), a file, or an archive.")
    var paths: [String]

    @OptionGroup var options: CommonOptions

    func run() throws {
        let outputs = try ReportOutputs(options)
        // A malformed option is a usage error: nothing was evaluated, nothing is recorded.
        let settings = try Settings(options)
        var worst = Exit.accepted
        var reports: [Report] = []
        for path in paths {
            var report = try settings.evaluating(command: "verify", input: path) {
                try verifyWithProgress(path, settings: settings, quiet: options.quiet || options.status)
            }
            if report.verdict == .rejected { worst = Exit.rejected }
            let (record, problems) = settings.recorder.record(command: "verify", input: path, report: report)
            for problem in problems { complain("passbox: warning: \(problem)") }
            report.annotate(recorder: settings.recorder, record: problems.contains { $0.hasPrefix("not recorded in the audit log") } ? nil : record,
                            policyFile: options.policy)
            reports.append(report)
        }
        try settings.evaluating(command: "verify", input: paths.joined(separator: " ")) { try outputs.write(reports) }
        throw ExitCode(worst)
    }
}

/// Verifies one delivery under the watchdog, drawing progress on a terminal.
func verifyWithProgress(_ path: String, settings: Settings, quiet: Bool) throws -> Report {
    let display = TerminalProgress(quiet: quiet)
    display.start(path)
    defer { display.finish(path) }
    return try watched(path, limits: settings.verify.policy.limits) {
        try Verifier.verify(path: path, options: settings.verify, progress: display.progress)
    }
}

struct SBOMList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sbom",
        abstract: "List SBOM components with their approval status under a policy (exit 0 all approved, 1 not, 2 unreadable).")

    @Argument(help: "CycloneDX (JSON, XML) or SPDX (JSON, tag-value, YAML, RDF/XML, 3.0 JSON-LD) files; the format is read from the content.")
    var files: [String]

    @Option(name: .long, help: "Policy YAML whose sbom: section judges the components (default: approve what no rule denies).")
    var policy: String?

    @Option(name: .long, help: "Report format: text or json.")
    var format: ReportFormat = .text

    @Option(name: .shortAndLong, help: "Write the report there instead of stdout.")
    var output: String?

    @Flag(name: .long, help: "Also list known vulnerabilities of the components (the station's offline database; exit 1 when one is at or above failOn).")
    var vulns = false

    @Option(name: .long, help: "The station's state directory (inventory.sqlite with the vulnerability database, vex/), for --vulns.")
    var state: String?

    @Option(name: .long, help: "VEX documents (OpenVEX, CycloneDX VEX) to apply with --vulns, besides the station's.")
    var vex: [String] = []

    func run() throws {
        var loaded = Policy.builtIn
        if let policy {
            do {
                loaded = try Policy.load(path: policy)
            } catch let error as PolicyError {
                throw CannotEvaluate("policy \(error)")
            }
        }
        var result = try SBOMCommand.run(files: files, policy: loaded)
        var vulnerable = false
        if vulns {
            let scan = try SBOMVulnerabilities.scan(files: files, state: state, policy: loaded.vulnerabilities, vex: vex)
            result.vulnerabilities = scan.report
            result.vulnerabilityFindings = scan.findings
            vulnerable = scan.findings.contains { $0.severity == .error }
        }
        switch format {
        case .json:
            // JSONEncoder's pretty, sorted output, written without its generic machinery.
            try emit(String(decoding: try result.prettyJSON(), as: UTF8.self) + "\n", to: output)
        case .text:
            let notApproved = result.sbom.components.filter { $0.status != "approved" }.count
            let head = notApproved == 0
                ? "passbox sbom: all \(result.sbom.components.count) component(s) approved\n"
                : "passbox sbom: \(notApproved) of \(result.sbom.components.count) component(s) not approved\n"
            var text = head + result.sbom.text()
            if let report = result.vulnerabilities {
                text += "vulnerabilities\n" + report.text()
                for f in result.vulnerabilityFindings ?? [] where f.code != .vulnAffected && f.code != .vulnSuppressed {
                    text += "  \(f.severity.rawValue) \(f.code.rawValue): \(f.message)\n"
                }
            }
            try emitText(text, to: output)
        }
        throw ExitCode(result.verdict == "approved" && !vulnerable ? Exit.accepted : Exit.rejected)
    }
}


/// Runs `work` (reading and judging one delivery) under a watchdog: `limits.maxSeconds`
/// stops the reading from inside; if passbox is still at it a minute later (a library
/// that never returns), the command ends with exit 2 and a message, never a hang.
func watched<T>(_ path: String, limits: IntakeLimits, _ work: () throws -> T) rethrows -> T {
    let grace = 60.0
    let watchdog = Watchdog(seconds: limits.maxSeconds + grace) {
        let message = "passbox: \(path): still reading \(Int(grace)) s after limits.maxSeconds (\(limits.maxSeconds) s); stopped, no verdict\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        _exit(Exit.cannotEvaluate)
    }
    defer { watchdog.cancel() }
    return try work()
}

