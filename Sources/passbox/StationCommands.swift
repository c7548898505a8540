import ArgumentParser
import Attestation
import CryptoIO
import Foundation
import PassboxKit
import Station

/// Records one decision in the audit log. Returns the error text when it could not.
func recordAudit(command: String, input: String, report: Report, admitted: String? = nil, state: String?) -> String? {
    let log = AuditLog(directory: resolveStateDirectory(option: state))
    let record = AuditRecord(command: command, input: input, deliverySha256: deliveryDigest(report),
                             verdict: report.verdict.rawValue, findings: findingCodes(report), admitted: admitted)
    do {
        try log.append(record)
        return nil
    } catch {
        return "\(error)"
    }
}

func warn(_ text: String) {
    FileHandle.standardError.write(Data("passbox: \(text)\n".utf8))
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
                print("audit log intact: \(check.records.count) record(s)\(tail)")
                return
            }
            print("audit log TAMPERED: \(log.logPath)")
            for p in check.problems {
                var at: [String] = []
                if let line = p.line { at.append("line \(line)") } else { at.append("head file") }
                if let seq = p.seq { at.append("seq \(seq)") }
                print("  \(at.joined(separator: ", ")): \(p.message)")
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
            let records = check.records.filter { r in
                if let verdict, r.verdict != verdict.rawValue { return false }
                if let sinceDate {
                    guard let t = parseRFC3339(r.time), t >= sinceDate else { return false }
                }
                return true
            }
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(records), as: UTF8.self))
            case .text:
                for r in records {
                    let codes = r.findings.isEmpty ? "" : " [\(r.findings.joined(separator: ","))]"
                    let admitted = r.admitted.map { " -> \($0)" } ?? ""
                    print("\(r.seq)\t\(r.time)\t\(r.user)@\(r.station)\t\(r.command)\t\(r.verdict)\t\(r.input)\tsha256:\(r.deliverySha256.prefix(16))\(codes)\(admitted)")
                }
            }
        }
    }
}

enum VerdictOption: String, ExpressibleByArgument, CaseIterable {
    case accepted, rejected
}
