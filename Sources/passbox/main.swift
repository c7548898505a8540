import ArgumentParser
import Attestation
import CryptoIO
import Foundation
import Intake
import PassboxKit
import Station

/// Exit codes (contract.md): 0 accepted, 1 rejected, 2 could not evaluate.
enum Exit {
    static let accepted: Int32 = 0
    static let rejected: Int32 = 1
    static let cannotEvaluate: Int32 = 2
}

struct Passbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passbox",
        abstract: "Supply-chain integrity gate: verify deliveries against signed manifests and a trust store.",
        discussion: "Exit status: 0 accepted, 1 rejected (the report says why), 2 could not evaluate.",
        version: passboxVersion,
        subcommands: [Verify.self, Admit.self, SBOMList.self, ManifestCommand.self, Keygen.self,
                      ReceiptCommand.self, LogCommand.self, TrustCommand.self])
}

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

    @Option(name: .long, help: "Write the report there instead of stdout.")
    var output: String?

    @Option(name: .long, help: "Judge validity at this RFC 3339 time (default: now).")
    var at: String?

    @Option(name: .long, help: "The station's own state directory (audit log, versions admitted).")
    var state: String?

    @Option(name: .long, help: "Digests to compute, comma-separated (default: sha256,sha512).")
    var digests: String = "sha256,sha512"

    @Option(name: .long, help: "Also send each decision to a syslog collector: udp://HOST:PORT or tcp://HOST:PORT (default: the policy's siem.syslog).")
    var syslog: String?

    @Option(name: .long, help: "Syslog message form: rfc5424 (structured data) or cef (default: the policy's siem.format, else rfc5424).")
    var syslogFormat: SyslogFormatOption?
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// verify's and admit's report formats (contract.md: text | json | sarif | html).
enum VerifyFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, sarif, html
}

