import ArgumentParser
import Attestation
import CryptoIO
import Foundation
import PassboxKit
import SafeText
import Station

/// Records one decision in the audit log, then (when configured) sends it to the SIEM.
/// Returns the error text when it could not be recorded.
func recordAudit(command: String, input: String, report: Report, admitted: String? = nil, state: String?,
                 siem: SIEMSettings? = nil) -> String? {
    let (record, problem) = appendAudit(command: command, input: input, report: report, admitted: admitted, state: state)
    if let siem { siem.send(record, recorded: problem == nil) }
    return problem
}

/// Appends the audit record; returns it (with seq and hash when recorded) and the error text when it could not.
func appendAudit(command: String, input: String, report: Report, admitted: String? = nil, state: String?) -> (AuditRecord, String?) {
    let log = AuditLog(directory: resolveStateDirectory(option: state))
    let record = AuditRecord(command: command, input: input, deliverySha256: deliveryDigest(report),
                             verdict: report.verdict.rawValue, findings: findingCodes(report), admitted: admitted,
                             medium: Medium.identify(path: input))
    do {
        return (try log.append(record), nil)
    } catch {
        return (record, "\(error)")
    }
}

/// Where decisions go besides the audit log: `--syslog` / `--syslog-format`, else the
/// policy's `siem:` section. Sends after the local record; failures only warn.
struct SIEMSettings: Sendable {
    var target: SyslogTarget
    var format: SIEMFormat

    /// nil when no collector is configured; throws (exit 2) on a malformed one.
    static func resolve(_ options: CommonOptions, policy: Policy) throws -> SIEMSettings? {
        guard let url = options.syslog ?? policy.siemSyslog else {
            if options.syslogFormat != nil { throw CannotEvaluate("--syslog-format needs a collector: --syslog udp://HOST:PORT or the policy's siem.syslog") }
            return nil
        }
        guard let target = SyslogTarget(url: url) else {
            throw CannotEvaluate("syslog collector \(url.prefix(200)) is not udp://HOST:PORT or tcp://HOST:PORT")
        }
        let format = options.syslogFormat.map { $0.format } ?? policy.siemFormat.flatMap(SIEMFormat.init(rawValue:)) ?? .rfc5424
        return SIEMSettings(target: target, format: format)
    }

    func send(_ record: AuditRecord, recorded: Bool) {
        let message = Syslog.message(SIEMEvent(record: record, recorded: recorded), format: format, version: passboxVersion)
        do {
            try Syslog.send(message, to: target)
        } catch {
            warn("warning: decision not sent to the SIEM: \(error)")
        }
    }
}

enum SyslogFormatOption: String, ExpressibleByArgument, CaseIterable {
    case rfc5424, cef
    var format: SIEMFormat { self == .cef ? .cef : .rfc5424 }
}

