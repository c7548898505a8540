import ArgumentParser
import Attestation
import Foundation
import InventoryStore
import SafeText
import Station

/// `passbox inventory ...`: what entered the zone, from the store (docs/inventory.md).
struct InventoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Query the inventory of decisions: deliveries, components, files; check it against the audit log; push it to the plant's PostgreSQL.",
        subcommands: [Deliveries.self, Components.self, Files.self, Show.self, Check.self, Push.self, Vulns.self])
}

enum InventoryFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, csv
}

struct InventoryOptions: ParsableArguments {
    @Option(name: .long, help: "sqlite:PATH or postgres://USER@HOST:PORT/DB (default: sqlite:STATE/inventory.sqlite; a password in $PGPASSWORD).")
    var store: String?

    @Option(name: .long, help: "The station's state directory (default: $PASSBOX_STATE_DIR, else $XDG_STATE_HOME/passbox, else ~/.local/state/passbox).")
    var state: String?

    @Option(name: .long, help: "text, json or csv.")
    var format: InventoryFormat = .text

    @Option(name: .long, help: "Seconds to wait for a PostgreSQL server's answer (default 10).")
    var timeout: Int = 10

    var stateDirectory: String { resolveStateDirectory(option: state) }

    func location() throws -> StoreLocation {
        guard let store else { return .station(stateDirectory: stateDirectory) }
        do {
            return try StoreLocation(store)
        } catch {
            throw CannotEvaluate("\(error)")
        }
    }

    func open() throws -> DeliveryInventory {
        let location = try location()
        if case let .sqlite(path) = location, !FileManager.default.fileExists(atPath: path) {
            throw CannotEvaluate("no inventory at \(path) (nothing recorded yet, or another --state/--store)")
        }
        do {
            return try DeliveryInventory(location, timeout: .seconds(max(1, timeout)))
        } catch {
            throw CannotEvaluate("\(error)")
        }
    }
}

struct FilterOptions: ParsableArguments {
    @Option(name: .long, help: "Only deliveries of this vendor (as its manifest names it).")
    var vendor: String?
    @Option(name: .long, help: "Only this product.")
    var product: String?
    @Option(name: .long, help: "Only this kind (the manifest's kind: firmware, ...).")
    var kind: String?
    @Option(name: .long, help: "Only decisions at or after this RFC 3339 time or date (2026-12-01).")
    var since: String?
    @Option(name: .long, help: "Only decisions before this RFC 3339 time or date.")
    var until: String?
    @Option(name: .long, help: "Only accepted or rejected decisions.")
    var verdict: String?
    @Option(name: .long, help: "Only decisions of this station (its host name).")
    var station: String?
    @Option(name: .long, help: "Only decisions by this person or token:NAME (also either of an approved admission's OPERATOR+APPROVER).")
    var `operator`: String?
    @Flag(name: .long, help: "Also decisions that admitted nothing (verify, refused admits); default: admitted deliveries only.")
    var all = false

    var filter: DeliveryFilter {
        var filter = DeliveryFilter()
        filter.vendor = vendor
        filter.product = product
        filter.kind = kind
        filter.since = since
        filter.until = until
        filter.verdict = verdict
        filter.station = station
        filter.operatorName = `operator`
        filter.includeChecked = all
        return filter
    }
}

/// Runs a query, turning store errors into "could not evaluate".
func querying<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as CannotEvaluate {
        throw error
    } catch {
        throw CannotEvaluate("\(error)")
    }
}

extension InventoryCommand {
    struct Deliveries: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List deliveries, newest first.")
        @OptionGroup var options: InventoryOptions
        @OptionGroup var filters: FilterOptions
        @Option(name: .long, help: "At most this many, newest first (default 1000).")
        var limit = 1000

        func validate() throws { try validateLimit(limit) }

