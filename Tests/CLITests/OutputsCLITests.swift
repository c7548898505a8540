import Foundation
import XCTest

/// What people see and what gets recorded (docs/usage.md "Output", docs/report.md).
final class OutputsCLITests: XCTestCase {
    /// Progress is drawn on a terminal (a pseudo-terminal made by `script`), never into
    /// a pipe or a file.
    func testProgressOnATerminalAndNotInAPipe() throws {
        let ws = try Workspace()
        // A sparse 1.5 GiB image: read from the page cache, hashed for about a second.
        try shell("truncate -s 1536M big.img", cwd: ws.dir)
        let binary = passboxBinary()
        let tty = try runProcess(["script", "-q", "-e", "-c",
                                  "'\(binary)' verify big.img --trust-store ts --state state > /dev/null", "/dev/null"], cwd: ws.dir)
        XCTAssertEqual(tty.status, 1, tty.stdout + tty.stderr)
        XCTAssertTrue(tty.stdout.contains("passbox: reading"), "no progress on the terminal: \(tty.stdout.debugDescription.prefix(800))")
        XCTAssertTrue(tty.stdout.contains("of 1.5 GiB"), tty.stdout.debugDescription)
        XCTAssertTrue(tty.stdout.contains("ETA"), tty.stdout.debugDescription)
        XCTAssertTrue(tty.stdout.contains("big.img: read 1 file(s), 1.5 GiB in"), "no clear last line: \(tty.stdout.debugDescription.suffix(400))")

        let pipe = try ws.passbox(["verify", "big.img", "--trust-store", "ts"])
        XCTAssertEqual(pipe.status, 1)
        XCTAssertFalse(pipe.stderr.contains("passbox: reading"), pipe.stderr)
        XCTAssertFalse(pipe.stderr.contains("\u{1b}["), pipe.stderr)
    }