func warn(_ text: String) {
    complain("passbox: \(text)")
}

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "Check or show the station's audit log.",
        subcommands: [VerifyLog.self, ShowLog.self])

    struct VerifyLog: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check the audit log's hash chain and head (exit 0 intact, 1 tampered, 2 unreadable).")

        @Option(name: .long, help: "The station's state directory (default: $PASSBOX_STATE_DIR, else $XDG_STATE_HOME/passbox, else ~/.local/state/passbox).")
        var state: String?

        func run() throws {
            let log = AuditLog(directory: resolveStateDirectory(option: state))
            let check: AuditLog.Check
            do {
                check = try log.verify()
            } catch let error as StationError {
                throw CannotEvaluate(error.message)
            }
            for w in check.warnings { warn("warning: \(w)") }
            if check.intact {
                let tail = check.records.last.map { ", last seq \($0.seq) hash \($0.hash)" } ?? ""
                say("audit log intact: \(check.records.count) record(s)\(tail)")
                return
            }
            say("audit log TAMPERED: \(log.logPath)")
            for p in check.problems {
                var at: [String] = []
                if let line = p.line { at.append("line \(line)") } else { at.append("head file") }
                if let seq = p.seq { at.append("seq \(seq)") }
                say("  \(at.joined(separator: ", ")): \(p.message)")
            }
            throw ExitCode(Exit.rejected)
        }
    }

    struct ShowLog: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show audit records (checks the chain too; warns when it is broken).")

        @Option(name: .long, help: "The station's state directory.")
        var state: String?

        @Option(name: .long, help: "Only records at or after this RFC 3339 time.")
        var since: String?

        @Option(name: .long, help: "Only accepted or rejected decisions.")
        var verdict: VerdictOption?

        @Option(name: .long, help: "text or json (a JSON array of records).")
        var format: ReportFormat = .text

        func run() throws {
            var sinceDate: Date?
            if let since {
                guard let d = parseRFC3339(since) else { throw CannotEvaluate("--since \(since) is not an RFC 3339 time") }
                sinceDate = d
            }
            let log = AuditLog(directory: resolveStateDirectory(option: state))
            let check: AuditLog.Check
            do {
                check = try log.verify()
            } catch let error as StationError {
                throw CannotEvaluate(error.message)
            }
            if !check.intact { warn("warning: the audit log does not verify; run `passbox log verify`") }
            // Records that fail verification themselves are shown, and marked.
            let selected = check.records.indices.filter { i in
                let r = check.records[i]
                if let verdict, r.verdict != verdict.rawValue { return false }
                if let sinceDate {
                    guard let t = parseRFC3339(r.time), t >= sinceDate else { return false }
                }
                return true
            }
            switch format {
            case .json:
                // Each record as it is in the log, with "verified": false on a record
                // that fails verification.
                let encoder = JSONEncoder()
                var objects: [Any] = []
                for i in selected {
                    let data = try encoder.encode(check.records[i])
                    guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
                    if check.fails(i) { object["verified"] = false }
                    objects.append(object)
                }
                let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            case .text:
                for i in selected {
                    let r = check.records[i]
                    let codes = r.findings.isEmpty ? "" : " [\(r.findings.joined(separator: ","))]"
                    let admitted = r.admitted.map { " -> \($0)" } ?? ""
                    let medium = r.medium.map { " (medium \($0.summary))" } ?? ""
                    let mark = check.fails(i) ? "UNVERIFIED " : ""
                    // Tab-separated fields, each escaped (SafeText) on its own.
                    let fields = ["\(mark)\(r.seq)", r.time, "\(r.user)@\(r.station)", r.command, r.verdict, "\(r.input)\(medium)",
                                  "sha256:\(r.deliverySha256.prefix(16))\(codes)\(admitted)"]
                    print(fields.map(terminalSafe).joined(separator: "\t"))
                }
            }
        }
    }
}