        func run() throws {
            let inventory = try options.open()
            defer { inventory.close() }
            let list = try querying { try inventory.deliveries(filters.filter, limit: limit) }
            try InventoryPrinter.deliveries(list, format: options.format)
            noteLimit(list.count, limit, what: "deliveries")
        }
    }

    struct Components: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Components matching a policy rule, with the delivery each came in.",
            discussion: "RULE as in the policy: pkg:maven/org.apache.logging.log4j/log4j-core@vers:maven/<2.17.1, pkg:npm/*, zlib@vers:generic/<1.3, cpe:2.3:... A component whose version is missing or not valid in the range's scheme is listed.")
        @Argument(help: "The rule.")
        var rule: String
        @OptionGroup var options: InventoryOptions
        @OptionGroup var filters: FilterOptions
        @Option(name: .long, help: "At most this many components, newest deliveries first (default 10000).")
        var limit = 10_000

        func validate() throws { try validateLimit(limit) }

        func run() throws {
            let inventory = try options.open()
            defer { inventory.close() }
            let hits = try querying { try inventory.components(matching: rule, filters.filter, limit: limit) }
            try InventoryPrinter.components(hits, format: options.format)
            noteLimit(hits.count, limit, what: "components")
        }
    }

    struct Files: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Files by sha256 or by a glob on the path, with delivery, medium, operator and signers.")
        @Option(name: .long, help: "The file's sha256 (hex).")
        var sha256: String?
        @Option(name: .long, help: "A glob on the path in the delivery (* any characters, / included; ? one).")
        var name: String?
        @OptionGroup var options: InventoryOptions
        @OptionGroup var filters: FilterOptions
        @Option(name: .long, help: "At most this many files, newest deliveries first (default 10000).")
        var limit = 10_000

        func validate() throws {
            guard sha256 != nil || name != nil else { throw ValidationError("give --sha256 HEX or --name GLOB") }
            try validateLimit(limit)
        }

        func run() throws {
            let inventory = try options.open()
            defer { inventory.close() }
            let hits = try querying { try inventory.files(sha256: sha256, nameGlob: name, filters.filter, limit: limit) }
            try InventoryPrinter.files(hits, format: options.format)
            noteLimit(hits.count, limit, what: "files")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Everything recorded about one delivery: by id, STATION:SEQ, admitted folder, or sha256 (prefix of 8+ hex digits).")
        @Argument(help: "The delivery.")
        var delivery: String
        @OptionGroup var options: InventoryOptions
        @Option(name: .long, help: "Show at most this many files and this many components (default \(DetailPage.defaultLimit)).")
        var limit = DetailPage.defaultLimit
        @Option(name: .long, help: "Skip this many files and this many components first (default 0: from the first recorded).")
        var offset = 0

        func validate() throws {
            try validateLimit(limit)
            guard (0...1_000_000_000).contains(offset) else { throw ValidationError("--offset must be from 0 to 1000000000") }
        }

        func run() throws {
            let inventory = try options.open()
            defer { inventory.close() }
            guard let detail = try querying({ try inventory.show(delivery, page: DetailPage(offset: offset, limit: limit)) }) else {
                throw CannotEvaluate("no delivery \(delivery) in \(inventory.location.description)")
            }
            try InventoryPrinter.detail(detail, format: options.format)
            let s = detail.delivery
            if Int64(offset + detail.files.count) < s.files || Int64(offset + detail.components.count) < s.components {
                warn("files \(InventoryPrinter.shown(detail.files.count, of: s.files, from: offset)), components "
                     + "\(InventoryPrinter.shown(detail.components.count, of: s.components, from: offset)): --offset \(offset + limit) for the next")
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare the store with the station's audit log; name every decision missing from the store (exit 1 when any).")
        @OptionGroup var options: InventoryOptions

        func run() throws {
            let inventory = try options.open()
            defer { inventory.close() }
            let check = try querying { try inventory.check(against: AuditLog(directory: options.stateDirectory)) }
            try InventoryPrinter.check(check, format: options.format)
            if !check.missing.isEmpty || !check.auditProblems.isEmpty { throw ExitCode(Exit.rejected) }
        }
    }

    struct Push: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Push the decisions not yet pushed to the plant's central PostgreSQL (idempotent; run after each admit, and again later when it failed).",
            discussion: "Exit 0: everything pushed; 2: the central store could not be reached or refused (nothing lost: the rest is pushed next time).")
        @Option(name: .long, help: "The central store: postgres://USER@HOST:PORT/DB (default: $PASSBOX_INVENTORY_CENTRAL).")
        var to: String?
        @OptionGroup var options: InventoryOptions

        func run() throws {
            guard let target = to ?? ProcessInfo.processInfo.environment["PASSBOX_INVENTORY_CENTRAL"] else {
                throw CannotEvaluate("push needs --to postgres://USER@HOST:PORT/DB (or $PASSBOX_INVENTORY_CENTRAL)")
            }
            let local = try options.open()
            defer { local.close() }
            let central: DeliveryInventory
            do {
                central = try DeliveryInventory(try StoreLocation(target), timeout: .seconds(max(1, options.timeout)))
            } catch {
                let waiting = (try? local.pendingPushCount()) ?? 0
                throw CannotEvaluate("\(error) (\(waiting) decision(s) wait to be pushed; run push again later)")
            }
            defer { central.close() }
            do {
                let result = try local.push(to: central)
                try InventoryPrinter.push(result, to: central.location.description, format: options.format)
            } catch let failure as PushFailure {
                throw CannotEvaluate(failure.description)
            } catch {
                throw CannotEvaluate("\(error)")
            }
        }
    }
}

/// `--limit` of the listings: 1 to 100,000,000.
func validateLimit(_ limit: Int) throws {
    guard (1...100_000_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 100000000") }
}

/// A listing cut at its `--limit` says so on standard error (standard output stays the
/// list, for scripts).
func noteLimit(_ count: Int, _ limit: Int, what: String) {
    if count >= limit { warn("the first \(limit) \(what) shown; there may be more (--limit)") }
}

/// Settings: the station's own inventory, where every verify and admit is recorded.
/// `PASSBOX_INVENTORY=off` records nothing; `PASSBOX_INVENTORY=sqlite:PATH` records there.
func stationInventory(stateDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> (any DecisionStore)? {
    let setting = environment["PASSBOX_INVENTORY"] ?? ""
    if setting == "off" { return nil }
    do {
        let location: StoreLocation = setting.isEmpty ? .station(stateDirectory: stateDirectory) : try StoreLocation(setting)
        if case .postgres = location {
            throw InventoryError("PASSBOX_INVENTORY must be sqlite:PATH (the station records locally; `passbox inventory push` sends to PostgreSQL)")
        }
        if setting.isEmpty { try ensureStateDirectory(stateDirectory) }
        return try DeliveryInventory(location)
    } catch {
        return UnavailableStore(reason: "\(error)")
    }
}

/// A store that could not be opened: every record fails with the reason (verify warns,
/// admit refuses).
struct UnavailableStore: DecisionStore {
    let reason: String
    func record(_ decision: Decision) throws {
        throw InventoryError(reason)
    }
}
