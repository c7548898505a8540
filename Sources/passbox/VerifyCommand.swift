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
        let settings = try Settings(options)
        var worst = Exit.accepted
        var reports: [Report] = []
        for path in paths {
            let report: Report
            do {
                report = try watched(path, limits: settings.verify.policy.limits) { try Verifier.verify(path: path, options: settings.verify) }
            } catch let error as EvaluationError {
                throw CannotEvaluate("\(path): \(error.message)")
            }
            if report.verdict == .rejected { worst = Exit.rejected }
            for problem in settings.recorder.record(command: "verify", input: path, report: report).problems {
                complain("passbox: warning: \(problem)")
            }
            reports.append(report)
        }
        try writeReports(reports, as: options.format, to: options.output)
        throw ExitCode(worst)
    }
}

struct SBOMList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sbom",
        abstract: "List SBOM components with their approval status under a policy (exit 0 all approved, 1 not, 2 unreadable).")

    @Argument(help: "CycloneDX (JSON, XML) or SPDX (JSON, tag-value, 3.0 JSON-LD) files; the format is read from the content.")
    var files: [String]

    @Option(name: .long, help: "Policy YAML whose sbom: section judges the components (default: approve what no rule denies).")
    var policy: String?

    @Option(name: .long, help: "Report format: text or json.")
    var format: ReportFormat = .text

    @Option(name: .shortAndLong, help: "Write the report there instead of stdout.")
    var output: String?

    func run() throws {
        var loaded = Policy.builtIn
        if let policy {
            do {
                loaded = try Policy.load(path: policy)
            } catch let error as PolicyError {
                throw CannotEvaluate("policy \(error)")
            }
        }
        let result = try SBOMCommand.run(files: files, policy: loaded)
        switch format {
        case .json:
            let encoder = JSONOutput.encoder()
            try emit(String(decoding: try encoder.encode(result), as: UTF8.self) + "\n", to: output)
        case .text:
            let notApproved = result.sbom.components.filter { $0.status != "approved" }.count
            let head = notApproved == 0
                ? "passbox sbom: all \(result.sbom.components.count) component(s) approved\n"
                : "passbox sbom: \(notApproved) of \(result.sbom.components.count) component(s) not approved\n"
            try emitText(head + result.sbom.text(), to: output)
        }
        throw ExitCode(result.verdict == "approved" ? Exit.accepted : Exit.rejected)
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

