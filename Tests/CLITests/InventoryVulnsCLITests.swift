import Foundation
import XCTest

/// `passbox inventory vulns` (and its earlier name `vulndb reassess`): the admitted
/// deliveries of the inventory against the current vulnerability database.
final class InventoryVulnsCLITests: XCTestCase {
    /// Admits `root` into prod/ with the station key (made once per workspace).
    private func admit(_ w: Workspace, _ root: String = "delivery", file: StaticString = #filePath, line: UInt = #line) throws {
        if !FileManager.default.fileExists(atPath: w.url("keys/station.key").path) { try w.key("station", trusted: false) }
        try FileManager.default.createDirectory(at: w.url("prod"), withIntermediateDirectories: true)
        let r = try w.passbox(["admit", root, "--to", "prod", "--station-key", "keys/station.key", "--trust-store", "ts"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr, file: file, line: line)
    }

    private func vulns(_ w: Workspace, _ extra: [String] = []) throws -> RunResult {
        try w.passbox(["inventory", "vulns", "--state", w.stateDirectory.path] + extra)
    }

    private func json(_ r: RunResult) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout + r.stderr)
    }

    /// (id, atAdmission) of every vulnerability listed, per delivery version.
    private func listed(_ output: [String: Any]) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for delivery in output["affected"] as? [[String: Any]] ?? [] {
            let version = delivery["version"] as? String ?? "?"
            for v in delivery["vulnerabilities"] as? [[String: Any]] ?? [] {
                out[version, default: []].append("\(v["id"] as? String ?? "?"):\(v["atAdmission"] as? String ?? "new")")
            }
        }
        return out.mapValues { $0.sorted() }
    }

    func testNewAdvisoryMarksAnAdmittedDeliveryAffected() throws {
        let w = try Workspace()
        try w.write("export1/TEST-2020-1.json", osvRecord("TEST-2020-1", package: "examplepkg", fixed: "1.0", alias: "CVE-2020-0001"))
        try w.importVulnDB(w.url("export1").path)
        try w.signedPyPIDelivery(components: ["pyyaml==5.3.1", "examplepkg==1.2"])
        try admit(w)

        let before = try vulns(w)
        XCTAssertEqual(before.status, 0, before.stdout + before.stderr)
        XCTAssertTrue(before.stdout.contains("0 of 1 admitted delivery affected"), before.stdout)

        // A new advisory arrives: pyyaml before 5.4.
        try w.write("export2/TEST-2026-7.json", osvRecord("TEST-2026-7", package: "PyYAML", fixed: "5.4", alias: "CVE-2026-7777"))
        try w.importVulnDB(w.url("export2").path)
        let after = try vulns(w)
        XCTAssertEqual(after.status, 1, after.stdout + after.stderr)
        XCTAssertTrue(after.stdout.contains("1 of 1 admitted delivery affected (failOn high)"), after.stdout)
        XCTAssertTrue(after.stdout.contains("pkg:pypi/pyyaml@5.3.1: TEST-2026-7, CVE-2026-7777 [unknown]; fixed in 5.4; NEW since admission"), after.stdout)
        XCTAssertTrue(after.stdout.contains("Acme etcher 2.4"), after.stdout)

        // With failOn critical the unknown severity (counted as high) does not fail.
        try w.write("policy.yaml", "vulnerabilities:\n  failOn: critical\n")
        let lenient = try vulns(w, ["--policy", "policy.yaml"])
        XCTAssertEqual(lenient.status, 0, lenient.stdout + lenient.stderr)
        XCTAssertTrue(lenient.stdout.contains("warning pkg:pypi/pyyaml@5.3.1"), lenient.stdout)

        // The earlier command name gives the same answer (its --to is no longer needed).
        let alias = try w.passbox(["vulndb", "reassess", "--state", w.stateDirectory.path, "--to", "prod"])
        XCTAssertEqual(alias.status, 1, alias.stdout + alias.stderr)
        XCTAssertTrue(alias.stdout.contains("pkg:pypi/pyyaml@5.3.1: TEST-2026-7"), alias.stdout)
    }

    func testSinceImportListsOnlyTheNewestImportsRecordsAndWhatAdmissionReported() throws {
        let w = try Workspace()
        try w.write("export1/TEST-2020-1.json", osvRecord("TEST-2020-1", package: "examplepkg", fixed: "1.0", alias: "CVE-2020-0001"))
        try w.importVulnDB(w.url("export1").path)
        // Admitted although affected: failOn critical lets the unknown severity through (a warning).
        try w.write("policy.yaml", "vulnerabilities:\n  failOn: critical\n")
        try w.signedPyPIDelivery(components: ["pyyaml==5.3.1", "examplepkg==0.9"])
        try FileManager.default.createDirectory(at: w.url("prod"), withIntermediateDirectories: true)
        try w.key("station", trusted: false)
        let first = try w.passbox(["admit", "delivery", "--to", "prod", "--station-key", "keys/station.key", "--trust-store", "ts",
                                   "--policy", "policy.yaml"])
        XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
        try w.signedPyPIDelivery(components: ["pyyaml==5.4.1"], root: "delivery2", version: "2.5")
        try admit(w, "delivery2")

        try w.write("export2/TEST-2026-7.json", osvRecord("TEST-2026-7", package: "PyYAML", fixed: "5.4", alias: "CVE-2026-7777"))
        try w.importVulnDB(w.url("export2").path)

        let all = try vulns(w, ["--format", "json"])
        XCTAssertEqual(all.status, 1, all.stdout + all.stderr)
        let output = try json(all)
        XCTAssertEqual(output["admissions"] as? Int, 2)
        XCTAssertEqual(listed(output), ["2.4": ["TEST-2020-1:affected", "TEST-2026-7:new"]])
        let delivery = try XCTUnwrap((output["affected"] as? [[String: Any]])?.first)
        let atAdmission = try XCTUnwrap(delivery["findingsAtAdmission"] as? [[String: Any]])
        // The records are of 2020: the admission also said the database was stale.
        XCTAssertEqual(atAdmission.compactMap { $0["code"] as? String }.sorted(), ["vuln.affected", "vuln.database-stale"])
        let old = try XCTUnwrap((delivery["vulnerabilities"] as? [[String: Any]])?.first { $0["id"] as? String == "TEST-2020-1" })
        XCTAssertEqual(old["knownAtAdmission"] as? Bool, true)
        XCTAssertEqual(old["inDatabaseAtAdmission"] as? Bool, true)

        let newest = try vulns(w, ["--format", "json", "--since-import"])
        XCTAssertEqual(newest.status, 1, newest.stdout + newest.stderr)
        XCTAssertEqual(listed(try json(newest)), ["2.4": ["TEST-2026-7:new"]])

        // A third import with nothing that matches: --since-import lists nothing, exit 0.
        try w.write("export3/TEST-2026-9.json", osvRecord("TEST-2026-9", package: "otherpkg", fixed: "1.0", alias: "CVE-2026-9999"))
        try w.importVulnDB(w.url("export3").path)
        let quiet = try vulns(w, ["--since-import"])
        XCTAssertEqual(quiet.status, 0, quiet.stdout + quiet.stderr)
        XCTAssertTrue(quiet.stdout.contains("0 of 2 admitted deliveries affected (failOn high, newest import only)"), quiet.stdout)
    }

    func testWithoutDatabaseOrInventoryCannotEvaluate() throws {
        let w = try Workspace()
        let nothing = try vulns(w)
        XCTAssertEqual(nothing.status, 2, nothing.stdout)
        XCTAssertTrue(nothing.stderr.contains("no vulnerability database"), nothing.stderr)

        try w.signedPyPIDelivery(components: ["pyyaml==5.3.1"])
        try admit(w)
        let noDatabase = try vulns(w)
        XCTAssertEqual(noDatabase.status, 2, noDatabase.stdout)
        XCTAssertTrue(noDatabase.stderr.contains("no vulnerability database"), noDatabase.stderr)

        try w.write("export/TEST-2026-7.json", osvRecord("TEST-2026-7", package: "PyYAML", fixed: "5.4", alias: "CVE-2026-7777"))
        try w.importVulnDB(w.url("export").path)
        let noInventory = try vulns(w, ["--store", "sqlite:" + w.url("elsewhere/inventory.sqlite").path])
        XCTAssertEqual(noInventory.status, 2, noInventory.stdout)
        XCTAssertTrue(noInventory.stderr.contains("no inventory"), noInventory.stderr)
    }

    /// The delivery filters of the other listings, and each format written as it comes
    /// (JSON still one document, CSV one row per vulnerability).
    func testDeliveryFiltersAndStreamedFormats() throws {
        let w = try Workspace()
        try w.signedPyPIDelivery(components: ["pyyaml==5.3.1"])
        try admit(w)
        try w.signedPyPIDelivery(components: ["pyyaml==5.3.1", "jinja2==3.1.4"], root: "delivery2", version: "2.5")
        try admit(w, "delivery2")
        // The advisory arrives after both were admitted.
        try w.write("export/TEST-2026-7.json", osvRecord("TEST-2026-7", package: "PyYAML", fixed: "5.4", alias: "CVE-2026-7777"))
        try w.importVulnDB(w.url("export").path)

        let all = try vulns(w, ["--format", "json"])
        XCTAssertEqual(all.status, 1, all.stdout + all.stderr)
        let output = try json(all)
        XCTAssertEqual(output["admissions"] as? Int, 2)
        XCTAssertEqual(output["affectedDeliveries"] as? Int, 2)
        XCTAssertEqual(output["failing"] as? Bool, true)
        XCTAssertEqual(output["componentsChecked"] as? Int, 3)
        XCTAssertEqual(listed(output), ["2.4": ["TEST-2026-7:new"], "2.5": ["TEST-2026-7:new"]])

        let csv = try vulns(w, ["--format", "csv"])
        XCTAssertEqual(csv.status, 1, csv.stdout + csv.stderr)
        let lines = csv.stdout.split(separator: "\r\n").map(String.init)
        XCTAssertEqual(lines.count, 3, csv.stdout)
        XCTAssertTrue(lines.first?.hasPrefix("delivery,station,seq,time") ?? false, csv.stdout)
        XCTAssertTrue(lines.dropFirst().allSatisfy { $0.contains(",pkg:pypi/pyyaml@5.3.1,TEST-2026-7,") }, csv.stdout)

        // One delivery, by id as `inventory show` takes it.
        let one = try json(try vulns(w, ["--format", "json", "--delivery", "2"]))
        XCTAssertEqual(one["admissions"] as? Int, 1)
        XCTAssertEqual(listed(one), ["2.5": ["TEST-2026-7:new"]])
        let unknown = try vulns(w, ["--delivery", "no-such-delivery"])
        XCTAssertEqual(unknown.status, 2, unknown.stdout + unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("no delivery no-such-delivery"), unknown.stderr)

        // Vendor, product, time window: nothing selected is nothing affected (exit 0).
        for filter in [["--vendor", "Globex"], ["--product", "other"], ["--until", "2000-01-01"], ["--since", "2999-01-01"]] {
            let r = try vulns(w, filter)
            XCTAssertEqual(r.status, 0, "\(filter): " + r.stdout + r.stderr)
            XCTAssertTrue(r.stdout.contains("0 of 0 admitted deliveries affected"), r.stdout)
        }
        let acme = try vulns(w, ["--vendor", "Acme", "--product", "etcher", "--since", "2000-01-01"])
        XCTAssertEqual(acme.status, 1, acme.stdout + acme.stderr)
        XCTAssertTrue(acme.stdout.contains("2 of 2 admitted deliveries affected"), acme.stdout)
    }

    /// A state directory of the earlier version, with its own STATE/vulndb.sqlite (made
    /// here with python3's sqlite3 in that version's schema): the first command copies
    /// it into the inventory store once, says so, and the records are used from there.
    func testEarlierVulnDBFileIsCopiedIntoTheStoreOnce() throws {
        let w = try Workspace()
        try w.signedPyPIDelivery(components: ["pyyaml==5.3.1"])
        try admit(w)
        let record = osvRecord("TEST-2026-7", package: "PyYAML", fixed: "5.4", alias: "CVE-2026-7777")
        try w.write("old.py", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("CREATE TABLE imports (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, digest TEXT NOT NULL, importedAt REAL NOT NULL, files INTEGER NOT NULL, accepted INTEGER NOT NULL, withdrawn INTEGER NOT NULL, skipped INTEGER NOT NULL, ignored INTEGER NOT NULL, added INTEGER NOT NULL, updated INTEGER NOT NULL, skipReasons TEXT NOT NULL)")
            db.execute("CREATE TABLE records (id TEXT PRIMARY KEY NOT NULL, modified TEXT NOT NULL, withdrawn INTEGER NOT NULL, firstImport INTEGER NOT NULL, lastImport INTEGER NOT NULL, json BLOB NOT NULL)")
            db.execute("CREATE TABLE packages (recordId TEXT NOT NULL, ecosystem TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (recordId, ecosystem, name)) WITHOUT ROWID")
            db.execute("INSERT INTO imports VALUES (1, '/media/osv/all.zip', 'abc123', 1764000000.0, 1, 1, 0, 0, 0, 1, 0, '')")
            db.execute("INSERT INTO records VALUES ('TEST-2026-7', '2020-01-01T00:00:00Z', 0, 1, 1, ?)", (sys.argv[2].encode(),))
            db.execute("INSERT INTO packages VALUES ('TEST-2026-7', 'pypi', 'pyyaml')")
            db.commit()
            """)
        let made = try runProcess(["python3", w.url("old.py").path, w.stateDirectory.appendingPathComponent("vulndb.sqlite").path, record])
        XCTAssertEqual(made.status, 0, made.stderr)

        let first = try w.passbox(["vulndb", "status", "--state", w.stateDirectory.path])
        XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
        XCTAssertTrue(first.stderr.contains("copied the vulnerability database of an earlier passbox"), first.stderr)
        XCTAssertTrue(first.stdout.contains("records    1 (0 withdrawn"), first.stdout)
        XCTAssertTrue(first.stdout.contains("/media/osv/all.zip sha256 abc123"), first.stdout)

        let again = try vulns(w)
        XCTAssertEqual(again.status, 1, again.stdout + again.stderr)
        XCTAssertFalse(again.stderr.contains("copied"), again.stderr)
        XCTAssertTrue(again.stdout.contains("pkg:pypi/pyyaml@5.3.1: TEST-2026-7, CVE-2026-7777"), again.stdout)
        // The file is only read, never removed.
        XCTAssertTrue(FileManager.default.fileExists(atPath: w.stateDirectory.appendingPathComponent("vulndb.sqlite").path))
    }

    /// Real PyPA records: pyyaml 5.3.1 admitted before the station had a database is
    /// found affected by PYSEC-2021-142 once the export is imported; jinja2 2.11.3 (the
    /// version PYSEC-2021-66 was fixed in) is not.
    func testRealPyPIExportFindsWhatWasAdmittedBeforeIt() throws {
        let export = try pypiExport("testRealPyPIExportFindsWhatWasAdmittedBeforeIt")
        let w = try Workspace()
        try w.signedPyPIDelivery(components: ["pyyaml==5.3.1", "jinja2==2.11.3"])
        try admit(w)
        try w.importVulnDB(export.path)
        let r = try vulns(w, ["--format", "json"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let vulnerabilities = try XCTUnwrap(((try json(r))["affected"] as? [[String: Any]])?.first?["vulnerabilities"] as? [[String: Any]])
        XCTAssertEqual(vulnerabilities.map { $0["id"] as? String }, ["PYSEC-2021-142"])
        XCTAssertEqual(Set(vulnerabilities.first?["aliases"] as? [String] ?? []), ["CVE-2020-14343", "GHSA-8q59-q68h-6hv4"])
        XCTAssertEqual(vulnerabilities.first?["fixedVersion"] as? String, "5.4")
        XCTAssertEqual(vulnerabilities.first?["knownAtAdmission"] as? Bool, false)
        XCTAssertEqual(vulnerabilities.first?["component"] as? String, "pkg:pypi/pyyaml@5.3.1")
    }

    /// The plant's central PostgreSQL store, filled by `inventory push`, re-assessed with
    /// --store (skipped, visibly, without PASSBOX_TEST_POSTGRES_URL).
    func testPostgreSQLStoreAfterPush() throws {
        guard let url = ProcessInfo.processInfo.environment["PASSBOX_TEST_POSTGRES_URL"], !url.isEmpty else {
            print("NOTICE: PASSBOX_TEST_POSTGRES_URL is not set: testPostgreSQLStoreAfterPush SKIPPED (scripts/postgres-test.sh start)")
            throw XCTSkip("PASSBOX_TEST_POSTGRES_URL is not set")
        }
        // A database of its own, so that earlier runs' pushes do not count.
        let name = "passbox_vulns_" + UUID().uuidString.prefix(8).lowercased()
        let server = try XCTUnwrap(URL(string: url)).deletingLastPathComponent().appendingPathComponent("postgres").absoluteString
        XCTAssertEqual(try runProcess(["psql", "-q", server, "-c", "CREATE DATABASE \(name)"]).status, 0)
        defer { _ = try? runProcess(["psql", "-q", server, "-c", "DROP DATABASE \(name)"]) }
        let central = try XCTUnwrap(URL(string: url)).deletingLastPathComponent().appendingPathComponent(name).absoluteString

        let w = try Workspace()
        try w.signedPyPIDelivery(components: ["pyyaml==5.3.1"])
        try admit(w)
        let push = try w.passbox(["inventory", "push", "--to", central])
        XCTAssertEqual(push.status, 0, push.stdout + push.stderr)
        try w.write("export/TEST-2026-7.json", osvRecord("TEST-2026-7", package: "PyYAML", fixed: "5.4", alias: "CVE-2026-7777"))
        // The records are read from the same store as the deliveries: none there yet.
        try w.importVulnDB(w.url("export").path)
        let without = try vulns(w, ["--store", central])
        XCTAssertEqual(without.status, 2, without.stdout + without.stderr)
        XCTAssertTrue(without.stderr.contains("no vulnerability database in postgres://"), without.stderr)

        let imported = try w.passbox(["vulndb", "import", w.url("export").path, "--store", central])
        XCTAssertEqual(imported.status, 0, imported.stdout + imported.stderr)
        let status = try w.passbox(["vulndb", "status", "--store", central])
        XCTAssertEqual(status.status, 0, status.stdout + status.stderr)
        XCTAssertTrue(status.stdout.contains("records    1 (0 withdrawn"), status.stdout)
        let r = try vulns(w, ["--store", central])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("1 of 1 admitted delivery affected"), r.stdout)
        XCTAssertTrue(r.stdout.contains("store postgres://"), r.stdout)
        XCTAssertTrue(r.stdout.contains("pkg:pypi/pyyaml@5.3.1: TEST-2026-7, CVE-2026-7777"), r.stdout)
    }
}
