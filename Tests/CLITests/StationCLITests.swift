import Foundation
import Station
import XCTest

/// The station: audit log, admit, receipts, rollback (docs/station.md).
final class StationCLITests: XCTestCase {

    /// A workspace with a signed standard delivery and a few verify records in the log.
    private func loggedWorkspace(records: Int = 4) throws -> Workspace {
        let ws = try Workspace()
        try ws.standardDelivery()
        let key = try ws.key("vendor")
        try ws.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json",
                        extra: ["--vendor", "Acme", "--product", "etcher", "--version", "2.4", "--kind", "firmware"])
        for _ in 0..<records {
            XCTAssertEqual(try ws.verify(["delivery"]).status, 0)
        }
        return ws
    }

    private func logLines(_ ws: Workspace) throws -> [String] {
        String(decoding: try ws.read("state/audit.jsonl"), as: UTF8.self)
            .split(separator: "\n").map(String.init)
    }

    private func writeLog(_ ws: Workspace, _ lines: [String]) throws {
        try ws.write("state/audit.jsonl", lines.map { $0 + "\n" }.joined())
    }

    func testEveryVerifyIsRecordedAndTheLogVerifies() throws {
        let ws = try loggedWorkspace(records: 2)
        XCTAssertEqual(try ws.passbox(["verify", "delivery/README.txt"]).status, 1)
        let lines = try logLines(ws)
        XCTAssertEqual(lines.count, 3)
        let last = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines[2].utf8)) as? [String: Any])
        XCTAssertEqual(last["seq"] as? Int, 3)
        XCTAssertEqual(last["command"] as? String, "verify")
        XCTAssertEqual(last["verdict"] as? String, "rejected")
        XCTAssertEqual(last["findings"] as? [String], ["manifest.none"])
        XCTAssertEqual((last["deliverySha256"] as? String)?.count, 64)
        XCTAssertEqual((last["prev"] as? String)?.count, 64)
        let v = try ws.passbox(["log", "verify"])
        XCTAssertEqual(v.status, 0, v.stdout + v.stderr)
        XCTAssertTrue(v.stdout.contains("intact: 3 record(s)"), v.stdout)

        let rejected = try ws.passbox(["log", "show", "--verdict", "rejected", "--format", "json"])
        XCTAssertEqual(rejected.status, 0, rejected.stderr)
        let shown = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(rejected.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(shown.map { $0["seq"] as? Int }, [3])
        let future = try ws.passbox(["log", "show", "--since", "2999-01-01T00:00:00Z"])
        XCTAssertEqual(future.status, 0)
        XCTAssertEqual(future.stdout, "")
        XCTAssertEqual(try ws.passbox(["log", "show", "--since", "yesterday"]).status, 2)
    }

    func testVerifyStillReportsWhenTheLogCannotBeWritten() throws {
        let ws = try loggedWorkspace(records: 0)
        try ws.write("blocker", "a file where the state directory should be\n")
        let r = try ws.passbox(["verify", "delivery", "--trust-store", "ts", "--format", "json"],
                               environment: ["PASSBOX_STATE_DIR": ws.url("blocker/state").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.verdict, "accepted")
        XCTAssertTrue(r.stderr.contains("not recorded in the audit log"), r.stderr)
    }

    func testEditedRecordIsDetected() throws {
        let ws = try loggedWorkspace()
        var lines = try logLines(ws)
        lines[1] = lines[1].replacingOccurrences(of: "\"input\":\"delivery\"", with: "\"input\":\"elsewhere\"")
        try writeLog(ws, lines)
        let r = try ws.passbox(["log", "verify"])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("line 2, seq 2"), r.stdout)
        XCTAssertTrue(r.stdout.contains("edited"), r.stdout)
    }

    func testDeletedRecordIsDetected() throws {
        let ws = try loggedWorkspace()
        var lines = try logLines(ws)
        lines.remove(at: 1)
        try writeLog(ws, lines)
        let r = try ws.passbox(["log", "verify"])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("line 2, seq 3: seq 3 where seq 2 belongs: record(s) deleted"), r.stdout)
    }

    func testReorderedRecordsAreDetected() throws {
        let ws = try loggedWorkspace()
        var lines = try logLines(ws)
        lines.swapAt(1, 2)
        try writeLog(ws, lines)
        let r = try ws.passbox(["log", "verify"])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("line 2, seq 3"), r.stdout)
    }

    func testTruncatedLogIsDetected() throws {
        let ws = try loggedWorkspace()
        let lines = try logLines(ws)
        try writeLog(ws, Array(lines.prefix(2)))
        let r = try ws.passbox(["log", "verify"])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("ends at seq 2 but the head file records seq 4"), r.stdout)
        // A record cut in the middle is found too.
        let cut = lines.joined(separator: "\n") + "\n"
        try ws.write("state/audit.jsonl", String(cut.dropLast(20)))
        let torn = try ws.passbox(["log", "verify"])
        XCTAssertEqual(torn.status, 1, torn.stdout)
        XCTAssertTrue(torn.stdout.contains("line 4"), torn.stdout)
        XCTAssertTrue(torn.stdout.contains("incomplete record"), torn.stdout)
    }

    func testUnreadableLogExitsTwo() throws {
        let ws = try loggedWorkspace(records: 1)
        try FileManager.default.removeItem(at: ws.url("state/audit.jsonl"))
        try FileManager.default.createDirectory(at: ws.url("state/audit.jsonl"), withIntermediateDirectories: true)
        XCTAssertEqual(try ws.passbox(["log", "verify"]).status, 2)
    }
}