enum VerdictOption: String, ExpressibleByArgument, CaseIterable {
    case accepted, rejected
}

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
        let verifyOptions = try makeVerifyOptions(options)
        let siem = try SIEMSettings.resolve(options, policy: verifyOptions.policy)
        let stateDir = resolveStateDirectory(option: options.state)
        let log = AuditLog(directory: stateDir)
        do {
            try log.preflight()
        } catch {
            throw CannotEvaluate("the audit log cannot be written, so nothing is admitted: \(error)")
        }
        let key = try Producer.loadPrivateKey(stationKey)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: to, isDirectory: &isDir), isDir.boolValue else {
            throw CannotEvaluate("--to \(to) is not an existing directory")
        }
        if let quarantine {
            guard FileManager.default.fileExists(atPath: quarantine, isDirectory: &isDir), isDir.boolValue else {
                throw CannotEvaluate("--quarantine \(quarantine) is not an existing directory")
            }
        }
        Admission.removeStaleIncoming(in: to)

        var report: Report
        do {
            report = try watched(path, limits: verifyOptions.policy.limits) { try Verifier.verify(path: path, options: verifyOptions) }
        } catch let error as EvaluationError {
            throw CannotEvaluate("\(path): \(error.message)")
        }
        let digest = deliveryDigest(report)
        let applied = report.manifests.filter { $0.status == "verified" }
        let described = applied.first { $0.product != nil }
        let versions = VersionStore(directory: stateDir)

        // Rollback: never an older version of a product than one already admitted.
        if report.verdict == .accepted, let product = described?.product, let version = described?.version {
            let newer: VersionStore.Entry?
            do {
                newer = try versions.newerAdmitted(vendor: described?.vendor, product: product, version: version)
            } catch {
                throw CannotEvaluate("\(error)")
            }
            if let newer {
                if verifyOptions.policy.rollbackAllowed.contains(product) {
                    report.findings.append(Finding(code: "version.rollback", severity: .warning, path: nil,
                                                   message: "\(product) \(version) is older than \(newer.version), admitted before; the policy allows rollback for \(product)"))
                } else {
                    report.findings.insert(Finding(code: "version.rollback", severity: .error, path: nil,
                                                   message: "\(product) \(version) is older than \(newer.version), which this station admitted on \(newer.time): an old delivery replayed? (a policy may allow it: rollback: {allow: [\(product)]})"), at: 0)
                    report.verdict = .rejected
                }
            }
        }

        var finalName: String?
        var incoming: String?
        var copied: [CopiedFile] = []
        if report.verdict == .accepted {
            let base: String
            if let product = described?.product {
                base = "\(product)-\(described?.version ?? "unversioned")-\(digest.prefix(12))"
            } else {
                base = "\(URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent)-\(digest.prefix(12))"
            }
            let name = safeFolderName(base)
            if Admission.exists(to, name) {
                throw CannotEvaluate("\(to)/\(name) already exists: this delivery was admitted before; passbox never replaces an admitted delivery")
            }
            let (sourceRoot, files, archives) = admitFiles(report, extractPatterns: verifyOptions.policy.admitExtract,
                                                           maxPathLength: verifyOptions.policy.limits.maxPathLength)
            do {
                let result = try Admission.copyToIncoming(sourceRoot: sourceRoot, files: files, extract: archives, destination: to)
                incoming = result.incoming
                copied = result.copied
                finalName = name
            } catch let changed as FileChanged {
                report.findings.insert(Finding(code: "file.mismatch", severity: .error, path: changed.path,
                                               message: "\(changed.message); nothing admitted"), at: 0)
                if let i = report.files.firstIndex(where: { $0.path == changed.path }) { report.files[i].status = .mismatch }
                report.verdict = .rejected
            } catch {
                throw CannotEvaluate("\(error); nothing admitted")
            }
        }

        guard report.verdict == .accepted, let finalName, let incoming else {
            if let problem = recordAudit(command: "admit", input: path, report: report, state: options.state, siem: siem) {
                warn("warning: not recorded in the audit log: \(problem)")
            }
            if let quarantine {
                let name = safeFolderName("\(URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent)-\(digest.prefix(12))-\(Int(Date().timeIntervalSince1970)).report.json")
                do {
                    try replaceAtomically(quarantine + "/" + name) { write in
                        try ReportJSONWriter().write(report, to: write)
                        try [UInt8(ascii: "\n")].withUnsafeBytes(write)
                    }
                    warn("rejected; report written to \(quarantine)/\(name)")
                } catch {
                    warn("warning: cannot write the report into --quarantine: \(error)")
                }
            }
            try emitReport(report)
            throw ExitCode(Exit.rejected)
        }

        // The receipt first, then the audit record, then the one rename that admits.
        let receiptPath = to + "/" + finalName + receiptSuffix
        func abandon(_ message: String) -> CannotEvaluate {
            try? FileManager.default.removeItem(atPath: to + "/" + incoming)
            unlink(receiptPath)
            return CannotEvaluate("\(message); nothing admitted")
        }
        do {
            let facts = ReceiptFacts(
                folder: finalName, files: copied,
                resourceURI: URL(fileURLWithPath: path).standardizedFileURL.absoluteString,
                deliverySha256: digest,
                policyURI: options.policy.map { URL(fileURLWithPath: $0).standardizedFileURL.absoluteString } ?? "https://passbox.dev/policy/built-in",
                policySha256: options.policy.flatMap { Receipt.sha256(ofFile: $0) },
                attestations: applied.map { m in attestation(m.path, report: report) },
                trustStoreSha256: Receipt.trustStoreDigest(verifyOptions.trustStoreDirectory),
                vendor: described?.vendor, product: described?.product, version: described?.version,
                time: Date())
            try replaceAtomically(receiptPath, try Receipt.envelope(facts, key: key, version: passboxVersion))
        } catch {
            throw abandon("cannot write the receipt: \(error)")
        }
        let (record, problem) = appendAudit(command: "admit", input: path, report: report, admitted: finalName, state: options.state)
        if let problem {
            throw abandon("the audit log cannot be written: \(problem)")
        }
        do {
            try Admission.commit(incoming: incoming, destination: to, finalName: finalName)
        } catch {
            throw abandon("\(error)")
        }
        // Sent once the folder is there under its final name (the record came first).
        siem?.send(record, recorded: true)
        if let product = described?.product, let version = described?.version {
            do {
                try versions.record(vendor: described?.vendor, product: product, version: version, deliverySha256: digest)
            } catch {
                warn("warning: admitted, but the version could not be remembered for rollback protection: \(error)")
            }
        }
        try emitReport(report)
        warn("admitted \(copied.count) file(s) as \(to)/\(finalName) (receipt \(receiptPath))")
    }

    private func emitReport(_ report: Report) throws {
        try writeReports([report], as: options.format, to: options.output)
    }

    /// The source root, the files to copy and the archives to unpack: the verified files
    /// on the medium, or the delivered file / archive itself. An archive whose file name
    /// matches the policy's `admit.extract` is unpacked instead (its verified or covered
    /// regular entries; archives inside it stay files).
    private func admitFiles(_ report: Report, extractPatterns: [String], maxPathLength: Int) -> (String, [AdmitFile], [ExtractArchive]) {
        let url = URL(fileURLWithPath: path)
        func extracts(_ file: String) -> Bool {
            let leaf = file.split(separator: "/").last.map(String.init) ?? file
            return extractPatterns.contains { fnmatch($0, leaf, 0) == 0 }
        }
        /// The verified or covered regular entries directly inside the archive at `prefix`.
        func entries(prefix: String) -> [AdmitFile] {
            report.files.compactMap { f -> AdmitFile? in
                guard f.status == .verified || f.status == .covered, f.kind == "regular" || f.kind == "archive" || f.kind == "hardlink",
                      f.path.hasPrefix(prefix) else { return nil }
                let inner = String(f.path.dropFirst(prefix.count))
                guard !inner.isEmpty, !isInsideArchive(inner) else { return nil }
                return AdmitFile(source: inner, name: inner, size: f.size, digests: f.digests)
            }
        }
        if report.delivery.kind == "directory" {
            var files: [AdmitFile] = []
            var archives: [ExtractArchive] = []
            for f in report.files where f.status == .verified && !isInsideArchive(f.path) && (f.kind == "regular" || f.kind == "archive") {
                if f.kind == "archive", extracts(f.path) {
                    archives.append(ExtractArchive(source: f.path, into: extractedFolderName(f.path),
                                                   entries: entries(prefix: f.path + "!/"), maxPathLength: maxPathLength))
                } else {
                    files.append(AdmitFile(source: f.path, name: f.path, size: f.size, digests: f.digests))
                }
            }
            return (path, files, archives)
        }
        let name = url.lastPathComponent
        let root = url.deletingLastPathComponent().path
        if report.delivery.kind == "archive", extracts(name) {
            return (root, [], [ExtractArchive(source: name, into: "", entries: entries(prefix: ""), maxPathLength: maxPathLength)])
        }
        return (root, [AdmitFile(source: name, name: name, size: report.delivery.size ?? -1, digests: report.delivery.digests ?? Digests())], [])
    }

    /// A manifest as an input attestation: its file URI and sha256 (read again here).
    private func attestation(_ manifestPath: String, report: Report) -> (uri: String, sha256: String?) {
        let bare = manifestPath.split(separator: "#").first.map(String.init) ?? manifestPath
        var candidates: [String] = []
        if report.delivery.kind == "directory" { candidates.append(path + "/" + bare) }
        candidates.append(bare)
        for c in candidates where FileManager.default.fileExists(atPath: c) {
            return (URL(fileURLWithPath: c).standardizedFileURL.absoluteString + (bare == manifestPath ? "" : "#" + manifestPath.dropFirst(bare.count + 1)),
                    Receipt.sha256(ofFile: c))
        }
        return (manifestPath, nil)
    }
}

