import Foundation
import InventoryStore
import PassboxKit
import Station
import Vulnerabilities
import VulnerabilityStore

/// PyPI packages with PyPA advisories: most components of the benchmark's deliveries
/// are one of these at a random version, so a good share match a record.
let advisedPyPI = ["django", "flask", "jinja2", "pyyaml", "requests", "urllib3", "pillow", "numpy", "cryptography", "paramiko",
                   "lxml", "werkzeug", "sqlalchemy", "tornado", "twisted", "ansible", "salt", "setuptools", "pip", "aiohttp",
                   "babel", "bleach", "celery", "httplib2", "markdown", "mistune", "notebook", "pycrypto", "pygments", "pyjwt",
                   "rsa", "scrapy", "tensorflow", "waitress", "gunicorn", "ipython", "mako", "certifi", "py", "pyopenssl"]

/// `passbox inventory vulns` on a store of `deliveries` admitted deliveries of
/// `components` PyPI components each, against the given OSV export: the store is
/// filled and the export imported first (not timed), then the re-assessment is timed
/// (reading the admitted components, the records they name, matching and judging).
func reassessBenchmark(store: String, export: String, deliveries: Int, components: Int) throws {
    let location = try StoreLocation(store)
    guard case let .sqlite(path) = location else { throw InventoryError("vulns needs sqlite:PATH") }
    for suffix in ["", "-wal", "-shm"] {
        try? FileManager.default.removeItem(atPath: path + suffix)
    }
    let inventory = try DeliveryInventory(location)
    var random = Generator(state: 7)
    let base = try template(components: components)
    let fill = try seconds {
        for index in 0..<deliveries {
            var d = decision(index, base, &random)
            if var sbom = d.report.sbom {
                for i in sbom.components.indices {
                    let name = i % 5 == 4 ? "internal-tool-\(random.below(1000))" : advisedPyPI[random.below(advisedPyPI.count)]
                    let version = "\(random.below(4)).\(random.below(25)).\(random.below(8))"
                    sbom.components[i].name = name
                    sbom.components[i].version = version
                    sbom.components[i].purl = "pkg:pypi/\(name)@\(version)"
                }
                d.report.sbom = sbom
            }
            try inventory.record(d)
        }
    }
    print("sqlite: filled \(deliveries) admitted deliveries x \(components) PyPI components in \(String(format: "%.1f", fill)) s")
    // The vulnerability database lives in the same store (docs/vulnerabilities.md section 7).
    let database = VulnerabilityDatabase(inventory: inventory)
    let imported = try seconds { _ = try database.importSources([URL(fileURLWithPath: export)]) }
    let status = try database.status()
    print("vulndb: imported \(status.records) records from \(export) into the store in \(String(format: "%.1f", imported)) s")
    let gate = VulnerabilityGate(policy: .default, index: nil, database: try database.state(), databasePath: database.location)
    var times: [Double] = []
    var totals = VulnerabilityReassessment.Totals()
    var listed = 0
    for _ in 0..<3 {
        listed = 0
        times.append(try seconds {
            // As `passbox inventory vulns` runs it: deliveries a page at a time, each affected one
            // handed on (here counted; the CLI writes it out) and not kept.
            totals = try VulnerabilityReassessment.stream(inventory, gate: gate, database: database, sinceImport: false,
                                                          header: { _ in }, each: { listed += $0.vulnerabilities.count })
        })
    }
    print("inventory vulns: \(totals.admissions) admitted deliveries, \(totals.componentsChecked) components, "
        + "\(totals.affectedDeliveries) affected (\(listed) vulnerabilities listed): median \(String(format: "%.2f", median(times))) s "
        + "(runs \(times.map { String(format: "%.2f", $0) }.joined(separator: ", ")) s)")
    var pages = 0
    let read = try seconds { try inventory.forEachAdmittedDelivery { _ in pages += 1 } }
    print("  of which reading the \(pages) admitted deliveries' components and findings from the store: \(String(format: "%.2f", read)) s")
    inventory.close()
}
