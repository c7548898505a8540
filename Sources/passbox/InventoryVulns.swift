import ArgumentParser
import Attestation
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
            discussion: "Deliveries and vulnerability records are read from the same store (--store; default the station's STATE/inventory.sqlite, filled by passbox vulndb import). Each affected delivery is written as soon as it is evaluated. Exit status: 0 none at or above failOn, 1 some delivery is, 2 could not evaluate (no database, no inventory).")
        @OptionGroup var options: InventoryOptions
        @OptionGroup var filters: VulnsFilterOptions
        @Option(name: .long, help: "Policy YAML whose vulnerabilities: section applies (failOn, unknownSeverity, ignore).")
        var policy: String?
        @Flag(name: .long, help: "List only vulnerabilities whose records came with the newest import.")
        var sinceImport = false

        func run() throws {
            let totals = try InventoryVulnerabilities.reassess(options: options, filters: filters, policy: policy, sinceImport: sinceImport)
            if totals.failing { throw ExitCode(Exit.rejected) }
        }
    }
}

/// The delivery filters of `inventory vulns`: those of the other listings that apply
/// to admitted deliveries (docs/vulnerabilities.md section 9).
struct VulnsFilterOptions: ParsableArguments {
    @Option(name: .long, help: "Only deliveries of this vendor (as its manifest names it).")
    var vendor: String?
    @Option(name: .long, help: "Only this product.")
    var product: String?
    @Option(name: .long, help: "Only this kind (the manifest's kind: firmware, ...).")
    var kind: String?
    @Option(name: .long, help: "Only deliveries admitted at or after this RFC 3339 time or date (2026-12-01).")
    var since: String?
    @Option(name: .long, help: "Only deliveries admitted before this RFC 3339 time or date.")
    var until: String?
    @Option(name: .long, help: "Only deliveries admitted at this station (its host name).")
    var station: String?
    @Option(name: .long, help: "Only deliveries admitted by this person or token:NAME (also either of OPERATOR+APPROVER).")
    var `operator`: String?
    @Option(name: .long, help: "Only this delivery: id, STATION:SEQ, admitted folder, or sha256 (prefix of 8+ hex digits), as inventory show takes it.")
    var delivery: String?

    /// The filter, with `--delivery` resolved in `inventory` (exit 2 when it names none).
    func filter(in inventory: DeliveryInventory) throws -> DeliveryFilter {
        var filter = DeliveryFilter()
        filter.vendor = vendor
        filter.product = product
        filter.kind = kind
        filter.since = since
        filter.until = until
        filter.station = station
        filter.operatorName = `operator`
        if let delivery {
            guard let id = try querying({ try inventory.resolveDelivery(delivery) }) else {
                throw CannotEvaluate("no delivery \(delivery) in \(inventory.location.description)")
            }
            filter.deliveryID = id
        }
        return filter
    }
}

enum InventoryVulnerabilities {
    /// The inventory's admitted deliveries against the vulnerability records of the same
    /// store, written out per delivery as they are evaluated; every failure to evaluate
    /// is exit 2.
    static func reassess(options: InventoryOptions, filters: VulnsFilterOptions? = nil, policy: String?,
                         sinceImport: Bool) throws -> VulnerabilityReassessment.Totals {
        let vulnerabilityPolicy = try loadPolicy(policy)?.vulnerabilities ?? .default
        let directory = options.stateDirectory
        if case let .sqlite(path) = try options.location(), !FileManager.default.fileExists(atPath: path) {
            throw CannotEvaluate("no inventory and no vulnerability database at \(path) (passbox vulndb import; nothing admitted yet, or another --state/--store)")
        }
        let inventory = try options.open()
        defer { inventory.close() }
        // The records come from the same store as the deliveries.
        let database = VulnerabilityDatabase(inventory: inventory)
        let gate: VulnerabilityGate
        do {
            if inventory.location == .station(stateDirectory: directory),
               let copied = try database.copyLegacyFile(directory + "/" + VulnerabilityDatabase.legacyFileName) {
                warn("copied the vulnerability database of an earlier passbox (\(copied.imports) import(s), \(copied.records) record(s))"
                     + " into \(database.location); \(directory)/\(VulnerabilityDatabase.legacyFileName) is no longer read and can be deleted")
            }
            guard try database.hasImports() else {
                throw CannotEvaluate("no vulnerability database in \(inventory.location.description) (passbox vulndb import)")
            }
            let stationVEX = try VulnerabilityGate.readStationVEX(directory: directory + "/vex")
            gate = VulnerabilityGate(policy: vulnerabilityPolicy, index: nil, database: try database.state(),
                                     databasePath: database.location, stationVEX: stationVEX)
        } catch let error as EvaluationError {
            throw CannotEvaluate("station VEX: \(error.message)")
        } catch let error as VulnerabilityDatabaseError {
            throw CannotEvaluate(error.message)
        }
        let filter = try (filters ?? VulnsFilterOptions.parse([])).filter(in: inventory)
        var writer = ReassessmentWriter(format: options.format)
        let totals = try querying {
            try VulnerabilityReassessment.stream(inventory, filter: filter, gate: gate, database: database, sinceImport: sinceImport,
                                                 header: { try writer.header($0) }, each: { try writer.delivery($0) })
        }
        try writer.finish(totals)
        return totals
    }
}

