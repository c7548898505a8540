import Foundation
import XCTest

/// `passbox inventory`: every verify and admit is recorded in STATE/inventory.sqlite,
/// and the queries read it back (docs/inventory.md).
final class InventoryCLITests: XCTestCase {
    private func signedDelivery(_ ws: Workspace) throws {
        try ws.standardDelivery()
        let key = try ws.key("vendor")
        try ws.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json",
                        extra: ["--vendor", "Acme", "--product", "etcher", "--version", "2.4", "--kind", "firmware"])
    }

    private func jsonArray(_ r: RunResult) -> [[String: Any]] {
        guard let array = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [[String: Any]] else {
            XCTFail("not a JSON array (exit \(r.status)): \(r.stdout.prefix(300)) \(r.stderr.prefix(300))")
            return []
        }
        return array
    }

    func testVerifyAndAdmitAreRecordedAndQueryable() throws {
        let ws = try Workspace()
        try signedDelivery(ws)
        XCTAssertEqual(try ws.verify(["delivery"]).status, 0)
        _ = try runProcess([passboxBinary(), "keygen", "-o", "keys/station"], cwd: ws.dir)
        try FileManager.default.createDirectory(at: ws.url("share"), withIntermediateDirectories: true)
        let admit = try ws.passbox(["admit", "delivery", "--to", "share", "--station-key", "keys/station.key", "--trust-store", "ts"])
        XCTAssertEqual(admit.status, 0, admit.stdout + admit.stderr)

        let admitted = jsonArray(try ws.passbox(["inventory", "deliveries", "--format", "json"]))
        XCTAssertEqual(admitted.count, 1)
        XCTAssertEqual(admitted.first?["command"] as? String, "admit")
        XCTAssertEqual(admitted.first?["product"] as? String, "etcher")
        XCTAssertEqual(admitted.first?["vendor"] as? String, "Acme")
        XCTAssertEqual(jsonArray(try ws.passbox(["inventory", "deliveries", "--all", "--format", "json"])).count, 2)
        let who = try XCTUnwrap(admitted.first?["operator"] as? String)
        XCTAssertEqual(jsonArray(try ws.passbox(["inventory", "deliveries", "--all", "--operator", who, "--format", "json"])).count, 2)
        XCTAssertEqual(jsonArray(try ws.passbox(["inventory", "deliveries", "--all", "--operator", who + "x", "--format", "json"])).count, 0)

        // The firmware's sha256, from the report, finds the file, the operator and the signer.
        let report = try ws.verify(["delivery"]).json
        let files = report["files"] as? [[String: Any]] ?? []
        let firmware = try XCTUnwrap(files.first { ($0["path"] as? String)?.hasSuffix("etcher-2.4.bin") == true })
        let sha = try XCTUnwrap((firmware["digests"] as? [String: Any])?["sha256"] as? String)
        let found = try ws.passbox(["inventory", "files", "--sha256", sha])
        XCTAssertEqual(found.status, 0, found.stderr)
        XCTAssertTrue(found.stdout.contains("fw/etcher-2.4.bin"), found.stdout)
        XCTAssertTrue(found.stdout.contains("signed by ") && !found.stdout.contains("signed by -"), found.stdout)
        let csv = try ws.passbox(["inventory", "files", "--name", "*.bin", "--format", "csv"])
        XCTAssertTrue(csv.stdout.hasPrefix("delivery,time,station,operator"), csv.stdout)

        // Every decision of the audit log (2 verify, 1 admit) is in the store.
        let check = try ws.passbox(["inventory", "check"])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.contains("all 3 decision(s)"), check.stdout)

        let id = try XCTUnwrap(admitted.first?["id"] as? Int)
        let show = try ws.passbox(["inventory", "show", String(id)])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("admitted as etcher-2.4-"), show.stdout)
        XCTAssertEqual(try ws.passbox(["inventory", "show", "no-such-delivery"]).status, 2)
    }

    func testCheckNamesDecisionsMissingFromTheStore() throws {
        let ws = try Workspace()
        try signedDelivery(ws)
        XCTAssertEqual(try ws.verify(["delivery"]).status, 0)
        // Recorded in the audit log only.
        XCTAssertEqual(try ws.passbox(["verify", "delivery", "--format", "json"], environment: ["PASSBOX_INVENTORY": "off"]).status, 0)
        let check = try ws.passbox(["inventory", "check"])
        XCTAssertEqual(check.status, 1, check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.contains("1 of 2 decision(s)"), check.stdout)
        XCTAssertTrue(check.stdout.contains("seq 2"), check.stdout)
    }

    func testAdmitRefusesWhenTheInventoryCannotBeWritten() throws {
        let ws = try Workspace()
        try signedDelivery(ws)
        _ = try runProcess([passboxBinary(), "keygen", "-o", "keys/station"], cwd: ws.dir)
        try FileManager.default.createDirectory(at: ws.url("share"), withIntermediateDirectories: true)
        // A directory where the database file should be: it cannot be opened.
        try FileManager.default.createDirectory(at: ws.url("blocked/inventory.sqlite"), withIntermediateDirectories: true)
        let admit = try ws.passbox(["admit", "delivery", "--to", "share", "--station-key", "keys/station.key", "--trust-store", "ts"],
                                   environment: ["PASSBOX_INVENTORY": "sqlite:" + ws.url("blocked/inventory.sqlite").path])
        XCTAssertEqual(admit.status, 2, admit.stdout + admit.stderr)
        XCTAssertTrue(admit.stderr.contains("inventory"), admit.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: ws.url("share").path).filter { !$0.hasPrefix(".") }, [])
        // verify still gives its verdict, with a warning.
        let verify = try ws.passbox(["verify", "delivery", "--trust-store", "ts"],
                                    environment: ["PASSBOX_INVENTORY": "sqlite:" + ws.url("blocked/inventory.sqlite").path])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertTrue(verify.stderr.contains("not recorded in the inventory"), verify.stderr)
    }

    /// kill -9 at many moments of verifying (and recording) a delivery of 10,000 files:
    /// every delivery in the store afterwards has all of its files, and the store opens.
    func testKillNineNeverLeavesAHalfRecordedDelivery() throws {
        let ws = try Workspace()
        _ = try shell("""
            python3 - <<'EOF'
            import os
            for d in range(40):
                os.makedirs(f"big/d{d}", exist_ok=True)
                for f in range(250):
                    with open(f"big/d{d}/f{f}.txt", "w") as out: out.write(f"{d}-{f}\\n")
            EOF
            """, cwd: ws.dir)
        func start() throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: passboxBinary())
            process.arguments = ["verify", "big", "--trust-store", "ts", "--format", "json", "-o", "/dev/null"]
            process.currentDirectoryURL = ws.dir
            process.environment = ["PASSBOX_STATE_DIR": ws.stateDirectory.path, "PATH": "/usr/bin:/bin"]
            try process.run()
            return process
        }
        // One whole run: how long verifying and recording take. The record is written
        // at the end, so the kills aim at the last part of that time, and beyond.
        let began = Date()
        let whole = try start()
        whole.waitUntilExit()
        let duration = Date().timeIntervalSince(began)
        let delays = (0..<12).map { duration * (0.50 + 0.05 * Double($0)) }
        for delay in delays {
            let process = try start()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let list = jsonArray(try ws.passbox(["inventory", "deliveries", "--all", "--format", "json"]))
        print("kill -9 test: a whole run took \(duration) s; \(list.count - 1) of \(delays.count) killed runs were recorded whole, the others not at all")
        for delivery in list {
            let id = try XCTUnwrap(delivery["id"] as? Int)
            let show = try ws.passbox(["inventory", "show", String(id), "--limit", "20000", "--format", "json"])
            let detail = try XCTUnwrap((try? JSONSerialization.jsonObject(with: Data(show.stdout.utf8))) as? [String: Any], show.stderr)
            let files = (detail["files"] as? [Any])?.count
            XCTAssertEqual(files, delivery["files"] as? Int, "delivery \(id): a half-recorded delivery")
            XCTAssertGreaterThanOrEqual(files ?? 0, 10_000)
        }
        // The store still takes a decision after all this.
        _ = try ws.passbox(["verify", "big", "--trust-store", "ts", "--format", "json", "-o", "/dev/null"])
        XCTAssertEqual(jsonArray(try ws.passbox(["inventory", "deliveries", "--all", "--format", "json"])).count, list.count + 1)
    }

    func testShowPagesFilesAndListingsStopAtTheirLimit() throws {
        let ws = try Workspace()
        for i in 0..<7 { try ws.write("many/f\(i).bin", "file \(i)") }
        _ = try ws.verify(["many"])
        let id = try XCTUnwrap(jsonArray(try ws.passbox(["inventory", "deliveries", "--all", "--format", "json"])).first?["id"] as? Int)

        let page = try ws.passbox(["inventory", "show", String(id), "--limit", "3", "--offset", "2"])
        XCTAssertEqual(page.status, 0, page.stderr)
        XCTAssertTrue(page.stdout.contains("files (3–5 of 7):"), page.stdout)
        XCTAssertEqual(page.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("  ") && $0.contains(".bin  ") }.count, 3, page.stdout)
        XCTAssertTrue(page.stderr.contains("--offset 5 for the next"), page.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(try ws.passbox(["inventory", "show", String(id), "--limit", "2", "--format", "json"]).stdout.utf8)) as? [String: Any]
        XCTAssertEqual((json?["files"] as? [Any])?.count, 2)
        XCTAssertEqual((json?["page"] as? [String: Any])?["limit"] as? Int, 2)
        let whole = try ws.passbox(["inventory", "show", String(id)])
        XCTAssertTrue(whole.stdout.contains("files (7):"), whole.stdout)
        XCTAssertFalse(whole.stderr.contains("--offset"), whole.stderr)

        let two = try ws.passbox(["inventory", "files", "--name", "*.bin", "--all", "--limit", "2", "--format", "csv"])
        XCTAssertEqual(two.status, 0, two.stderr)
        XCTAssertEqual(two.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count, 3, two.stdout) // header + 2
        XCTAssertTrue(two.stderr.contains("the first 2 files shown"), two.stderr)
        XCTAssertNotEqual(try ws.passbox(["inventory", "show", String(id), "--limit", "0"]).status, 0)
        XCTAssertNotEqual(try ws.passbox(["inventory", "components", "pkg:npm/*", "--limit", "0"]).status, 0)
        XCTAssertNotEqual(try ws.passbox(["inventory", "show", String(id), "--offset", "-1"]).status, 0)
        let one = try ws.passbox(["inventory", "deliveries", "--all", "--limit", "1"])
        XCTAssertTrue(one.stderr.contains("the first 1 deliveries shown"), one.stderr)
    }

    func testHostileTextIsEscapedInTextOutput() throws {
        let ws = try Workspace()
        try ws.write("evil/\u{1b}]0;pwned\u{07}name.bin", "x")
        _ = try ws.verify(["evil"])
        let r = try ws.passbox(["inventory", "files", "--name", "*name.bin", "--all"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.contains("\u{1b}"), r.stdout)
        XCTAssertTrue(r.stdout.contains("name.bin"), r.stdout)
    }

    func testPushToAServerThatIsDownExitsTwoAndKeepsTheDecisions() throws {
        let ws = try Workspace()
        try signedDelivery(ws)
        XCTAssertEqual(try ws.verify(["delivery"]).status, 0)
        // A port nobody listens on (bound and released).
        let port = try XCTUnwrap(Int(try shell("python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])'",
                                               cwd: ws.dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let push = try ws.passbox(["inventory", "push", "--to", "postgres://station:secret@127.0.0.1:\(port)/plant", "--timeout", "3"])
        XCTAssertEqual(push.status, 2, push.stdout + push.stderr)
        XCTAssertTrue(push.stderr.contains("1 decision(s) wait to be pushed"), push.stderr)
        XCTAssertFalse(push.stderr.contains("secret"), push.stderr)
        XCTAssertEqual(try ws.passbox(["inventory", "push"]).status, 2) // no --to, no $PASSBOX_INVENTORY_CENTRAL
    }
}