/// Where an archive inside a directory delivery is unpacked: its path without the
/// archive suffix (`tools/kit.tar.gz` → `tools/kit`), else with `.extracted` added.
func extractedFolderName(_ archivePath: String) -> String {
    let suffixes = [".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst", ".tar.lz", ".tar.lz4", ".tar.Z",
                    ".tgz", ".tbz2", ".txz", ".tar", ".zip", ".7z", ".cpio", ".iso", ".rar", ".cab", ".xar"]
    for suffix in suffixes where archivePath.lowercased().hasSuffix(suffix.lowercased()) && archivePath.count > suffix.count {
        let stem = String(archivePath.dropLast(suffix.count))
        if !stem.hasSuffix("/") { return stem }
    }
    return archivePath + ".extracted"
}

/// Letters, digits, `.`, `_`, `+`, `-`; never starting with a dot; at most 200 bytes.
func safeFolderName(_ text: String) -> String {
    var out = String(text.unicodeScalars.map { s -> Character in
        (s.isASCII && (CharacterSet.alphanumerics.contains(s) || ".-_+".unicodeScalars.contains(s))) ? Character(s) : "_"
    })
    while out.hasPrefix(".") { out = "_" + out.dropFirst() }
    if out.isEmpty { out = "delivery" }
    return String(out.prefix(200))
}

