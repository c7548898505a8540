import Foundation
import Attestation
import Station
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A collector on 127.0.0.1 (an ephemeral port): a UDP socket or a listening TCP
/// socket. The kernel queues datagrams and completes TCP handshakes while the test
/// runs passbox, so the messages are read afterwards without threads.
final class Collector {
    let fd: Int32
    let port: UInt16
    let tcp: Bool

    init(tcp: Bool, backlog: Int32 = 16) throws {
        self.tcp = tcp
        #if canImport(Glibc)
        let type = Int32(tcp ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue)
        #else
        let type = tcp ? SOCK_STREAM : SOCK_DGRAM
        #endif
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { throw CollectorError("socket failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { close(fd); throw CollectorError("bind failed") }
        if tcp { guard listen(fd, backlog) == 0 else { close(fd); throw CollectorError("listen failed") } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        self.port = UInt16(bigEndian: addr.sin_port)
    }

    deinit { close(fd) }

    var url: String { "\(tcp ? "tcp" : "udp")://127.0.0.1:\(port)" }

    private func readable(_ fd: Int32, millis: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, millis) > 0
    }

    /// The next datagram (UDP) or the next connection's whole stream (TCP).
    func receive(millis: Int32 = 3000) throws -> Data {
        guard readable(fd, millis: millis) else { throw CollectorError("nothing received") }
        var buffer = [UInt8](repeating: 0, count: 65536)
        if !tcp {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { throw CollectorError("recv failed") }
            return Data(buffer.prefix(n))
        }
        let conn = accept(fd, nil, nil)
        guard conn >= 0 else { throw CollectorError("accept failed") }
        defer { close(conn) }
        var out = Data()
        while readable(conn, millis: millis) {
            let n = recv(conn, &buffer, buffer.count, 0)
            if n <= 0 { break }
            out.append(contentsOf: buffer.prefix(n))
        }
        return out
    }

    /// True when nothing is waiting.
    func isQuiet(millis: Int32 = 200) -> Bool { !readable(fd, millis: millis) }
}

struct CollectorError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A parsed RFC 5424 message with one SD element.
struct SyslogMessage {
    var pri: Int
    var version: Int
    var timestamp: String
    var host: String
    var app: String
    var procID: String
    var msgID: String
    var sdID: String?
    var params: [String: String] = [:]
    var paramOrder: [String] = []
    var msg: String

    /// Parses `<PRI>1 TS HOST APP PROCID MSGID SD [MSG]` (SD: `-` or one element).
    init?(_ text: String) {
        var s = Substring(text)
        guard s.first == "<", let close = s.firstIndex(of: ">"), let pri = Int(s[s.index(after: s.startIndex)..<close]) else { return nil }
        self.pri = pri
        s = s[s.index(after: close)...]
        func field() -> String? {
            guard let space = s.firstIndex(of: " ") else { return nil }
            let f = String(s[..<space])
            s = s[s.index(after: space)...]
            return f
        }
        guard let v = field().flatMap(Int.init), let ts = field(), let host = field(), let app = field(),
              let proc = field(), let msgid = field() else { return nil }
        version = v; timestamp = ts; self.host = host; self.app = app; procID = proc; msgID = msgid
        if s.hasPrefix("- ") {
            s = s.dropFirst(2)
        } else if s.first == "[" {
            s = s.dropFirst()
            guard let space = s.firstIndex(of: " ") else { return nil }
            sdID = String(s[..<space])
            s = s[space...]
            while s.first == " " {
                s = s.dropFirst()
                guard let eq = s.firstIndex(of: "=") else { return nil }
                let name = String(s[..<eq])
                s = s[s.index(after: eq)...]
                guard s.first == "\"" else { return nil }
                s = s.dropFirst()
                var value = ""
                while let c = s.first, c != "\"" {
                    if c == "\\", let next = s.dropFirst().first, "\"\\]".contains(next) {
                        value.append(next); s = s.dropFirst(2)
                    } else {
                        guard c != "]" else { return nil } // an unescaped ] inside a value
                        value.append(c); s = s.dropFirst()
                    }
                }
                guard s.first == "\"" else { return nil }
                s = s.dropFirst()
                params[name] = value
                paramOrder.append(name)
            }
            guard s.first == "]" else { return nil }
            s = s.dropFirst()
            if s.first == " " { s = s.dropFirst() }
        } else {
            return nil
        }
        msg = String(s)
    }
}

/// SIEM events (docs/station.md, "SIEM"): RFC 5424 and CEF over UDP and TCP.
final class SIEMCLITests: XCTestCase {

    private func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = gethostname(&buffer, 255)
        return String(cString: buffer)
    }

    func testVerifyDecisionsReachAUDPCollectorAsRFC5424() throws {
        let ws = try Workspace()
        try ws.signedStandardDelivery()
        let weird = "we\"ird]name\\x.bin"
        try ws.write(weird, "not signed\n")
        let collector = try Collector(tcp: false)

        let rejected = try ws.passbox(["verify", weird, "--trust-store", "ts", "--syslog", collector.url])
        XCTAssertEqual(rejected.status, 1, rejected.stderr)
        XCTAssertFalse(rejected.stderr.contains("SIEM"), rejected.stderr)
        let raw = String(decoding: try collector.receive(), as: UTF8.self)
        // The escapes of RFC 5424 §6.3.3 are on the wire.
        XCTAssertTrue(raw.contains(#"delivery="we\"ird\]name\\x.bin""#), raw)
        let m = try XCTUnwrap(SyslogMessage(raw), raw)
        let record = try XCTUnwrap(try ws.auditRecords().last)
        XCTAssertEqual(m.pri, 16 * 8 + 4) // local0.warning
        XCTAssertEqual(m.version, 1)
        XCTAssertEqual(m.timestamp, record["time"] as? String)
        XCTAssertNotNil(parseRFC3339(m.timestamp))
        XCTAssertEqual(m.host, hostName())
        XCTAssertEqual(m.app, "passbox")
        XCTAssertNotNil(Int(m.procID))
        XCTAssertEqual(m.msgID, "VERIFY-REJECTED") // one MSGID per event type
        XCTAssertEqual(m.sdID, "passbox@32473")
        XCTAssertEqual(m.params["verdict"], "rejected")
        XCTAssertEqual(m.params["command"], "verify")
        XCTAssertEqual(m.params["delivery"], weird)
        XCTAssertEqual(m.params["sha256"], record["deliverySha256"] as? String)
        XCTAssertEqual(m.params["findings"], "manifest.none")
        XCTAssertEqual(m.params["seq"], "\(record["seq"] as? Int ?? -1)")
        XCTAssertTrue(m.msg.hasPrefix("passbox verify rejected "), m.msg)

        let accepted = try ws.passbox(["verify", "delivery", "--trust-store", "ts", "--syslog", collector.url])
        XCTAssertEqual(accepted.status, 0, accepted.stderr)
        let a = try XCTUnwrap(SyslogMessage(String(decoding: try collector.receive(), as: UTF8.self)))
        XCTAssertEqual(a.pri, 16 * 8 + 5) // local0.notice
        XCTAssertEqual(a.params["verdict"], "accepted")
        XCTAssertEqual(a.params["findings"], "")
        XCTAssertEqual(a.params["seq"], "2")
        XCTAssertTrue(collector.isQuiet())
    }

    func testAdmitDecisionReachesATCPCollectorWithOctetCounting() throws {
        let ws = try Workspace()
        try ws.signedStandardDelivery()
        XCTAssertEqual(try ws.passbox(["keygen", "-o", "keys/station"]).status, 0)
        try FileManager.default.createDirectory(at: ws.url("share"), withIntermediateDirectories: true)
        let collector = try Collector(tcp: true)
        let r = try ws.passbox(["admit", "delivery", "--to", "share", "--station-key", "keys/station.key",
                                "--trust-store", "ts", "--syslog", collector.url])
        XCTAssertEqual(r.status, 0, r.stderr)
        let stream = String(decoding: try collector.receive(), as: UTF8.self)
        // RFC 6587 octet counting: "LEN SP MSG", nothing else on the connection.
        let space = try XCTUnwrap(stream.firstIndex(of: " "))
        let length = try XCTUnwrap(Int(stream[..<space]))
        let body = String(stream[stream.index(after: space)...])
        XCTAssertEqual(body.utf8.count, length, stream)
        let m = try XCTUnwrap(SyslogMessage(body), body)
        let record = try XCTUnwrap(try ws.auditRecords().last)
        let folder = try XCTUnwrap(record["admitted"] as? String)
        XCTAssertTrue(FileManager.default.fileExists(atPath: ws.url("share/\(folder)").path))
        XCTAssertEqual(m.pri, 133)
        XCTAssertEqual(m.params["command"], "admit")
        XCTAssertEqual(m.params["verdict"], "accepted")
        XCTAssertEqual(m.params["admitted"], folder)
        XCTAssertEqual(m.params["delivery"], "delivery")
        XCTAssertEqual(m.params["sha256"], record["deliverySha256"] as? String)
        XCTAssertEqual(m.params["seq"], "\(record["seq"] as? Int ?? -1)")
        XCTAssertTrue(m.msg.contains("admitted as \(folder)"), m.msg)

        // A rejected admission is sent too (nothing admitted).
        try ws.write("delivery/autorun.inf", "[autorun]\n")
        let rejected = try ws.passbox(["admit", "delivery", "--to", "share", "--station-key", "keys/station.key",
                                       "--trust-store", "ts", "--syslog", collector.url])
        XCTAssertEqual(rejected.status, 1, rejected.stderr)
        let second = String(decoding: try collector.receive(), as: UTF8.self)
        let n = try XCTUnwrap(SyslogMessage(String(second.drop { $0 != " " }.dropFirst())), second)
        XCTAssertEqual(n.pri, 132)
        XCTAssertEqual(n.params["verdict"], "rejected")
        XCTAssertEqual(n.params["findings"], "file.unlisted")
        XCTAssertNil(n.params["admitted"])
    }

    func testCEFFromThePolicyAndFromTheCommandLine() throws {
        let ws = try Workspace()
        try ws.signedStandardDelivery()
        try ws.write("odd=name|x.bin", "unsigned\n")
        let collector = try Collector(tcp: false)
        try ws.write("policy.yaml", "siem:\n  syslog: \"\(collector.url)\"\n  format: cef\n")
        let r = try ws.passbox(["verify", "odd=name|x.bin", "--trust-store", "ts", "--policy", "policy.yaml"])
        XCTAssertEqual(r.status, 1, r.stderr)
        let raw = String(decoding: try collector.receive(), as: UTF8.self)
        let m = try XCTUnwrap(SyslogMessage(raw), raw)
        XCTAssertEqual(m.pri, 132)
        XCTAssertNil(m.sdID)
        let record = try XCTUnwrap(try ws.auditRecords().last)
        XCTAssertTrue(m.msg.hasPrefix("CEF:0|passbox|passbox|"), m.msg)
        let header = m.msg.split(separator: "|", maxSplits: 7, omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(header.count, 8, m.msg)
        XCTAssertEqual(header[4], "verify")
        XCTAssertEqual(header[5], "Delivery rejected")
        XCTAssertEqual(header[6], "6")
        let ext = header[7]
        XCTAssertTrue(ext.contains(#"fname=odd\=name|x.bin "#), ext) // `=` escaped in extension values
        XCTAssertTrue(ext.contains("act=rejected"), ext)
        XCTAssertTrue(ext.contains("fileHash=\(record["deliverySha256"] as? String ?? "?")"), ext)
        XCTAssertTrue(ext.contains("cs1Label=findings cs1=manifest.none"), ext)
        XCTAssertTrue(ext.contains("cn1Label=auditSeq cn1=\(record["seq"] as? Int ?? -1)"), ext)

        // The command line overrides the policy's format.
        let s = try ws.passbox(["verify", "delivery", "--trust-store", "ts", "--policy", "policy.yaml", "--syslog-format", "rfc5424"])
        XCTAssertEqual(s.status, 0, s.stderr)
        let five = try XCTUnwrap(SyslogMessage(String(decoding: try collector.receive(), as: UTF8.self)))
        XCTAssertEqual(five.sdID, "passbox@32473")
        // And --syslog-format cef with --syslog.
        let other = try Collector(tcp: false)
        let c = try ws.passbox(["verify", "delivery", "--trust-store", "ts", "--syslog", other.url, "--syslog-format", "cef"])
        XCTAssertEqual(c.status, 0, c.stderr)
        let accepted = try XCTUnwrap(SyslogMessage(String(decoding: try other.receive(), as: UTF8.self)))
        XCTAssertEqual(accepted.pri, 133)
        XCTAssertTrue(accepted.msg.contains("|verify|Delivery accepted|3|"), accepted.msg)
    }

    func testCollectorDownChangesNeitherExitCodeNorAuditRecord() throws {
        let ws = try Workspace()
        try ws.signedStandardDelivery()
        XCTAssertEqual(try ws.passbox(["keygen", "-o", "keys/station"]).status, 0)
        try FileManager.default.createDirectory(at: ws.url("share"), withIntermediateDirectories: true)
        // Ports that were just bound and closed again: nobody listens there.
        let tcpPort = try Collector(tcp: true).port
        let udpPort = try Collector(tcp: false).port

        let started = Date()
        let v = try ws.passbox(["verify", "delivery", "--trust-store", "ts", "--syslog", "tcp://127.0.0.1:\(tcpPort)"])
        XCTAssertEqual(v.status, 0, v.stderr)
        XCTAssertTrue(v.stderr.contains("not sent to the SIEM"), v.stderr)
        let u = try ws.passbox(["verify", "delivery/README.txt", "--trust-store", "ts", "--syslog", "udp://127.0.0.1:\(udpPort)"])
        XCTAssertEqual(u.status, 1, u.stderr)
        let a = try ws.passbox(["admit", "delivery", "--to", "share", "--station-key", "keys/station.key",
                                "--trust-store", "ts", "--syslog", "tcp://127.0.0.1:\(tcpPort)", "--syslog-format", "cef"])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertTrue(a.stderr.contains("not sent to the SIEM"), a.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 20)

        let records = try ws.auditRecords()
        XCTAssertEqual(records.map { $0["command"] as? String }, ["verify", "verify", "admit"])
        XCTAssertEqual(records.map { $0["verdict"] as? String }, ["accepted", "rejected", "accepted"])
        XCTAssertNotNil(records.last?["admitted"] as? String)
        XCTAssertEqual(try ws.passbox(["log", "verify"]).status, 0)
    }

    /// A collector whose accept queue is full answers no SYN: connect times out after
    /// about a second; the decision and its record are unchanged.
    func testUnresponsiveCollectorTimesOutInAboutASecond() throws {
        let ws = try Workspace()
        try ws.signedStandardDelivery()
        let collector = try Collector(tcp: true, backlog: 0)
        var fillers: [Int32] = []
        defer { for f in fillers { close(f) } }
        for _ in 0..<3 {
            #if canImport(Glibc)
            let f = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            #else
            let f = socket(AF_INET, SOCK_STREAM, 0)
            #endif
            XCTAssertGreaterThanOrEqual(f, 0)
            fillers.append(f)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = collector.port.bigEndian
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(f, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        Thread.sleep(forTimeInterval: 0.2)
        let started = Date()
        let r = try ws.passbox(["verify", "delivery", "--trust-store", "ts", "--syslog", collector.url])
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("not sent to the SIEM"), r.stderr)
        XCTAssertTrue(r.stderr.contains("timed out"), r.stderr)
        XCTAssertLessThan(elapsed, 5, "the send must give up quickly")
        XCTAssertEqual(try ws.auditRecords().count, 1)
    }

    func testMalformedCollectorIsAUsageError() throws {
        let ws = try Workspace()
        try ws.signedStandardDelivery()
        for bad in ["http://127.0.0.1:514", "udp://127.0.0.1", "tcp://127.0.0.1:0", "udp://:514", "tcp://127.0.0.1:99999"] {
            let r = try ws.passbox(["verify", "delivery", "--trust-store", "ts", "--syslog", bad])
            XCTAssertEqual(r.status, 2, "\(bad): \(r.stderr)")
        }
        XCTAssertEqual(try ws.passbox(["verify", "delivery", "--trust-store", "ts", "--syslog-format", "cef"]).status, 2)
        try ws.write("policy.yaml", "siem:\n  syslog: \"udp://127.0.0.1:514\"\n  format: leef\n")
        XCTAssertEqual(try ws.passbox(["verify", "delivery", "--trust-store", "ts", "--policy", "policy.yaml"]).status, 2)
        // Nothing was decided, so nothing was recorded.
        XCTAssertEqual(try ws.auditRecords().count, 0)
    }

    func testSDEscapingAndCEFEscaping() {
        XCTAssertEqual(Syslog.sdEscape(#"a"b\c]d"#), #"a\"b\\c\]d"#)
        XCTAssertEqual(Syslog.cefExtensionEscape("a=b\\c\nd|e"), #"a\=b\\c\nd|e"#)
        XCTAssertEqual(Syslog.cefHeaderEscape(#"a|b\c"#), #"a\|b\\c"#)
        XCTAssertNil(SyslogTarget(url: "udp://[::1]"))
        XCTAssertEqual(SyslogTarget(url: "tcp://[::1]:6514"), SyslogTarget(transport: .tcp, host: "::1", port: 6514))
    }
}