/// Writes the reports of one run: text and HTML pages for a person, JSON (one
/// object; JSON Lines for several deliveries), SARIF (one log, one run per delivery).
/// JSON is written as it is encoded (`ReportJSONWriter`): a report of a large delivery
/// is never whole in memory.
func writeReports(_ reports: [Report], as format: VerifyFormat, to output: String?) throws {
    try emit(to: output) { write in
        switch format {
        case .text:
            for report in reports { try report.text().send(to: write) }
        case .json:
            try withoutActuallyEscaping(write) { write in
                let sink = BufferedSink(flushTo: write)
                let writer = ReportJSONWriter()
                for report in reports {
                    if reports.count == 1 {
                        try writer.write(report, to: sink.write)
                    } else {
                        var compactor = JSONCompactor()
                        try writer.write(report) { bytes in try compactor.compact(bytes).withUnsafeBytes(sink.write) }
                    }
                    try [UInt8(ascii: "\n")].withUnsafeBytes(sink.write)
                }
                try sink.flush()
            }
        case .sarif:
            try (String(decoding: try ReportFormats.sarif(reports), as: UTF8.self) + "\n").send(to: write)
        case .html:
            try ReportFormats.html(reports).send(to: write)
        }
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check deliveries: unpack, hash, match against signed manifests; report and exit 0/1/2.")

    @Argument(help: "A directory (mounted medium, drop folder), a file, or an archive.")
    var paths: [String]

    @OptionGroup var options: CommonOptions

    func run() throws {
        let verifyOptions = try makeVerifyOptions(options)
        let siem = try SIEMSettings.resolve(options, policy: verifyOptions.policy)
        var worst = Exit.accepted
        var reports: [Report] = []
        for path in paths {
            let report: Report
            do {
                report = try watched(path, limits: verifyOptions.policy.limits) { try Verifier.verify(path: path, options: verifyOptions) }
            } catch let error as EvaluationError {
                throw CannotEvaluate("\(path): \(error.message)")
            }
            if report.verdict == .rejected { worst = Exit.rejected }
            if let problem = recordAudit(command: "verify", input: path, report: report, state: options.state, siem: siem) {
                FileHandle.standardError.write(Data("passbox: warning: not recorded in the audit log: \(problem)\n".utf8))
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

    @Argument(help: "CycloneDX (JSON, XML) or SPDX (JSON, tag-value, YAML, RDF/XML, 3.0 JSON-LD) files; the format is read from the content.")
    var files: [String]

    @Option(name: .long, help: "Policy YAML whose sbom: section judges the components (default: approve what no rule denies).")
    var policy: String?

    @Option(name: .long, help: "Report format: text or json.")
    var format: ReportFormat = .text

    @Option(name: .long, help: "Write the report there instead of stdout.")
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
            // JSONEncoder's pretty, sorted output, written without its generic machinery.
            try emit(String(decoding: try result.prettyJSON(), as: UTF8.self) + "\n", to: output)
        case .text:
            let notApproved = result.sbom.components.filter { $0.status != "approved" }.count
            let head = notApproved == 0
                ? "passbox sbom: all \(result.sbom.components.count) component(s) approved\n"
                : "passbox sbom: \(notApproved) of \(result.sbom.components.count) component(s) not approved\n"
            try emit(head + result.sbom.text(), to: output)
        }
        throw ExitCode(result.verdict == "approved" ? Exit.accepted : Exit.rejected)
    }
}

struct ManifestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest", abstract: "Produce signed manifests.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a DSSE envelope with an in-toto Statement listing PATH's files by digest.")

        @Argument(help: "The delivery: a directory, a file or an archive.")
        var path: String

        @Option(name: .long, help: "Private key (PEM) to sign with; repeat for several signers.")
        var key: [String]

        @Option(name: .long) var vendor: String?
        @Option(name: .long) var product: String?
        @Option(name: .long) var version: String?
        @Option(name: .long, help: "firmware, recipe or tool.") var kind: DeliveryKindOption?
        @Option(name: .long, help: "An SBOM of the delivery (a path inside PATH) to name by digest in the predicate (repeatable).")
        var sbom: [String] = []

        @Option(name: .shortAndLong, help: "Where to write the envelope (e.g. delivery.dsse.json).")
        var output: String

        func run() throws {
            guard !key.isEmpty else { throw CannotEvaluate("--key is required") }
            let keys = try key.map { try Producer.loadPrivateKey($0) }
            let predicate = DeliveryPredicate(vendor: vendor, product: product, version: version, kind: kind?.rawValue)
            let result = try Producer.createManifest(path: path, keys: keys, predicate: predicate, sboms: sbom, excluding: output)
            if FileManager.default.fileExists(atPath: output) {
                throw CannotEvaluate("\(output) already exists; remove it first")
            }
            guard FileManager.default.createFile(atPath: output, contents: result.envelope + Data("\n".utf8)) else {
                throw CannotEvaluate("cannot write \(output)")
            }
            for s in result.skipped {
                FileHandle.standardError.write(Data("passbox: not listed (not a regular file): \(s)\n".utf8))
            }
            for s in result.rejectedAnyway {
                FileHandle.standardError.write(Data("passbox: warning: under the built-in policy, verify rejects this whatever the manifest says: \(s)\n".utf8))
            }
            let links = result.links > 0 ? ", \(result.links) symbolic link(s)" : ""
            print("wrote \(output): \(result.subjects.count) subject(s)\(links), signed by \(keys.map { String($0.publicKey.fingerprint.prefix(16)) }.joined(separator: ", "))")
        }
    }
}

enum DeliveryKindOption: String, ExpressibleByArgument, CaseIterable {
    case firmware, recipe, tool
}

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a signing key pair: NAME.key (private, mode 0600) and NAME.pem (public, for TrustStore/keys/).")

    @Option(name: .long, help: "ed25519, ecdsa-p256 or rsa-3072.")
    var algorithm: KeyAlgorithmOption = .ed25519

    @Option(name: .shortAndLong, help: "Base name of the key files.")
    var output: String

    func run() throws {
        let files = try Producer.generateKey(algorithm.value, outputBase: output)
        print("private key \(files.privateKeyPath) (keep it secret; mode 0600)")
        print("public key  \(files.publicKeyPath) (copy into TrustStore/keys/ to trust it)")
        print("fingerprint \(files.fingerprint)")
    }
}

enum KeyAlgorithmOption: String, ExpressibleByArgument, CaseIterable {
    case ed25519
    case ecdsaP256 = "ecdsa-p256"
    case rsa3072 = "rsa-3072"
    var value: KeyGenAlgorithm {
        switch self {
        case .ed25519: .ed25519
        case .ecdsaP256: .ecdsaP256
        case .rsa3072: .rsa3072
        }
    }
}