/// `inventory vulns` output, written as it comes: text and CSV a delivery at a time,
/// JSON as one document whose `affected` array is written element by element.
struct ReassessmentWriter {
    let format: InventoryFormat
    private var header: VulnerabilityReassessment.Header?
    private var first = true

    init(format: InventoryFormat) { self.format = format }

    static let csvHeader = ["delivery", "station", "seq", "time", "folder", "vendor", "product", "version", "component", "id", "aliases",
                            "severity", "score", "fixed", "level", "at_admission", "in_database_at_admission"]

    mutating func header(_ header: VulnerabilityReassessment.Header) throws {
        self.header = header
        switch format {
        case .json:
            // The header's members, then the array: `{"store": ..., "affected": [`.
            let object = try JSONOutput.encoder(compact: true).encode(header)
            write(String(decoding: object.dropLast(), as: UTF8.self) + ",\"affected\":[\n")
        case .csv:
            write(Self.csvHeader.joined(separator: ",") + "\r\n")
        case .text:
            say("passbox inventory vulns: store \(header.store); database \(header.database)"
                + (header.databaseTime.map { ", data of \($0)" } ?? ""))
        }
    }

    mutating func delivery(_ d: VulnerabilityReassessment.Delivery) throws {
        switch format {
        case .json:
            let data = try JSONOutput.encoder(compact: true).encode(d)
            write((first ? "" : ",\n") + String(decoding: data, as: UTF8.self))
        case .csv:
            var out = ""
            for v in d.vulnerabilities {
                let row = [String(d.id), d.station, d.seq.map(String.init) ?? "", d.time, d.folder ?? "", d.vendor ?? "", d.product ?? "",
                           d.version ?? "", v.component, v.id, v.aliases.joined(separator: " "), v.severity ?? "unknown",
                           v.score.map { String(format: "%.1f", $0) } ?? "", v.fixedVersion ?? "", v.level.rawValue, v.atAdmission ?? "new",
                           v.inDatabaseAtAdmission ? "yes" : "no"]
                out += row.map(InventoryPrinter.csvCell).joined(separator: ",") + "\r\n"
            }
            write(out)
        case .text:
            let what = [d.vendor, d.product, d.version].compactMap { $0 }.joined(separator: " ")
            say("  #\(d.id) \(d.station):\(d.seq.map(String.init) ?? "-") \(d.time) \(d.folder ?? "")" + (what.isEmpty ? "" : " (\(what))"))
            for v in d.vulnerabilities { say("    " + InventoryPrinter.line(v)) }
        }
        first = false
    }

    func finish(_ totals: VulnerabilityReassessment.Totals) throws {
        switch format {
        case .json:
            let object = try JSONOutput.encoder(compact: true).encode(totals)
            write("\n]," + String(decoding: object.dropFirst(), as: UTF8.self) + "\n")
        case .csv:
            break
        case .text:
            let n = totals.admissions
            say("passbox inventory vulns: \(totals.affectedDeliveries) of \(n) admitted deliver\(n == 1 ? "y" : "ies") affected (failOn "
                + "\(header?.failOn ?? "")" + ((header?.sinceImport ?? false) ? ", newest import only" : "") + "); "
                + "\(totals.componentsChecked) component(s) checked")
        }
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

extension InventoryPrinter {
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
