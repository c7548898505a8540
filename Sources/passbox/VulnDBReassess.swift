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
            let admissions = try admittedDeliveries(directory)
            // One read of the records every admitted component needs (by ecosystem and name).
            let keys = VulnerabilityIndex.lookupKeys(for: admissions.flatMap { $0.sboms.flatMap(\.document.components) })
            let (loaded, importTimes) = try loadDatabase(directory, keys: keys)
            guard var gate = try loadVulnerabilityGate(stateDirectory: directory, policy: vulnerabilityPolicy, force: true) else {
                throw CannotEvaluate("no vulnerability database")
            }
            gate.index = loaded.index
            gate.lookup = nil
            var deliveries: [ReassessedDelivery] = []
            for admission in admissions {
                let entry = try reassess(admission, gate: gate, loaded: loaded, importTimes: importTimes)
                if !entry.vulnerabilities.isEmpty { deliveries.append(entry) }
            }
            let output = ReassessOutput(database: gate.databasePath, failOn: vulnerabilityPolicy.failOn.rawValue,
                                        admissions: admissions.count, affected: deliveries)
            try write(output)
            throw ExitCode(output.failing ? Exit.rejected : Exit.accepted)
        }

        /// Every accepted `admit` of the audit log (its chain checked first), with the
        /// SBOMs of its admitted folder.
        private func admittedDeliveries(_ directory: String) throws -> [(record: AuditRecord, folder: String, sboms: [(path: String, document: SBOMDocument)])] {
            let check: AuditLog.Check
            do {
                check = try AuditLog(directory: directory).verify()
            } catch let error as StationError {
                throw CannotEvaluate(error.message)
            }
            guard check.intact else { throw CannotEvaluate("the audit log is not intact (passbox log verify): its admissions cannot be trusted") }
            return try check.records.filter { $0.command == "admit" && $0.verdict == "accepted" }.compactMap { record in
                guard let admitted = record.admitted else { return nil }
                let folder = admitted.hasPrefix("/") ? admitted : to + "/" + admitted
                return (record, folder, try readAdmittedSBOMs(folder))
            }
        }

        private func loadDatabase(_ directory: String, keys: Set<PackageKey>) throws -> (LoadedDatabase, [Int64: Date]) {
            do {
                let database = try VulnerabilityDatabase(path: VulnerabilityDatabase.path(stateDirectory: directory), create: false)
                let times = Dictionary(try database.status().imports.map { ($0.id, $0.importedAt) }, uniquingKeysWith: { a, _ in a })
                return (try database.loadIndex(keys: keys), times)
            } catch let error as VulnerabilityDatabaseError {
                throw CannotEvaluate(error.message)
            }
        }

        /// One delivery against the current database: what affects it now, and whether a
        /// record of it was in the database when it was admitted.
        private func reassess(_ admission: (record: AuditRecord, folder: String, sboms: [(path: String, document: SBOMDocument)]),
                              gate: VulnerabilityGate, loaded: LoadedDatabase, importTimes: [Int64: Date]) throws -> ReassessedDelivery {
            let record = admission.record
            let report: VulnerabilityReport
            do {
                report = try VulnerabilityScan.assess(gate: gate, sboms: admission.sboms).report
            } catch let error as EvaluationError {
                throw CannotEvaluate(error.message)
            }
            let admittedAt = parseRFC3339(record.time)
            var entry = ReassessedDelivery(seq: record.seq, time: record.time, folder: admission.folder, product: record.product,
                                           version: record.version, sboms: admission.sboms.count,
                                           findingsAtAdmission: record.findings.filter { $0.hasPrefix("vuln.") })
            for component in report.components {
                for v in component.vulnerabilities where v.status == "affected" {
                    let firstSeen = ([v.id] + v.aliases).compactMap { loaded.firstImport[$0] }.min()
                    if sinceImport, firstSeen != loaded.lastImport { continue }
                    let known = firstSeen.flatMap { importTimes[$0] }.map { time in admittedAt.map { time <= $0 } ?? false } ?? false
                    entry.vulnerabilities.append(.init(component: component.purl ?? "\(component.name)@\(component.version)",
                                                       document: component.document, id: v.id, aliases: v.aliases,
                                                       severity: v.severity, score: v.score, fixedVersion: v.fixedVersion,
                                                       level: v.level, knownAtAdmission: known))
                }
            }
            return entry
        }

        private func write(_ output: ReassessOutput) throws {
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                try emit(String(decoding: try encoder.encode(output), as: UTF8.self) + "\n", to: nil)
            case .text:
                try emitText(output.text(), to: nil)
            }
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

    /// Some delivery has a vulnerability at or above failOn (exit 1).
    var failing: Bool { affected.contains { $0.vulnerabilities.contains { $0.level == .error } } }

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
