import Foundation
import CryptoIO
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

/// admit, receipts, rollback.
final class StationAdmitCLITests: XCTestCase {

    private func signed(_ ws: Workspace, version: String = "2.4", root: String = "delivery") throws {
        try ws.standardDelivery(root)
        let key = FileManager.default.fileExists(atPath: ws.url("keys/vendor.key").path) ? "keys/vendor.key" : try ws.key("vendor")
        try ws.manifest(root, keys: [key], output: "\(root)/delivery.dsse.json",
                        extra: ["--vendor", "Acme", "--product", "etcher", "--version", version, "--kind", "firmware"])
    }

    /// The station key lives in its own trust store (receipts), not in the vendors' one.
    private func stationKey(_ ws: Workspace) throws -> String {
        let r = try ws.passbox(["keygen", "-o", "keys/station"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try FileManager.default.createDirectory(at: ws.url("station-ts/keys"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: ws.url("keys/station.pem"), to: ws.url("station-ts/keys/station.pem"))
        return "keys/station.key"
    }

    private func admit(_ ws: Workspace, _ path: String = "delivery", extra: [String] = []) throws -> RunResult {
        try ws.passbox(["admit", path, "--to", "share", "--station-key", "keys/station.key", "--trust-store", "ts", "--format", "json"] + extra)
    }

    private func listing(_ ws: Workspace, _ dir: String) throws -> [String] {
        (try FileManager.default.subpathsOfDirectory(atPath: ws.url(dir).path)).sorted()
    }

    func testAdmitAcceptedMakesFolderAndReceipt() throws {
        let ws = try Workspace()
        try signed(ws)
        _ = try stationKey(ws)
        try FileManager.default.createDirectory(at: ws.url("share"), withIntermediateDirectories: true)
        let r = try admit(ws)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let top = try FileManager.default.contentsOfDirectory(atPath: ws.url("share").path).sorted()
        XCTAssertEqual(top.count, 2, "\(top)")
        let folder = try XCTUnwrap(top.first { !$0.hasSuffix(".receipt.dsse.json") })
        XCTAssertTrue(folder.hasPrefix("etcher-2.4-"), folder)
        XCTAssertEqual(folder.count, "etcher-2.4-".count + 12)
        XCTAssertEqual(top, [folder, folder + ".receipt.dsse.json"])
        // Exactly the verified files (the manifest is evidence, not content), same bytes, 0644.
        XCTAssertEqual(try listing(ws, "share/\(folder)"), ["README.txt", "fw", "fw/etcher-2.4.bin", "recipes", "recipes/oxide.recipe"])
        XCTAssertEqual(try ws.read("share/\(folder)/fw/etcher-2.4.bin"), try ws.read("delivery/fw/etcher-2.4.bin"))
        let attrs = try FileManager.default.attributesOfItem(atPath: ws.url("share/\(folder)/fw/etcher-2.4.bin").path)
        XCTAssertEqual((attrs[.posixPermissions] as? NSNumber)?.intValue, 0o644)
        let dirAttrs = try FileManager.default.attributesOfItem(atPath: ws.url("share/\(folder)/fw").path)
        XCTAssertEqual((dirAttrs[.posixPermissions] as? NSNumber)?.intValue, 0o755)

        let receipt = "share/\(folder).receipt.dsse.json"
        let ok = try ws.passbox(["receipt", "verify", receipt, "--trust-store", "station-ts", "--content", "share/\(folder)"])
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        // The vendors' trust store does not hold the station key: untrusted.
        XCTAssertEqual(try ws.passbox(["receipt", "verify", receipt, "--trust-store", "ts"]).status, 1)
        // The statement: subjects relative to the folder, a SLSA VSA predicate.
        let envelope = try XCTUnwrap(try JSONSerialization.jsonObject(with: ws.read(receipt)) as? [String: Any])
        let payload = try XCTUnwrap(Data(base64Encoded: envelope["payload"] as? String ?? ""))
        let statement = try XCTUnwrap(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
        XCTAssertEqual(statement["predicateType"] as? String, "https://slsa.dev/verification_summary/v1")
        let names = (statement["subject"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }.sorted()
        XCTAssertEqual(names, ["README.txt", "fw/etcher-2.4.bin", "recipes/oxide.recipe"])
        let predicate = try XCTUnwrap(statement["predicate"] as? [String: Any])
        XCTAssertEqual(predicate["verificationResult"] as? String, "PASSED")
        XCTAssertNotNil((predicate["verifier"] as? [String: Any])?["id"])
        XCTAssertEqual((predicate["inputAttestations"] as? [[String: Any]])?.count, 1)
        XCTAssertNotNil(((predicate["passbox"] as? [String: Any])?["trustStore"] as? [String: Any])?["digest"])

        // An independent check: rebuild the DSSE PAE in Python and verify with openssl.
        try ws.write("check.py", """
            import base64, json, subprocess, sys
            env = json.load(open(sys.argv[1]))
            payload = base64.b64decode(env["payload"])
            t = env["payloadType"].encode()
            pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)
            open("pae.bin", "wb").write(pae)
            open("sig.bin", "wb").write(base64.b64decode(env["signatures"][0]["sig"]))
            sys.exit(subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", sys.argv[2],
                                     "-rawin", "-in", "pae.bin", "-sigfile", "sig.bin"]).returncode)
            """)
        try shell("python3 check.py \(receipt) keys/station.pem", cwd: ws.dir)

        // Content that differs, or an extra file, is found.
        try ws.write("share/\(folder)/extra.txt", "x\n")
        XCTAssertEqual(try ws.passbox(["receipt", "verify", receipt, "--trust-store", "station-ts", "--content", "share/\(folder)"]).status, 1)
        try FileManager.default.removeItem(at: ws.url("share/\(folder)/extra.txt"))
        try ws.write("share/\(folder)/README.txt", "changed\n")
        let changed = try ws.passbox(["receipt", "verify", receipt, "--trust-store", "station-ts", "--content", "share/\(folder)"])
        XCTAssertEqual(changed.status, 1)
        XCTAssertTrue(changed.stdout.contains("README.txt"), changed.stdout)
        XCTAssertEqual(try ws.passbox(["receipt", "verify", "nonexistent.json", "--trust-store", "station-ts"]).status, 2)

        // The audit log names the admission.
        let log = String(decoding: try ws.read("state/audit.jsonl"), as: UTF8.self)
        XCTAssertTrue(log.contains("\"admitted\":\"\(folder)\""), log)
        XCTAssertTrue(log.contains("\"command\":\"admit\""), log)
        XCTAssertEqual(try ws.passbox(["log", "verify"]).status, 0)
        // The same delivery again: the folder exists, never replaced.
        XCTAssertEqual(try admit(ws).status, 2)
    }

    func testAdmitArchiveDeliveryAdmitsTheArchiveItself() throws {
        let ws = try Workspace()
        try ws.standardDelivery("content")
        try shell("tar -C content -cf fw.tar .", cwd: ws.dir)
        let key = try ws.key("vendor")
        try ws.manifest("fw.tar", keys: [key], output: "fw.dsse.json")
        _ = try stationKey(ws)
        try FileManager.default.createDirectory(at: ws.url("share"), withIntermediateDirectories: true)
        let r = try admit(ws, "fw.tar", extra: ["--manifest", "fw.dsse.json"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let folder = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: ws.url("share").path).first { !$0.hasSuffix(".json") })
        XCTAssertTrue(folder.hasPrefix("fw.tar-"), folder)
        XCTAssertEqual(try listing(ws, "share/\(folder)"), ["fw.tar"])
        XCTAssertEqual(try ws.read("share/\(folder)/fw.tar"), try ws.read("fw.tar"))
        XCTAssertEqual(try ws.passbox(["receipt", "verify", "share/\(folder).receipt.dsse.json", "--trust-store", "station-ts",
                                       "--content", "share/\(folder)"]).status, 0)
    }

    func testAdmitRejectedLeavesDestinationUnchanged() throws {
        let ws = try Workspace()
        try signed(ws)
        _ = try stationKey(ws)
        try ws.write("delivery/autorun.inf", "[autorun]\n")
        try FileManager.default.createDirectory(at: ws.url("share"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: ws.url("quarantine"), withIntermediateDirectories: true)
        try ws.write("share/existing.txt", "before\n")
        let r = try admit(ws, extra: ["--quarantine", "quarantine"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.findingCodes.contains("file.unlisted"))
        XCTAssertEqual(try listing(ws, "share"), ["existing.txt"])
        // A JSON and an HTML report, named with an ISO 8601 time.
        let q = try FileManager.default.contentsOfDirectory(atPath: ws.url("quarantine").path).sorted()
        XCTAssertEqual(q.count, 2, "\(q)")
        XCTAssertTrue(q[0].hasSuffix(".report.html") && q[1].hasSuffix(".report.json"), "\(q)")
        XCTAssertNotNil(q[1].range(of: #"-\d{8}T\d{6}Z\.report\.json$"#, options: .regularExpression), q[1])
        let saved = try XCTUnwrap(try JSONSerialization.jsonObject(with: ws.read("quarantine/\(q[1])")) as? [String: Any])
        XCTAssertEqual(saved["verdict"] as? String, "rejected")
        XCTAssertNotNil(saved["station"] as? String)
        XCTAssertNotNil(saved["auditSeq"] as? Int)
        XCTAssertNotNil(saved["time"] as? String)
        let log = String(decoding: try ws.read("state/audit.jsonl"), as: UTF8.self)
        XCTAssertTrue(log.contains("\"command\":\"admit\""), log)
        XCTAssertTrue(log.contains("\"verdict\":\"rejected\""), log)
    }

    func testAdmitRefusesWhenTheAuditLogCannotBeWritten() throws {
        let ws = try Workspace()
        try signed(ws)
        _ = try stationKey(ws)
        try FileManager.default.createDirectory(at: ws.url("share"), withIntermediateDirectories: true)
        try ws.write("blocker", "not a directory\n")
        let r = try ws.passbox(["admit", "delivery", "--to", "share", "--station-key", "keys/station.key", "--trust-store", "ts"],
                               environment: ["PASSBOX_STATE_DIR": ws.url("blocker/state").path])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("audit log"), r.stderr)
        XCTAssertEqual(try listing(ws, "share"), [])
    }

    func testRollbackIsRejectedUnlessThePolicyAllowsIt() throws {
        let ws = try Workspace()
        try signed(ws, version: "2.10.0", root: "new")
        try signed(ws, version: "2.9.1", root: "old")
        _ = try stationKey(ws)
        try FileManager.default.createDirectory(at: ws.url("share"), withIntermediateDirectories: true)
        XCTAssertEqual(try admit(ws, "new").status, 0)
        let versions = String(decoding: try ws.read("state/versions.json"), as: UTF8.self)
        XCTAssertTrue(versions.contains("2.10.0"), versions)
        let before = try listing(ws, "share")
        let r = try admit(ws, "old")
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertEqual(r.findingCodes.first, "version.rollback")
        XCTAssertEqual(try listing(ws, "share"), before)
        // A policy may allow it for a product.
        try ws.write("policy.yaml", "rollback:\n  allow: [etcher]\n")
        let allowed = try admit(ws, "old", extra: ["--policy", "policy.yaml"])
        XCTAssertEqual(allowed.status, 0, allowed.stdout + allowed.stderr)
        XCTAssertTrue(allowed.findingCodes.contains("version.rollback"))
        // The highest version stays remembered.
        XCTAssertTrue(String(decoding: try ws.read("state/versions.json"), as: UTF8.self).contains("2.10.0"))
    }

    /// Time of check / time of use: the copy re-hashes every byte and compares with what
    /// was verified. The copy function is called directly with the digests the verifier
    /// computed, after the file on the medium was replaced.
    func testFileSwappedAfterVerificationIsNotAdmitted() throws {
        let ws = try Workspace()
        try signed(ws)
        let report = try ws.verify(["delivery"])
        XCTAssertEqual(report.status, 0)
        let files = try ["README.txt", "fw/etcher-2.4.bin"].map { path -> AdmitFile in
            let f = try XCTUnwrap(report.file(path))
            let d = try XCTUnwrap(f["digests"] as? [String: String])
            return AdmitFile(source: path, name: path, size: (f["size"] as? NSNumber)?.int64Value ?? -1,
                             digests: Digests(sha256: d["sha256"], sha512: d["sha512"]))
        }
        try FileManager.default.createDirectory(at: ws.url("share"), withIntermediateDirectories: true)
        // Unchanged: copies.
        let ok = try Admission.copyToIncoming(sourceRoot: ws.url("delivery").path, files: files, destination: ws.url("share").path)
        XCTAssertEqual(ok.copied.map(\.name), ["README.txt", "fw/etcher-2.4.bin"])
        try FileManager.default.removeItem(at: ws.url("share/\(ok.incoming)"))
        // Same size, different bytes.
        var firmware = try ws.read("delivery/fw/etcher-2.4.bin")
        firmware[1000] ^= 0xff
        try ws.write("delivery/fw/etcher-2.4.bin", firmware)
        XCTAssertThrowsError(try Admission.copyToIncoming(sourceRoot: ws.url("delivery").path, files: files, destination: ws.url("share").path)) { error in
            XCTAssertTrue(error is FileChanged, "\(error)")
            XCTAssertTrue("\(error)".contains("changed after it was verified"), "\(error)")
        }
        XCTAssertEqual(try listing(ws, "share"), [], "the incoming folder is removed")
        // Replaced by a symlink: not followed.
        try FileManager.default.removeItem(at: ws.url("delivery/fw/etcher-2.4.bin"))
        try FileManager.default.createSymbolicLink(atPath: ws.url("delivery/fw/etcher-2.4.bin").path, withDestinationPath: "/etc/passwd")
        XCTAssertThrowsError(try Admission.copyToIncoming(sourceRoot: ws.url("delivery").path, files: files, destination: ws.url("share").path)) { error in
            XCTAssertTrue(error is FileChanged, "\(error)")
        }
        XCTAssertEqual(try listing(ws, "share"), [])
    }

    func testStaleIncomingFolderIsRemovedByTheNextAdmit() throws {
        let ws = try Workspace()
        try signed(ws)
        _ = try stationKey(ws)
        try ws.write("share/.passbox-incoming-deadbeef/fw/partial.bin", "half")
        let r = try admit(ws)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(try listing(ws, "share").contains { $0.hasPrefix(".passbox-incoming-") })
    }
}

/// kill -9 at a random moment of `passbox admit` (docs/station.md, crash safety).
final class AdmitKillCLITests: XCTestCase {

    func testKillDuringAdmitNeverLeavesAPartialFolderUnderItsFinalName() throws {
        let ws = try Workspace()
        try ws.standardDelivery()
        try shell("head -c 67108864 /dev/urandom > delivery/fw/big.bin", cwd: ws.dir) // 64 MiB
        let key = try ws.key("vendor")
        try ws.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json",
                        extra: ["--vendor", "Acme", "--product", "etcher", "--version", "2.4", "--kind", "firmware"])
        XCTAssertEqual(try ws.passbox(["keygen", "-o", "keys/station"]).status, 0)
        try FileManager.default.createDirectory(at: ws.url("station-ts/keys"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: ws.url("keys/station.pem"), to: ws.url("station-ts/keys/station.pem"))
        for dir in ["share", "probe"] {
            try FileManager.default.createDirectory(at: ws.url(dir), withIntermediateDirectories: true)
        }
        func admitArguments(_ to: String) -> [String] {
            ["admit", "delivery", "--to", to, "--station-key", "keys/station.key", "--trust-store", "ts"]
        }
        // How long one whole admission takes here: the kills land anywhere in it.
        let probeStart = Date()
        let probe = try ws.passbox(admitArguments("probe"))
        XCTAssertEqual(probe.status, 0, probe.stderr)
        let duration = min(max(Date().timeIntervalSince(probeStart), 0.1), 1.5)

        let share = ws.url("share").path
        var completed = 0
        var interrupted = 0
        var leftovers = 0
        var generator = SystemRandomNumberGenerator()
        for round in 0..<15 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: passboxBinary())
            process.arguments = admitArguments("share")
            process.currentDirectoryURL = ws.dir
            var env = ProcessInfo.processInfo.environment
            env["PASSBOX_STATE_DIR"] = ws.stateDirectory.path
            process.environment = env
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            // Spread over the admission (some may land after it ended).
            Thread.sleep(forTimeInterval: Double.random(in: 0.01...(duration * 0.9), using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal { interrupted += 1 }

            for name in try FileManager.default.contentsOfDirectory(atPath: share) {
                if name.hasPrefix(Admission.incomingPrefix) { leftovers += 1; continue }  // removed by the next admit
                if name.hasSuffix(".receipt.dsse.json") || name.contains(".receipt.dsse.json.tmp-") { continue }
                // Anything else is an admitted folder: it must be complete.
                let receipt = "share/\(name).receipt.dsse.json"
                let check = try ws.passbox(["receipt", "verify", receipt, "--content", "share/\(name)", "--trust-store", "station-ts"])
                XCTAssertEqual(check.status, 0, "round \(round): \(name) is under its final name but incomplete: \(check.stdout)\(check.stderr)")
                completed += 1
                try FileManager.default.removeItem(atPath: share + "/" + name)
                try? FileManager.default.removeItem(atPath: share + "/" + name + ".receipt.dsse.json")
            }
        }
        XCTAssertGreaterThan(interrupted, 0)

        // After all that, a normal admission works and clears the leftovers.
        let final = try ws.passbox(admitArguments("share"))
        XCTAssertEqual(final.status, 0, final.stderr)
        let left = try FileManager.default.contentsOfDirectory(atPath: share)
        XCTAssertFalse(left.contains { $0.hasPrefix(Admission.incomingPrefix) }, "\(left)")
        let folder = try XCTUnwrap(left.first { !$0.contains(".receipt.dsse.json") })
        let check = try ws.passbox(["receipt", "verify", "share/\(folder).receipt.dsse.json", "--content", "share/\(folder)", "--trust-store", "station-ts"])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertEqual(try ws.passbox(["log", "verify"]).status, 0)
        print("kill -9 during admit (\(String(format: "%.2f", duration)) s each): \(interrupted) interrupted, \(leftovers) incoming leftover(s) seen, \(completed) completed before the kill")
    }
}
