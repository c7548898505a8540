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
        let settings = try Settings(options)
        let request = AdmitRequest(
            path: path, destination: to, quarantine: quarantine, stationKey: try Producer.loadPrivateKey(stationKey),
            verify: settings.verify, station: settings.policyFile.station, policyFile: options.policy,
            recorder: settings.recorder, stateDirectory: settings.stateDirectory)
        let outcome: AdmitOutcome
        do {
            outcome = try watched(path, limits: settings.verify.policy.limits) {
                try Admission.admit(request, writeQuarantine: writeQuarantineReports)
            }
        } catch let error as EvaluationError {
            throw CannotEvaluate("\(path): \(error.message)")
        }
        for warning in outcome.warnings { warn("warning: \(warning)") }
        for written in outcome.quarantined { warn("rejected; report written to \(written)") }
        try writeReports([outcome.report], as: options.format, to: options.output)
        guard let folder = outcome.folder, let receipt = outcome.receipt else { throw ExitCode(Exit.rejected) }
        warn("admitted \(outcome.files) file(s) as \(to)/\(folder) (receipt \(receipt))")
    }

    /// The report of a rejected delivery, into the quarantine folder.
    private func writeQuarantineReports(_ report: Report, _ directory: String) throws -> [String] {
        let name = safeFolderName("\(URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent)-\(deliveryDigest(report).prefix(12))-\(Int(Date().timeIntervalSince1970)).report.json")
        try replaceAtomically(directory + "/" + name) { write in
            try ReportJSONWriter().write(report, to: write)
            try [UInt8(ascii: "\n")].withUnsafeBytes(write)
        }
        return [directory + "/" + name]
    }
}
