import ArgumentParser
import Attestation
import Foundation
import InventoryStore
import PassboxKit
import SafeText
import SBOM
import Station
import Vulnerabilities
import VulnerabilityStore

/// `passbox vulndb`: the station's offline vulnerability database (docs/vulnerabilities.md).
struct VulnDBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vulndb", abstract: "The offline vulnerability database: import OSV exports, show its state, re-assess what was admitted.",
        subcommands: [Import.self, Status.self, Reassess.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import OSV records (osv.dev all.zip exports, zips or directories of OSV JSON/YAML) into the inventory store (default STATE/inventory.sqlite).",
            discussion: "Verify the medium the export came on with passbox first (docs/vulnerabilities.md). Each source is imported in one transaction. Exit 0 imported, 2 a source could not be read (nothing of it imported).")

        @Argument(help: "all.zip exports, zips, directories or single files of OSV records.")
        var paths: [String]

        @OptionGroup var store: VulnDBStoreOptions

        func run() throws {
            do {
                let database = try store.open(create: true)
                defer { database?.close() }
                guard let database else { throw CannotEvaluate("no inventory store") }
                say("vulnerability database \(terminalSafe(database.location))")
                let results = try database.importSources(paths.map { URL(fileURLWithPath: $0) })
                for result in results {
                    let s = result.summary
                    var line = "imported \(terminalSafe(s.source)): \(s.accepted) record(s) (\(result.added) new, \(result.updated) updated, \(s.withdrawn) withdrawn)"
                    line += ", \(s.skippedTotal) skipped, \(s.ignored) other file(s) ignored; sha256 \(s.digest)"
                    say(line)
                    for (reason, count) in s.skipped.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                        say("  skipped \(count): \(reason.rawValue)")
                    }
                    for sample in s.skipSamples.prefix(5) { say("    e.g. \(terminalSafe(sample))") }
                }
            } catch let error as VulnerabilityDatabaseError {
                throw CannotEvaluate(error.message)
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Records per ecosystem, the imports, and the database's age (exit 0; 2 when there is no database).")

        @OptionGroup var store: VulnDBStoreOptions

        @Option(name: .long, help: "Policy YAML whose vulnerabilities.maxDatabaseAge judges the age (default 30d).")
        var policy: String?

        func run() throws {
            let maxAge = try loadPolicy(policy)?.vulnerabilities?.maxDatabaseAge ?? VulnerabilityPolicy.default.maxDatabaseAge
            let status: VulnerabilityDatabaseStatus
            let state: DatabaseState
            let location: String
            do {
                let opened = try store.open(create: false)
                defer { opened?.close() }
                guard let database = opened, try database.hasImports() else {
                    throw CannotEvaluate("no vulnerability database in \(store.describe()) (passbox vulndb import)")
                }
                status = try database.status()
                state = try database.state()
                location = database.location
            } catch let error as VulnerabilityDatabaseError {
                throw CannotEvaluate(error.message)
            }
            say("vulnerability database \(terminalSafe(location))")
            say("  records    \(status.records) (\(status.withdrawn) withdrawn, kept, never match)")
            for (ecosystem, count) in status.byEcosystem { say("  \(terminalSafe(ecosystem).padding(toLength: 16, withPad: " ", startingAt: 0)) \(count)") }
            if let time = state.importedAt {
                let days = Int(Date().timeIntervalSince(time) / 86_400)
                let stale = Date().timeIntervalSince(time) > maxAge
                say("  data of    \(RFC3339.format(time)) (\(days) day(s) old\(stale ? ", STALE: over maxDatabaseAge \(Int(maxAge / 86_400)) day(s)" : ""))")
            }
            for i in status.imports {
                say("  import \(i.id)   \(RFC3339.format(i.importedAt)) \(terminalSafe(i.source)) sha256 \(i.digest): \(i.accepted) accepted (\(i.added) new, \(i.updated) updated), \(i.skipped) skipped")
            }
        }
    }
}