struct ReceiptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipt", abstract: "Check station receipts.", subcommands: [VerifyReceipt.self])

    struct VerifyReceipt: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check a receipt's signature (and the content it names): exit 0 valid, 1 invalid, untrusted or content differs, 2 unreadable.")

        @Argument(help: "A receipt (DIR/<folder>.receipt.dsse.json).")
        var receipt: String

        @Option(name: .long, help: "The admitted folder: every subject must be there with the same digests, and nothing else.")
        var content: String?

        @Option(name: .long, help: "Trust store holding the station's public key (default: $PASSBOX_TRUST_STORE, else ./TrustStore).")
        var trustStore: String?

        func run() throws {
            let storeDir = trustStore ?? ProcessInfo.processInfo.environment["PASSBOX_TRUST_STORE"] ?? "TrustStore"
            let store: TrustStore
            do {
                store = try TrustStore.load(directory: storeDir)
            } catch {
                throw CannotEvaluate("trust store: \(error)")
            }
            let data: Data
            do {
                data = try readFile(receipt, limit: maxManifestBytes)
            } catch {
                throw CannotEvaluate("\(error)")
            }
            if let content {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: content, isDirectory: &isDir), isDir.boolValue else {
                    throw CannotEvaluate("--content \(content) is not a directory")
                }
            }
            let check: Receipt.Check
            do {
                check = try Receipt.verify(data, path: receipt, trustStore: store, content: content)
            } catch let error as StationError {
                throw CannotEvaluate(error.message)
            }
            if check.valid {
                let what = content.map { "; content of \($0) matches" } ?? ""
                say("receipt valid: signed by \(check.signers.joined(separator: ", ")), \(check.subjects) subject(s)\(what)")
                return
            }
            say("receipt INVALID: \(receipt)")
            for p in check.problems { say("  \(p)") }
            throw ExitCode(Exit.rejected)
        }
    }
}
