import Foundation
import InventoryStore
import PassboxKit
import Station
import Vulnerabilities
import VulnerabilityStore

// The inventory benchmark (Benchmarks/inventory.sh; numbers in docs/benchmarks.md):
// fills a store with DELIVERIES deliveries of COMPONENTS components each through the
// real recording path, then times a component query with a vers range, and recording
// one delivery of BIG components; prints bytes on disk per component.
//
//   inventory-bench sqlite:/tmp/x.sqlite [DELIVERIES] [COMPONENTS] [BIG] [postgres://...]
// With a postgres URL, the filled SQLite store is pushed there and the same is measured.

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: inventory-bench sqlite:PATH [deliveries=10000] [components=500] [big=50000] [postgres://URL]")
    exit(2)
}
let deliveries = arguments.count > 2 ? Int(arguments[2]) ?? 10_000 : 10_000
let perDelivery = arguments.count > 3 ? Int(arguments[3]) ?? 500 : 500
let big = arguments.count > 4 ? Int(arguments[4]) ?? 50_000 : 50_000
let postgres = arguments.count > 5 ? arguments[5] : nil
let rule = "pkg:maven/org.apache.logging.log4j/log4j-core@vers:maven/<2.17.1"

/// CPU seconds (user + system, all threads) this process has used: on a shared machine
/// the elapsed time also counts the time other processes had the cores.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// A deterministic generator (SplitMix64), so every run fills the same store.
struct Generator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

let ecosystems = ["maven", "npm", "pypi", "deb", "generic"]
let log4jVersions = ["2.9.0", "2.11.2", "2.14.1", "2.15.0", "2.16.0", "2.17.0", "2.17.1", "2.19.0", "2.20.0", "2.23.1"]

/// A report template with `count` components, decoded once and varied per delivery.
func template(components count: Int) throws -> Report {
    var entries: [[String: Any]] = []
    for i in 0..<count {
        entries.append(["name": "c\(i)", "version": "1.0.\(i)", "purl": "pkg:npm/c\(i)@1.0.\(i)", "license": "MIT",
                        "status": "approved", "reason": "allowed", "document": "sbom.cdx.json"])
    }
    let json: [String: Any] = [
        "mediaType": reportMediaType, "verdict": "accepted",
        "delivery": ["path": "/media/usb/d", "kind": "directory"],
        "files": (0..<20).map { ["path": "bin/f\($0).bin", "kind": "regular", "size": 4096,
                                "digests": ["sha256": String(repeating: "0", count: 64)], "status": "verified"] },
        "manifests": [["path": "manifest.dsse.json", "format": "dsse", "status": "verified",
                       "signatures": [["signer": "vendor", "status": "valid", "algorithm": "ed25519", "fingerprint": "SHA256:k"]],
                       "vendor": "Acme", "product": "p", "version": "1", "kind": "firmware"]],
        "sbom": ["documents": [["path": "sbom.cdx.json", "format": "cyclonedx", "specVersion": "1.6", "signed": true,
                                "components": count]],
                 "components": entries],
        "findings": [],
        "summary": ["files": 20, "bytes": 81920, "archives": 0, "byStatus": ["verified": 20]],
    ]
    return try JSONDecoder().decode(Report.self, from: JSONSerialization.data(withJSONObject: json))
}

func hex(_ value: UInt64) -> String {
    let h = String(value, radix: 16)
    return String(repeating: "0", count: 16 - h.count) + h
}