/// Where `vulndb import|status` find the database: `--store`, else the station's own
/// inventory store (`STATE/inventory.sqlite`, into which an earlier `STATE/vulndb.sqlite`
/// is copied once).
struct VulnDBStoreOptions: ParsableArguments {
    @Option(name: .long, help: "sqlite:PATH or postgres://USER@HOST:PORT/DB (default: sqlite:STATE/inventory.sqlite; a password in $PGPASSWORD).")
    var store: String?

    @Option(name: .long, help: "The station's state directory (default: $PASSBOX_STATE_DIR, else $XDG_STATE_HOME/passbox, else ~/.local/state/passbox).")
    var state: String?

    @Option(name: .long, help: "Seconds to wait for a PostgreSQL server's answer (default 10).")
    var timeout: Int = 10

    func describe() -> String {
        store.map { (try? StoreLocation($0).description) ?? $0 } ?? StoreLocation.station(stateDirectory: resolveStateDirectory(option: state)).description
    }

    /// The database (nil: reading, and the SQLite file does not exist).
    func open(create: Bool) throws -> VulnerabilityDatabase? {
        let directory = resolveStateDirectory(option: state)
        guard let store else { return try VulnerabilityDatabase.station(stateDirectory: directory, create: create, notice: warn) }
        let location: StoreLocation
        do {
            location = try StoreLocation(store)
        } catch {
            throw CannotEvaluate("\(error)")
        }
        if !create, case let .sqlite(path) = location, !FileManager.default.fileExists(atPath: path) { return nil }
        do {
            return try VulnerabilityDatabase(location, timeout: .seconds(max(1, timeout)))
        } catch {
            throw VulnerabilityDatabaseError("\(error)")
        }
    }
}

/// The policy file, or nil when none is given (policy errors: exit 2).
func loadPolicy(_ path: String?) throws -> Policy? {
    guard let path else { return nil }
    do {
        return try Policy.load(path: path)
    } catch let error as PolicyError {
        throw CannotEvaluate("policy \(error)")
    }
}

/// The vulnerability gate for `verify` and `admit` (`StationVulnerabilities.gate`),
/// its errors as "could not evaluate".
func loadVulnerabilityGate(stateDirectory: String, policy: VulnerabilityPolicy?, force: Bool = false) throws -> VulnerabilityGate? {
    do {
        return try StationVulnerabilities.gate(stateDirectory: stateDirectory, policy: policy, force: force, notice: warn)
    } catch let error as VulnerabilityDatabaseError {
        throw CannotEvaluate(error.message)
    }
}

/// `passbox sbom --vulns`: the given SBOMs' components against the station's database.
enum SBOMVulnerabilities {
    static func scan(files: [String], state: String?, policy: VulnerabilityPolicy?, vex: [String]) throws -> (report: VulnerabilityReport, findings: [Finding]) {
        guard let gate = try loadVulnerabilityGate(stateDirectory: resolveStateDirectory(option: state), policy: policy, force: true) else {
            throw CannotEvaluate("no vulnerability database")
        }
        var documents: [(path: String, document: SBOMDocument)] = []
        for file in files {
            do {
                documents.append((file, try SBOMDocument(data: try readFile(file, limit: SBOMLimits().maxBytes))))
            } catch {
                throw CannotEvaluate("\(file): \(error)")
            }
        }
        var statements: [VEXDocumentStatements] = []
        for file in vex {
            let data: Data
            do {
                data = try readFile(file, limit: VEXLimits.default.maxBytes)
            } catch {
                throw CannotEvaluate("\(file): \(error)")
            }
            guard let document = VulnerabilityScan.readVEXDocument(data, path: file, origin: "operator", trusted: true) else {
                throw CannotEvaluate("\(file): neither an OpenVEX document nor a CycloneDX VEX (JSON or XML)")
            }
            statements.append(document)
        }
        // CycloneDX SBOMs may carry their own VEX (vulnerabilities[].analysis).
        for file in files {
            if let data = try? readFile(file, limit: SBOMLimits().maxBytes),
               let document = VulnerabilityScan.readVEXDocument(data, path: file, origin: "operator", trusted: true), !document.statements.isEmpty {
                statements.append(document)
            }
        }
        do {
            return try VulnerabilityScan.assess(gate: gate, sboms: documents, vex: statements)
        } catch let error as EvaluationError {
            throw CannotEvaluate(error.message)
        }
    }
}
