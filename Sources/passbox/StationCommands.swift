import ArgumentParser
import Attestation
import CryptoIO
import Foundation
import PassboxKit
import SafeText
import Station

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
            let selected = check.select(since: sinceDate, verdict: verdict?.rawValue)
            switch format {
            case .json: print(try Self.json(check, selected))
            case .text: for i in selected { print(Self.line(check, i)) }
            }
        }

        /// Each record as it is in the log, with "verified": false on a record that fails verification.
        static func json(_ check: AuditLog.Check, _ selected: [Int]) throws -> String {
            let encoder = JSONOutput.encoder(compact: true)
            var objects: [Any] = []
            for i in selected {
                let data = try encoder.encode(check.records[i])
                guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
                if check.fails(i) { object["verified"] = false }
                objects.append(object)
            }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            return String(decoding: data, as: UTF8.self)
        }

        /// One record as a line: tab-separated fields, each escaped (SafeText) on its own.
        static func line(_ check: AuditLog.Check, _ i: Int) -> String {
            let r = check.records[i]
            let codes = r.findings.isEmpty ? "" : " [\(r.findings.joined(separator: ","))]"
            let admitted = r.admitted.map { " -> \($0)" } ?? ""
            let medium = r.medium.map { " (medium \($0.summary))" } ?? ""
            let mark = check.fails(i) ? "UNVERIFIED " : ""
            let fields = ["\(mark)\(r.seq)", r.time, "\(r.user)@\(r.station)", r.command, r.verdict, "\(r.input)\(medium)",
                          "sha256:\(r.deliverySha256.prefix(16))\(codes)\(admitted)"]
            return fields.map(terminalSafe).joined(separator: "\t")
        }
    }
}

enum VerdictOption: String, ExpressibleByArgument, CaseIterable {
    case accepted, rejected
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
