import Foundation
import XCTest

/// Text from a delivery never drives a terminal (docs/report.md): names, SBOM fields,
/// predicate fields and messages quoting them reach every text output with their
/// control characters escaped; JSON keeps them exactly (JSON escapes them itself).
final class TerminalEscapeCLITests: XCTestCase {
    /// An OSC sequence that retitles a terminal, and a CSI that recolours it.
    static let retitle = "\u{1b}]0;pwned\u{07}"
    static let red = "\u{1b}[31m"
    /// C1 CSI (U+009B), which a UTF-8 terminal may take for ESC [.
    static let c1 = "\u{9b}2J"

    /// No ESC, BEL, C1 control or other control byte but line feeds (and tabs, which
    /// `log show` uses as separators).
    private func assertNoControls(_ text: String, allowTabs: Bool = false, _ what: String,
                                  file: StaticString = #filePath, line: UInt = #line) {
        let bad = text.unicodeScalars.filter { s in
            (s.value < 0x20 && s != "\n" && !(allowTabs && s == "\t")) || s.value == 0x7f || (0x80...0x9f).contains(s.value)
        }
        XCTAssertTrue(bad.isEmpty, "\(what) carries control characters \(bad.map { String($0.value, radix: 16) }): \(text.debugDescription.prefix(600))",
                      file: file, line: line)
    }

    private func hostileDelivery(_ ws: Workspace) throws -> String {
        try ws.standardDelivery()
        let key = try ws.key("vendor")
        try ws.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json",
                        extra: ["--vendor", "Acme\(Self.red)", "--product", "etcher\(Self.c1)", "--version", "2.4", "--kind", "firmware"])
        let name = "evil\(Self.retitle)\(Self.red).bin"
        try ws.write("delivery/\(name)", "unlisted\n")
        return name
    }

    func testTextReportEscapesNamesAndPredicateFields() throws {
        let ws = try Workspace()
        let name = try hostileDelivery(ws)
        let text = try ws.passbox(["verify", "delivery"])
        XCTAssertEqual(text.status, 1, text.stderr)
        assertNoControls(text.stdout, "the text report")
        XCTAssertTrue(text.stdout.contains(#"evil\x1b]0;pwned\x07\x1b[31m.bin"#), text.stdout)
        XCTAssertTrue(text.stdout.contains(#"Acme\x1b[31m etcher\u{9b}2J 2.4"#), text.stdout)

        // JSON keeps the exact name (escaped the JSON way).
        let json = try ws.verify(["delivery"])
        XCTAssertEqual(json.status, 1)
        XCTAssertEqual(json.findings("file.unlisted").first?["path"] as? String, name)
        XCTAssertFalse(json.stdout.contains("\u{1b}"), "JSON must escape ESC")

        // The audit log, as `log show` prints it.
        let log = try ws.passbox(["log", "show"])
        XCTAssertEqual(log.status, 0, log.stderr)
        assertNoControls(log.stdout, allowTabs: true, "log show")
    }

    func testSBOMListingEscapesComponentFields() throws {
        let ws = try Workspace()
        let bom = """
        {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
         "components": [{"type": "library", "name": "lib\\u001b]0;pwned\\u0007x", "version": "1\\u001b[31m",
                         "licenses": [{"license": {"name": "Evil\\u009b2J licence"}}]}]}
        """
        try ws.write("bom.json", bom)
        try ws.write("policy.yaml", "sbom:\n  allow: [pkg:npm/lodash]\n")
        let r = try ws.passbox(["sbom", "bom.json", "--policy", "policy.yaml"])
        XCTAssertEqual(r.status, 1, r.stderr)
        assertNoControls(r.stdout, "passbox sbom")
        XCTAssertTrue(r.stdout.contains(#"lib\x1b]0;pwned\x07x@1\x1b[31m"#), r.stdout)
    }

    func testMessagesOnStandardErrorAreEscaped() throws {
        let ws = try Workspace()
        let r = try ws.passbox(["verify", "no-such\(Self.retitle)path", "--trust-store", "ts"])
        XCTAssertEqual(r.status, 2, r.stderr)
        assertNoControls(r.stderr, "stderr")
        XCTAssertTrue(r.stderr.contains(#"no-such\x1b]0;pwned\x07path"#), r.stderr)
    }

    func testSyslogAndCEFCarryNoControlCharacters() throws {
        let ws = try Workspace()
        try ws.standardDelivery()
        let name = "evil\(Self.retitle)\n<13>1 forged.bin"
        try ws.write(name, "not signed\n")
        for format in ["rfc5424", "cef"] {
            let collector = try Collector(tcp: false)
            let r = try ws.passbox(["verify", name, "--trust-store", "ts", "--syslog", collector.url, "--syslog-format", format])
            XCTAssertEqual(r.status, 1, r.stderr)
            let raw = String(decoding: try collector.receive(), as: UTF8.self)
            assertNoControls(raw, "the \(format) message")
            XCTAssertFalse(raw.contains("\n"), "a name must not start a new log line: \(raw)")
            XCTAssertTrue(raw.contains(#"\x1b]0;pwned\x07"#), raw)
        }
    }
}