    func testQuietStatusAndSeveralOutputs() throws {
        let ws = try Workspace()
        try ws.signedStandardDelivery()
        try ws.write("delivery/autorun.inf", "[autorun]\n")
        let quiet = try ws.passbox(["verify", "delivery", "-q"])
        XCTAssertEqual(quiet.status, 1)
        XCTAssertEqual(quiet.stdout, "passbox verify: REJECTED  delivery\n")
        let status = try ws.passbox(["verify", "delivery", "--status"])
        XCTAssertEqual(status.status, 1)
        XCTAssertEqual(status.stdout, "")
        XCTAssertEqual(status.stderr, "")

        // Text on the screen, JSON, SARIF and HTML into files, in one run.
        let several = try ws.passbox(["verify", "delivery", "--output", "json=r.json", "-o", "sarif=r.sarif", "-o", "html=r.html"])
        XCTAssertEqual(several.status, 1)
        XCTAssertTrue(several.stdout.hasPrefix("passbox verify: REJECTED"), several.stdout)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: ws.read("r.json")) as? [String: Any])
        XCTAssertEqual(json["verdict"] as? String, "rejected")
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: ws.read("r.sarif")) as? [String: Any])
        XCTAssertTrue(String(decoding: try ws.read("r.html"), as: UTF8.self).contains("Do not use this medium"))
    }

    /// The JSON report carries when, where, by which passbox, against which policy and
    /// trust store, and its audit record; admit adds the folder and the receipt.
    func testJSONReportContextAndAdmitFolderAndReceipt() throws {
        let ws = try Workspace()
        try ws.signedStandardDelivery()
        let verify = try ws.verify(["delivery"])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertNotNil(verify.json["time"] as? String)
        XCTAssertNotNil(verify.json["passboxVersion"] as? String)
        XCTAssertNotNil(verify.json["station"] as? String)
        XCTAssertEqual((verify.json["deliveryDigest"] as? [String: String])?["sha256"]?.count, 64)
        XCTAssertEqual((verify.json["policy"] as? [String: Any])?["source"] as? String, "built-in")
        XCTAssertEqual(((verify.json["trustStore"] as? [String: Any])?["sha256"] as? String)?.count, 64)
        XCTAssertEqual(verify.json["auditSeq"] as? Int, try ws.auditRecords().last?["seq"] as? Int)

        try ws.key("station", trusted: false)
        try FileManager.default.createDirectory(at: ws.url("prod"), withIntermediateDirectories: true)
        let admit = try ws.passbox(["admit", "delivery", "--to", "prod", "--station-key", "keys/station.key",
                                    "--trust-store", "ts", "--format", "json"])
        XCTAssertEqual(admit.status, 0, admit.stderr)
        let admitted = try XCTUnwrap(admit.json["admitted"] as? [String: String])
        let folder = try XCTUnwrap(admitted["folder"])
        let receipt = try XCTUnwrap(admitted["receipt"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: ws.url(folder).path), folder)
        XCTAssertTrue(FileManager.default.fileExists(atPath: ws.url(receipt).path), receipt)
        XCTAssertEqual(admit.json["auditSeq"] as? Int, try ws.auditRecords().last?["seq"] as? Int)
        let record = try XCTUnwrap(try ws.auditRecords().last)
        XCTAssertEqual(record["product"] as? String, "etcher")
        XCTAssertEqual(record["version"] as? String, "2.4")
        XCTAssertEqual((record["path"] as? String)?.hasPrefix("/"), true)
        XCTAssertEqual((record["trustStoreSha256"] as? String)?.count, 64)
    }

    /// A run that could not evaluate leaves an audit record and reaches a real syslog
    /// daemon (rsyslogd on loopback).
    func testCouldNotEvaluateIsRecordedAndReachesRsyslog() throws {
        guard let rsyslogd = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("rsyslogd is not installed (scripts/test.sh installs it)")
        }
        let ws = try Workspace()
        let port = 20_000 + Int(getpid() % 10_000)
        try ws.write("rsyslog/rsyslog.conf", """
            global(workDirectory="\(ws.url("rsyslog").path)")
            module(load="imudp")
            input(type="imudp" address="127.0.0.1" port="\(port)")
            template(name="raw" type="string" string="%rawmsg%\\n")
            action(type="omfile" file="\(ws.url("rsyslog/messages").path)" template="raw")

            """)
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: rsyslogd)
        daemon.arguments = ["-n", "-f", ws.url("rsyslog/rsyslog.conf").path, "-i", ws.url("rsyslog/pid").path]
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        defer { daemon.terminate(); daemon.waitUntilExit() }
        Thread.sleep(forTimeInterval: 1.0)

        let missing = try ws.passbox(["verify", "no-such-medium", "--trust-store", "ts", "--syslog", "udp://127.0.0.1:\(port)"])
        XCTAssertEqual(missing.status, 2, missing.stderr)
        let record = try XCTUnwrap(try ws.auditRecords().last)
        XCTAssertEqual(record["verdict"] as? String, "error")
        XCTAssertEqual(record["input"] as? String, "no-such-medium")
        XCTAssertTrue((record["error"] as? String)?.contains("no-such-medium") == true, "\(record)")
        var received = ""
        for _ in 0..<30 {
            received = (try? String(contentsOf: ws.url("rsyslog/messages"), encoding: .utf8)) ?? ""
            if received.contains("VERIFY-ERROR") { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTAssertTrue(received.contains(" VERIFY-ERROR [passbox@32473 "), received)
        XCTAssertTrue(received.contains("verdict=\"error\""), received)
        XCTAssertTrue(received.contains("seq=\"\(record["seq"] as? Int ?? -1)\""), received)

        // A report that could not be written is recorded too.
        try ws.standardDelivery()
        let unwritable = try ws.passbox(["verify", "delivery", "--trust-store", "ts", "-o", "no/such/dir/r.json"])
        XCTAssertEqual(unwritable.status, 2)
        let last = try XCTUnwrap(try ws.auditRecords().last)
        XCTAssertEqual(last["verdict"] as? String, "error")
        XCTAssertTrue((last["error"] as? String)?.contains("cannot write the report") == true, "\(last)")
    }

    /// SARIF of odd file names validates against the official SARIF 2.1.0 schema.
    func testSARIFValidatesAgainstTheOfficialSchema() throws {
        let schema = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus/sarif/sarif-schema-2.1.0.json")
        guard FileManager.default.fileExists(atPath: schema.path) else {
            throw XCTSkip("skipped: no test corpus at ../shared/corpus (the official SARIF schema) beside the repository")
        }
        let check = try runProcess(["python3", "-c", "import jsonschema, rfc3986_validator"])
        guard check.status == 0 else { throw XCTSkip("python3 jsonschema and rfc3986-validator are not installed (scripts/test.sh installs them)") }
        let ws = try Workspace()
        try ws.signedStandardDelivery()
        for name in ["my file #1.txt", "100% done?.bin", "a:b.txt", "日本語.txt", "x[1]{2}.bin"] {
            try ws.write("delivery/\(name)", "unsigned\n")
        }
        let r = try ws.passbox(["verify", "delivery", "--format", "sarif", "-o", "r.sarif"])
        XCTAssertEqual(r.status, 1, r.stderr)
        let validate = try runProcess(["python3", "-c", """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            log = json.load(open(sys.argv[2]))
            v = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
            errors = list(v.iter_errors(log))
            for e in errors[:10]: print(list(e.absolute_path), e.message)
            run = log["runs"][0]
            assert run["invocations"][0]["exitCode"] == 1, run["invocations"]
            uris = [a["location"]["uri"] for a in run["artifacts"]]
            assert "my%20file%20%231.txt" in uris, uris
            assert all("hashes" in a for a in run["artifacts"] if a["properties"]["status"] != "missing")
            sys.exit(1 if errors else 0)
            """, schema.path, ws.url("r.sarif").path])
        XCTAssertEqual(validate.status, 0, validate.stdout + validate.stderr)
    }
}