func decision(_ index: Int, _ base: Report, _ random: inout Generator) -> Decision {
    var report = base
    if var sbom = report.sbom {
        for i in sbom.components.indices {
            let ecosystem = ecosystems[random.below(ecosystems.count)]
            let package = random.below(5000)
            let version = "\(random.below(5)).\(random.below(30)).\(random.below(10))"
            let namespace = ecosystem == "maven" ? "org.example.g\(package % 50)/" : ""
            sbom.components[i].name = "pkg\(package)"
            sbom.components[i].version = version
            sbom.components[i].purl = "pkg:\(ecosystem)/\(namespace)pkg\(package)@\(version)"
        }
        // One delivery in ten carries log4j-core.
        if index % 10 == 0, !sbom.components.isEmpty {
            let version = log4jVersions[random.below(log4jVersions.count)]
            sbom.components[0].name = "log4j-core"
            sbom.components[0].version = version
            sbom.components[0].purl = "pkg:maven/org.apache.logging.log4j/log4j-core@\(version)"
        }
        report.sbom = sbom
    }
    for i in report.files.indices { report.files[i].digests = .init(sha256: hex(random.next()) + hex(random.next()) + hex(random.next()) + hex(random.next())) }
    var audit = AuditRecord(command: "admit", input: "/media/usb/d\(index)", deliverySha256: hex(random.next()) + String(repeating: "0", count: 48),
                            verdict: "accepted", findings: [], admitted: "p-\(index)",
                            time: Date(timeIntervalSince1970: 1_780_000_000 + Double(index) * 600))
    audit.seq = index + 1
    audit.station = "station-\(index % 4)"
    return Decision(command: "admit", input: "/media/usb/d\(index)", report: report, audit: audit, admittedFolder: "p-\(index)")
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

func queryTimes(_ store: DeliveryInventory) throws -> (median: Double, hits: Int) {
    var times: [Double] = []
    var hits = 0
    for _ in 0..<11 {
        times.append(try seconds { hits = try store.components(matching: rule, DeliveryFilter()).count })
    }
    return (median(times), hits)
}

// `inventory-bench query STORE`: the component query's time and the store's bytes per
// component on a store filled before (by this program, or by Benchmarks/pg-fill.sql).
// `inventory-bench push-big POSTGRES_URL [BIG]`: one delivery of BIG components recorded
// in a new local store and pushed to the central store, timed.
if arguments[1] == "query", arguments.count >= 3 {
    do {
        let store = try DeliveryInventory(try StoreLocation(arguments[2]), timeout: .seconds(120))
        let (time, hits) = try queryTimes(store)
        var everything = DeliveryFilter()
        everything.includeChecked = true
        let components = try store.deliveries(everything, limit: 10_000_000).reduce(0) { $0 + Int($1.components) }
        let bytes = try store.storageBytes()
        print("\(store.location.description.prefix(20)): components \(rule): \(hits) hits, median \(String(format: "%.1f", time * 1000)) ms (11 runs)")
        print("\(store.dialect.rawValue): \(bytes) bytes for \(components) components: \(bytes / Int64(max(1, components))) bytes per component (whole database)")
        store.close()
    } catch {
        print("inventory-bench: \(error)")
        exit(1)
    }
    exit(0)
}
if arguments[1] == "vulns", arguments.count >= 4 {
    // `inventory-bench vulns sqlite:PATH OSV_EXPORT [DELIVERIES] [COMPONENTS]`: `passbox inventory vulns` timed.
    do {
        try reassessBenchmark(store: arguments[2], export: arguments[3],
                              deliveries: arguments.count > 4 ? Int(arguments[4]) ?? 10_000 : 10_000,
                              components: arguments.count > 5 ? Int(arguments[5]) ?? 50 : 50)
    } catch {
        print("inventory-bench: \(error)")
        exit(1)
    }
    exit(0)
}
// `inventory-bench record-big sqlite:PATH [BIG]`: one delivery of BIG components recorded
// into a store filled before (Benchmarks/sqlite-fill.sql), timed, as `admit` records it.
if arguments[1] == "record-big", arguments.count >= 3 {
    do {
        let store = try DeliveryInventory(try StoreLocation(arguments[2]))
        let size = arguments.count > 3 ? Int(arguments[3]) ?? 50_000 : 50_000
        var everything = DeliveryFilter()
        everything.includeChecked = true
        let before = try store.deliveries(everything, limit: 10_000_000)
        var random = Generator(state: UInt64(Date().timeIntervalSince1970 * 1000))
        let big = decision(2_000_000 + random.below(1_000_000), try template(components: size), &random)
        let cpu = cpuSeconds()
        let time = try seconds { try store.record(big) }
        print("sqlite: recording one delivery of \(size) components into a store of \(before.count) deliveries, "
              + "\(before.reduce(0) { $0 + Int($1.components) }) components: \(String(format: "%.2f", time)) s"
              + " (\(String(format: "%.2f", cpuSeconds() - cpu)) s CPU)")
        store.close()
    } catch {
        print("inventory-bench: \(error)")
        exit(1)
    }
    exit(0)
}
if arguments[1] == "push-big", arguments.count >= 3 {
    do {
        let central = try DeliveryInventory(try StoreLocation(arguments[2]), timeout: .seconds(120))
        let size = arguments.count > 3 ? Int(arguments[3]) ?? 50_000 : 50_000
        let path = NSTemporaryDirectory() + "inventory-bench-\(UUID().uuidString).sqlite"
        let local = try DeliveryInventory(.sqlite(path: path))
        var random = Generator(state: UInt64(Date().timeIntervalSince1970 * 1000))
        let big = decision(900_000 + Int(random.below(100_000)), try template(components: size), &random)
        let record = try seconds { try local.record(big) }
        var pushed = PushResult()
        let cpu = cpuSeconds()
        let push = try seconds { pushed = try local.push(to: central) }
        let pushCPU = cpuSeconds() - cpu
        guard pushed.pushed == 1 else { throw InventoryError("the delivery was not pushed: \(pushed)") }
        print("recording one delivery of \(size) components: sqlite \(String(format: "%.2f", record)) s; push to postgres \(String(format: "%.2f", push)) s"
              + " (\(String(format: "%.2f", pushCPU)) s CPU in passbox, the server's not counted)")
        local.close()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        central.close()
    } catch {
        print("inventory-bench: \(error)")
        exit(1)
    }
    exit(0)
}

do {
    let location = try StoreLocation(arguments[1])
    guard case let .sqlite(path) = location else { throw InventoryError("the first store must be sqlite:PATH") }
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    let store = try DeliveryInventory(location)
    var random = Generator(state: 42)
    let base = try template(components: perDelivery)
    print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores (shared with other builds)")
    let fill = try seconds {
        for index in 0..<deliveries {
            try store.record(decision(index, base, &random))
            if index % 1000 == 999 { FileHandle.standardError.write(Data("  \(index + 1) deliveries\n".utf8)) }
        }
    }
    let components = deliveries * perDelivery
    print("sqlite: filled \(deliveries) deliveries x \(perDelivery) components in \(String(format: "%.1f", fill)) s")
    let (sqliteQuery, hits) = try queryTimes(store)
    print("sqlite: components \(rule): \(hits) hits, median \(String(format: "%.1f", sqliteQuery * 1000)) ms (11 runs)")
    let bytes = try store.storageBytes()
    print("sqlite: \(bytes) bytes, \(bytes / Int64(max(1, components))) bytes per component (all tables and indexes)")
    let bigDecision = decision(deliveries, try template(components: big), &random)
    let bigTime = try seconds { try store.record(bigDecision) }
    print("sqlite: recording one delivery of \(big) components: \(String(format: "%.2f", bigTime)) s")

    if let postgres {
        let central = try DeliveryInventory(try StoreLocation(postgres), timeout: .seconds(120))
        let push = try seconds { _ = try store.push(to: central) }
        print("postgres: pushed \(deliveries + 1) deliveries in \(String(format: "%.1f", push)) s")
        let (pgQuery, pgHits) = try queryTimes(central)
        print("postgres: components \(rule): \(pgHits) hits, median \(String(format: "%.1f", pgQuery * 1000)) ms (11 runs)")
        let pgBytes = try central.storageBytes()
        print("postgres: \(pgBytes) bytes, \(pgBytes / Int64(max(1, components + big))) bytes per component (whole database)")
        // One more 50,000-component delivery, pushed alone: what a station's push of it costs.
        let local = try DeliveryInventory(.sqlite(path: path + ".big"))
        let another = decision(deliveries + 1, try template(components: big), &random)
        try local.record(another)
        let bigPush = try seconds { _ = try local.push(to: central) }
        print("postgres: recording (push) one delivery of \(big) components: \(String(format: "%.2f", bigPush)) s")
        local.close()
        try? FileManager.default.removeItem(atPath: path + ".big")
        central.close()
    }
    store.close()
} catch {
    print("inventory-bench: \(error)")
    exit(1)
}
