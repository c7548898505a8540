import ArgumentParser
import Attestation
import Foundation
import PassboxKit
import SafeText
import Station

struct Admit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify a delivery, then copy exactly the verified bytes into a new folder in --to, with a signed receipt beside it.",
        discussion: "Exit status: 0 admitted, 1 rejected (nothing admitted), 2 could not evaluate (nothing admitted).")

    @Argument(help: "A directory (mounted medium, drop folder), a file, or an archive.")
    var path: String

    @Option(name: .long, help: "The production share: the delivery becomes a new folder here.")
    var to: String

    @Option(name: .long, help: "Where the JSON report of a rejected delivery is written.")
    var quarantine: String?

    @Option(name: .long, help: "The station's private key (PEM) that signs the receipt.")
    var stationKey: String

    @OptionGroup var options: CommonOptions

    func run() throws {
        let outputs = try ReportOutputs(options)
        // A malformed option is a usage error: nothing was evaluated, nothing is recorded.
        let settings = try Settings(options)
        let request = AdmitRequest(
            path: path, destination: to, quarantine: quarantine,
            stationKey: try settings.evaluating(command: "admit", input: path) { try Producer.loadPrivateKey(stationKey) },
            verify: settings.verify, station: settings.policyFile.station, policyFile: options.policy,
            recorder: settings.recorder, stateDirectory: settings.stateDirectory)
        let display = TerminalProgress(quiet: options.quiet || options.status)
        display.start(path)
        let outcome = try settings.evaluating(command: "admit", input: path) {
            defer { display.finish(path) }
            return try watched(path, limits: settings.verify.policy.limits) {
                try Admission.admit(request, progress: display.progress, writeQuarantine: quarantineReports)
            }
        }
        for warning in outcome.warnings { warn("warning: \(warning)") }
        for written in outcome.quarantined where !options.status { warn("rejected; report written to \(written)") }
        try settings.evaluating(command: "admit", input: path) { try outputs.write([outcome.report]) }
        guard let folder = outcome.folder, let receipt = outcome.receipt else { throw ExitCode(Exit.rejected) }
        if !options.status { warn("admitted \(outcome.files) file(s) as \(to)/\(folder) (receipt \(receipt))") }
    }

    /// The report of a rejected delivery, into the quarantine folder (JSON and HTML).
    private func quarantineReports(_ report: Report, _ directory: String) throws -> [String] {
        try Admission.writeQuarantineReports(report, label: URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent, into: directory)
    }
}