/// The HTML report of a 200,000-entry delivery: small, and drawn at once by a real
/// browser (headless Chromium), with a screenshot kept in .build/test-artifacts/.
final class HTMLReportBrowserTests: XCTestCase {
    func testLargeDeliveryReportIsSmallAndDrawsQuickly() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"),
              try runProcess(["python3", "-c", "import selenium"]).status == 0 else {
            throw XCTSkip("chromium, chromium-driver and python3 selenium are not installed (scripts/test.sh installs them)")
        }
        let ws = try Workspace()
        // 200,000 small entries in one tar, written by Python's tarfile.
        try shell("""
            python3 - <<'PY'
            import io, tarfile
            with tarfile.open("big.tar", "w") as tar:
                for i in range(200_000):
                    data = b"entry %d\\n" % i
                    info = tarfile.TarInfo("recipes/batch-%03d/recipe-%06d.txt" % (i // 1000, i))
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
            PY
            """, cwd: ws.dir)
        let artifacts = repoRoot.appendingPathComponent(".build/test-artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let key = try ws.key("vendor")
        try ws.manifest("big.tar", keys: [key], output: "big.tar.dsse.json",
                        extra: ["--vendor", "Acme", "--product", "recipes", "--version", "7", "--kind", "recipe"])
        for (name, expected) in [("accepted", Int32(0)), ("rejected", Int32(1))] {
            if name == "rejected" { try FileManager.default.removeItem(at: ws.url("big.tar.dsse.json")) }
            let r = try ws.passbox(["verify", "big.tar", "--format", "html", "-o", "report-\(name).html"])
            XCTAssertEqual(r.status, expected, r.stderr)
            let size = try ws.read("report-\(name).html").count
            XCTAssertLessThan(size, 1 << 20, "\(name): the HTML report is \(size) bytes")
            let shot = artifacts.appendingPathComponent("html-report-200000-\(name).png").path
            let render = try runProcess(["python3", fixtureScripts.appendingPathComponent("render_html.py").path,
                                         ws.url("report-\(name).html").path, shot])
            XCTAssertEqual(render.status, 0, render.stderr)
            let timing = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(render.stdout.utf8)) as? [String: Any], render.stdout)
            let loadMs = try XCTUnwrap(timing["loadMs"] as? Int)
            XCTAssertLessThan(loadMs, 2000, "\(name): drawn in \(loadMs) ms")
            XCTAssertTrue(FileManager.default.fileExists(atPath: shot))
            print("HTML report of 200,000 entries (\(name)): \(size) bytes, load \(loadMs) ms, wall \(timing["wallMs"] ?? "?") ms; screenshot \(shot)")
        }
    }
}
