import ArgumentParser
import Attestation
import Foundation
import Intake
import PassboxKit
import SafeText
import Station

/// Exit codes (docs/report.md): 0 accepted, 1 rejected, 2 could not evaluate.
enum Exit {
    static let accepted: Int32 = 0
    static let rejected: Int32 = 1
    static let cannotEvaluate: Int32 = 2
}

/// The CLI: a thin front end over PassboxKit and Station. Commands parse their
/// options, call the library, and print; errors become exit codes in one place
/// (`exitStatus(for:)`).
struct Passbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passbox",
        abstract: "Supply-chain integrity gate: verify deliveries against signed manifests and a trust store.",
        discussion: "Exit status: 0 accepted, 1 rejected (the report says why), 2 could not evaluate. `passbox --version` prints the version.",
        subcommands: [Verify.self, Admit.self, SBOMList.self, ManifestCommand.self, Keygen.self,
                      ReceiptCommand.self, LogCommand.self, TrustCommand.self, Serve.self, VulnDBCommand.self, InventoryCommand.self])
}

/// passbox could not evaluate: exit 2 with the message.
struct CannotEvaluate: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Every error a command can end with, as an exit status and a message: the one
/// place errors become exit codes. Anything that is not a verdict is "could not
/// evaluate" (2): fail closed.
func exitStatus(for error: Error) -> (status: Int32, message: String?) {
    switch error {
    case let exit as ExitCode: (exit.rawValue, nil)
    case let error as CannotEvaluate: (Exit.cannotEvaluate, "passbox: \(error.message)")
    case let error as EvaluationError: (Exit.cannotEvaluate, "passbox: \(error.message)")
    case let error as StationError: (Exit.cannotEvaluate, "passbox: \(error.message)")
    case let error as PolicyError: (Exit.cannotEvaluate, "passbox: policy \(error)")
    case let error as TrustStoreError: (Exit.cannotEvaluate, "passbox: trust store: \(error)")
    case let error as IntakeError: (Exit.cannotEvaluate, "passbox: \(error.message)")
    default: (Exit.cannotEvaluate, nil)
    }
}

/// Set just before passbox itself exits. libarchive ends the process with exit(1)
/// when it runs out of memory inside some string functions (possible under
/// limits.maxMemory): 1 would read as "rejected" with no report, so such an exit is
/// turned into 2, "could not evaluate", with a message.
nonisolated(unsafe) var exitingNormally = false

func finish(_ code: Int32) -> Never {
    exitingNormally = true
    exit(code)
}

// Entry point: every failure that is not a verdict exits 2.
configureLocale()
// Buffers of 1 MiB and more (manifest files, payloads, hash batches) are mapped on
// their own and go back to the system when freed. glibc otherwise raises this
// threshold after the first large free, and freed payloads stay in the heap for the
// rest of the run (7 MiB of peak RSS when a 50,000-file manifest is checked).
// (mallopt is declared in <malloc.h>, which Swift's Glibc module does not import;
// M_MMAP_THRESHOLD is -3 in glibc's ABI.)
if let mallopt = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") { // RTLD_DEFAULT
    typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
    _ = unsafeBitCast(mallopt, to: MallOpt.self)(-3, 1 << 20)
}
atexit {
    guard !exitingNormally else { return }
    let message = "passbox: a library ended the process (libarchive out of memory: see limits.maxMemory); no verdict\n"
    _ = message.withCString { write(2, $0, strlen($0)) }
    _exit(Exit.cannotEvaluate)
}
// `passbox --version` alone (not `version:` in the configuration, which would list a
// second --version under `manifest create`, whose --version is the delivery's).
if CommandLine.arguments.dropFirst().elementsEqual(["--version"]) {
    print(passboxVersion)
    finish(Exit.accepted)
}
do {
    var command = try Passbox.parseAsRoot()
    try command.run()
    finish(Exit.accepted)
} catch {
    let (status, message) = exitStatus(for: error)
    if let message {
        // Several lines (every mistake of a trust.yaml): each escaped on its own.
        complainLines(message)
        finish(status)
    }
    if status == Exit.cannotEvaluate, Passbox.exitCode(for: error) == .success {
        exitingNormally = true
        Passbox.exit(withError: error) // --help
    }
    if let exit = error as? ExitCode { finish(exit.rawValue) }
    complainLines(Passbox.fullMessage(for: error))
    finish(Exit.cannotEvaluate)
}
