import ArgumentParser
import Attestation
import Foundation
import Intake
import PassboxKit
import SafeText
import SBOM
import Station
import Vulnerabilities
import VulnerabilityStore

extension VulnDBCommand {
    /// Re-matches the SBOMs of every admitted delivery against the current database.
    /// Until the inventory store lands (then: `passbox inventory vulns`), the
    /// deliveries are the audit log's admissions and their SBOMs are read from the
    /// admitted folders (docs/vulnerabilities.md, "After the gate").
    struct Reassess: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-assess every admitted delivery against the current database: which are affected now, and what was known at admission.",
            discussion: "Exit status: 0 none at or above failOn, 1 some delivery is, 2 could not evaluate.")

        @Option(name: .long, help: "The station's state directory (audit log, vulndb.sqlite, vex/).")
        var state: String?

        @Option(name: .long, help: "The production share the deliveries were admitted into (admit --to).")
        var to: String

        @Option(name: .long, help: "Policy YAML whose vulnerabilities: section applies (failOn, ignore, ...).")
        var policy: String?

        @Flag(name: .long, help: "List only vulnerabilities whose records came with the newest import.")
        var sinceImport = false

        @Option(name: .long, help: "Report format: text or json.")
        var format: ReportFormat = .text

        func run() throws {
            let directory = resolveStateDirectory(option: state)
            let vulnerabilityPolicy = try loadPolicy(policy)?.vulnerabilities ?? .default
            let loaded: LoadedDatabase
            let importTimes: [Int64: Date]
            do {
                let database = try VulnerabilityDatabase(path: VulnerabilityDatabase.path(stateDirectory: directory), create: false)
                loaded = try database.loadIndex()
                importTimes = Dictionary(try database.status().imports.map { ($0.id, $0.importedAt) }, uniquingKeysWith: { a, _ in a })
            } catch let error as VulnerabilityDatabaseError {
                throw CannotEvaluate(error.message)
            }
            guard var gate = try loadVulnerabilityGate(stateDirectory: directory, policy: vulnerabilityPolicy, force: true) else {
                throw CannotEvaluate("no vulnerability database")
            }
            gate.index = loaded.index
            gate.lookup = nil
            let check: AuditLog.Check
            do {
                check = try AuditLog(directory: directory).verify()
            } catch let error as StationError {
                throw CannotEvaluate(error.message)
            }
            guard check.intact else { throw CannotEvaluate("the audit log is not intact (passbox log verify): its admissions cannot be trusted") }

            var deliveries: [ReassessedDelivery] = []
            for record in check.records where record.command == "admit" && record.verdict == "accepted" {
                guard let admitted = record.admitted else { continue }
                let folder = admitted.hasPrefix("/") ? admitted : to + "/" + admitted
                let sboms = try readAdmittedSBOMs(folder)
                let admittedAt = parseRFC3339(record.time)
                let report: VulnerabilityReport
                do {
                    report = try VulnerabilityScan.assess(gate: gate, sboms: sboms.map { ($0.path, $0.document) }).report
                } catch let error as EvaluationError {
                    throw CannotEvaluate(error.message)
                }
                var entry = ReassessedDelivery(seq: record.seq, time: record.time, folder: folder, product: record.product,
                                               version: record.version, sboms: sboms.count, findingsAtAdmission: record.findings.filter { $0.hasPrefix("vuln.") })
                for component in report.components {
                    for v in component.vulnerabilities where v.status == "affected" {
                        let ids = [v.id] + v.aliases
                        let firstSeen = ids.compactMap { loaded.firstImport[$0] }.min()
                        if sinceImport, firstSeen != loaded.lastImport { continue }
                        let knownAtAdmission = firstSeen.flatMap { importTimes[$0] }.map { time in admittedAt.map { time <= $0 } ?? false } ?? false
                        entry.vulnerabilities.append(.init(component: component.purl ?? "\(component.name)@\(component.version)",
                                                           document: component.document, id: v.id, aliases: v.aliases,
                                                           severity: v.severity, score: v.score, fixedVersion: v.fixedVersion,
                                                           level: v.level, knownAtAdmission: knownAtAdmission))
                    }
                }
                if !entry.vulnerabilities.isEmpty { deliveries.append(entry) }
            }
            let failing = deliveries.contains { $0.vulnerabilities.contains { $0.level == .error } }
            let output = ReassessOutput(database: gate.databasePath, failOn: vulnerabilityPolicy.failOn.rawValue,
                                        admissions: check.records.filter { $0.command == "admit" && $0.verdict == "accepted" }.count,
                                        affected: deliveries)
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                try emit(String(decoding: try encoder.encode(output), as: UTF8.self) + "\n", to: nil)
            case .text:
                try emitText(output.text(), to: nil)
            }
            throw ExitCode(failing ? Exit.rejected : Exit.accepted)
        }

        /// The SBOMs in an admitted folder: files named like SBOMs or that look like
        /// one, read with the SBOM limits; a folder that is gone is reported, not fatal.
        private func readAdmittedSBOMs(_ folder: String) throws -> [(path: String, document: SBOMDocument)] {
            guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
            var found: [(String, SBOMDocument)] = []
            var seen = 0
            while let relative = walker.nextObject() as? String {
                seen += 1
                guard seen <= 1_000_000 else { throw CannotEvaluate("\(folder): more than 1,000,000 entries") }
                let path = folder + "/" + relative
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                      let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                      (attributes[.type] as? FileAttributeType) == .typeRegular,
                      let size = attributes[.size] as? Int, size <= SBOMLimits().maxBytes else { continue }
                guard let handle = FileHandle(forReadingAtPath: path) else { continue }
                let head = (try? handle.read(upToCount: 8192)) ?? Data()
                try? handle.close()
                guard head.withUnsafeBytes({ looksLikeSBOM($0) }) || relative.lowercased().hasSuffix(".cdx.json") || relative.lowercased().hasSuffix(".spdx.json") else { continue }
                guard let data = try? readFile(path, limit: SBOMLimits().maxBytes), let document = try? SBOMDocument(data: data) else { continue }
                found.append((path, document))
            }
            return found
        }
    }
}

