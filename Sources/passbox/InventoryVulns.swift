import ArgumentParser
import Foundation
import InventoryStore
import PassboxKit
import VulnerabilityStore

extension InventoryCommand {
    /// `passbox inventory vulns`: the admitted deliveries now affected by known
    /// vulnerabilities (docs/vulnerabilities.md, "After the gate").
    struct Vulns: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-match every admitted component against the current vulnerability database: the deliveries affected now, and what their admission reported.",
            discussion: "The database is STATE/vulndb.sqlite (passbox vulndb import). Exit status: 0 none at or above failOn, 1 some delivery is, 2 could not evaluate (no database, no inventory).")
        @OptionGroup var options: InventoryOptions
        @Option(name: .long, help: "Policy YAML whose vulnerabilities: section applies (failOn, unknownSeverity, ignore).")
        var policy: String?
        @Flag(name: .long, help: "List only vulnerabilities whose records came with the newest import.")
        var sinceImport = false

        func run() throws {
            let result = try InventoryVulnerabilities.reassess(options: options, policy: policy, sinceImport: sinceImport)
            try InventoryPrinter.vulnerabilities(result, format: options.format)
            if result.failing { throw ExitCode(Exit.rejected) }
        }
    }
}

enum InventoryVulnerabilities {
    /// The inventory's admitted deliveries against the station's database, every
    /// failure to evaluate as exit 2.
    static func reassess(options: InventoryOptions, policy: String?, sinceImport: Bool) throws -> VulnerabilityReassessment {
        let vulnerabilityPolicy = try loadPolicy(policy)?.vulnerabilities ?? .default
        let directory = options.stateDirectory
        guard VulnerabilityDatabase.exists(stateDirectory: directory) else {
            throw CannotEvaluate("no vulnerability database at \(VulnerabilityDatabase.path(stateDirectory: directory)) (passbox vulndb import)")
        }
        guard let gate = try loadVulnerabilityGate(stateDirectory: directory, policy: vulnerabilityPolicy, force: true) else {
            throw CannotEvaluate("no vulnerability database")
        }
        let inventory = try options.open()
        defer { inventory.close() }
        return try querying {
            let database = try VulnerabilityDatabase(path: VulnerabilityDatabase.path(stateDirectory: directory), create: false)
            return try VulnerabilityReassessment.run(try inventory.admittedDeliveries(), store: inventory.location.description,
                                                     gate: gate, database: database, sinceImport: sinceImport)
        }
    }
}

extension InventoryPrinter {
    static func vulnerabilities(_ result: VulnerabilityReassessment, format: InventoryFormat) throws {
        switch format {
        case .json: try json(result)
        case .csv:
            csv(["delivery", "station", "seq", "time", "folder", "vendor", "product", "version", "component", "id", "aliases",
                 "severity", "score", "fixed", "level", "at_admission", "in_database_at_admission"],
                result.affected.flatMap { d in
                    d.vulnerabilities.map { v in
                        [String(d.id), d.station, d.seq.map(String.init) ?? "", d.time, d.folder ?? "", d.vendor ?? "", d.product ?? "",
                         d.version ?? "", v.component, v.id, v.aliases.joined(separator: " "), v.severity ?? "unknown",
                         v.score.map { String(format: "%.1f", $0) } ?? "", v.fixedVersion ?? "", v.level.rawValue, v.atAdmission ?? "new",
                         v.inDatabaseAtAdmission ? "yes" : "no"]
                    }
                })
        case .text:
            let n = result.admissions
            say("passbox inventory vulns: \(result.affected.count) of \(n) admitted deliver\(n == 1 ? "y" : "ies") affected (failOn \(result.failOn)"
                + (result.sinceImport ? ", newest import only" : "") + ")")
            say("  store \(result.store); database \(result.database ?? "none")" + (result.databaseTime.map { ", data of \($0)" } ?? ""))
            for d in result.affected {
                let what = [d.vendor, d.product, d.version].compactMap { $0 }.joined(separator: " ")
                say("  #\(d.id) \(d.station):\(d.seq.map(String.init) ?? "-") \(d.time) \(d.folder ?? "")" + (what.isEmpty ? "" : " (\(what))"))
                for v in d.vulnerabilities { say("    " + line(v)) }
            }
        }
    }

    static func line(_ v: VulnerabilityReassessment.Vulnerability) -> String {
        var text = "\(v.level.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(v.component): \(([v.id] + v.aliases).joined(separator: ", "))"
        text += " [\(v.severity ?? "unknown")\(v.score.map { String(format: " %.1f", $0) } ?? "")]"
        text += v.fixedVersion.map { "; fixed in \($0)" } ?? "; no fix known"
        switch v.atAdmission {
        case "affected": text += "; reported at admission"
        case "suppressed": text += "; suppressed at admission (\(v.admissionMessage ?? ""))"
        default: text += v.inDatabaseAtAdmission ? "; not reported at admission, though its record was in the database" : "; NEW since admission"
        }
        return text
    }
}