struct CannotEvaluate: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

func makeVerifyOptions(_ o: CommonOptions) throws -> VerifyOptions {
    let env = ProcessInfo.processInfo.environment
    let store = o.trustStore ?? env["PASSBOX_TRUST_STORE"] ?? "TrustStore"
    var options = VerifyOptions(trustStoreDirectory: store)
    if let dir = o.manifests {
        options.manifestsDirectory = dir
    } else {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: "Manifests", isDirectory: &isDir), isDir.boolValue {
            options.manifestsDirectory = "Manifests"
        }
    }
    options.manifestFiles = o.manifest
    if let policy = o.policy {
        do {
            options.policy = try Policy.load(path: policy)
        } catch let error as PolicyError {
            throw CannotEvaluate("policy \(error)")
        }
    }
    if let at = o.at {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: at) ?? fractional.date(from: at) else {
            throw CannotEvaluate("--at \(at) is not an RFC 3339 time such as 2026-11-28T09:00:00Z")
        }
        options.at = date
    }
    var algorithms: [DigestAlgorithm] = []
    for name in o.digests.split(separator: ",") {
        guard let algorithm = DigestAlgorithm(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw CannotEvaluate("--digests: unknown algorithm \(name) (sha256, sha384, sha512)")
        }
        if !algorithms.contains(algorithm) { algorithms.append(algorithm) }
    }
    guard !algorithms.isEmpty else { throw CannotEvaluate("--digests needs at least one algorithm") }
    options.algorithms = algorithms
    do {
        try Intake.capMemory(options.policy.limits.maxMemory)
    } catch let error as IntakeError {
        throw CannotEvaluate(error.message)
    }
    return options
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

func emit(_ text: String, to output: String?) throws {
    try emit(to: output) { write in try text.send(to: write) }
}

/// Gives `produce` a function that writes bytes; they go to stdout, or replace
/// `output` atomically (a new file renamed over it, so a reader never sees half a
/// report). A symbolic link, device or pipe named by `output` (/dev/stdout, a FIFO) is
/// written through, as the shell's `>` would: renaming over it would replace the link
/// or the device node itself.
func emit(to output: String?, produce: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
    do {
        if let output {
            var info = stat()
            if lstat(output, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
                let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard fd >= 0 else { throw CannotEvaluate("cannot write the report to \(output): \(String(cString: strerror(errno)))") }
                defer { close(fd) }
                try produce { bytes in try writeAll(fd, bytes, to: output) }
            } else {
                try replaceAtomically(output, produce: produce)
            }
        } else {
            try writeStandardOutput(produce: produce)
        }
    } catch let error as StationError {
        throw CannotEvaluate("cannot write the report to \(output ?? "standard output"): \(error)")
    }
}

extension Swift.String {
    /// The text's UTF-8 bytes, for the byte writers of `emit(to:)`.
    func send(to write: (UnsafeRawBufferPointer) throws -> Void) throws {
        var text = self
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }
}

private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, to name: String) throws {
    var offset = 0
    while offset < bytes.count {
        let n = Glibc.write(fd, bytes.baseAddress?.advanced(by: offset), bytes.count - offset)
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw CannotEvaluate("cannot write the report to \(name): \(String(cString: strerror(errno)))") }
        offset += n
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
do {
    var command = try Passbox.parseAsRoot()
    try command.run()
    finish(Exit.accepted)
} catch let exitCode as ExitCode {
    finish(exitCode.rawValue)
} catch let error as CannotEvaluate {
    FileHandle.standardError.write(Data("passbox: \(error.message)\n".utf8))
    finish(Exit.cannotEvaluate)
} catch let error as EvaluationError {
    FileHandle.standardError.write(Data("passbox: \(error.message)\n".utf8))
    finish(Exit.cannotEvaluate)
} catch {
    let code = Passbox.exitCode(for: error)
    if code == .success {
        exitingNormally = true
        Passbox.exit(withError: error) // --help, --version
    }
    FileHandle.standardError.write(Data((Passbox.fullMessage(for: error) + "\n").utf8))
    finish(Exit.cannotEvaluate)
}