struct ReassessedDelivery: Codable {
    struct Vulnerability: Codable {
        var component: String
        var document: String
        var id: String
        var aliases: [String]
        var severity: String?
        var score: Double?
        var fixedVersion: String?
        /// error: at or above failOn.
        var level: Severity
        /// A record of this vulnerability was in the database when the delivery was admitted.
        var knownAtAdmission: Bool
    }
    var seq: Int
    var time: String
    var folder: String
    var product: String?
    var version: String?
    var sboms: Int
    /// The vuln.* finding codes the admission recorded.
    var findingsAtAdmission: [String]
    var vulnerabilities: [Vulnerability] = []
}

struct ReassessOutput: Codable {
    var database: String?
    var failOn: String
    var admissions: Int
    var affected: [ReassessedDelivery]

    func text() -> String {
        var out = "passbox vulndb reassess: \(affected.count) of \(admissions) admitted deliver\(admissions == 1 ? "y" : "ies") affected (failOn \(failOn))\n"
        for d in affected {
            let what = [d.product, d.version].compactMap { $0 }.joined(separator: " ")
            out += "  seq \(d.seq) \(d.time) \(terminalSafe(d.folder))\(what.isEmpty ? "" : " (\(terminalSafe(what)))")\n"
            for v in d.vulnerabilities {
                var line = "    \(v.level.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(v.component): \(([v.id] + v.aliases).joined(separator: ", "))"
                line += " [\(v.severity ?? "unknown")\(v.score.map { String(format: " %.1f", $0) } ?? "")]"
                line += v.fixedVersion.map { "; fixed in \($0)" } ?? "; no fix known"
                line += v.knownAtAdmission ? "; known at admission" : "; NEW since admission"
                out += terminalSafe(line) + "\n"
            }
        }
        return out
    }
}
