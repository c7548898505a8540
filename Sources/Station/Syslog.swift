import Attestation
import Foundation
import SafeText
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where decisions are sent: `udp://HOST:PORT` (RFC 5426) or `tcp://HOST:PORT`
/// (RFC 6587 octet counting). HOST may be a name, an IPv4 address or `[IPv6]`.
public struct SyslogTarget: Sendable, Equatable, CustomStringConvertible {
    /// How messages travel: UDP datagrams, or TCP with octet counting (RFC 6587).
    public enum Transport: String, Sendable { case udp, tcp }
    public var transport: Transport
    public var host: String
    public var port: UInt16

    public init(transport: Transport, host: String, port: UInt16) {
        self.transport = transport
        self.host = host
        self.port = port
    }

    /// Parses `udp://HOST:PORT` / `tcp://HOST:PORT`; nil when it is anything else.
    public init?(url: String) {
        let transport: Transport
        let rest: Substring
        if url.hasPrefix("udp://") {
            transport = .udp
            rest = url.dropFirst(6)
        } else if url.hasPrefix("tcp://") {
            transport = .tcp
            rest = url.dropFirst(6)
        } else {
            return nil
        }
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        var host = String(rest[..<colon])
        let portText = rest[rest.index(after: colon)...]
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
              let port = UInt16(portText), port > 0 else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        guard !host.isEmpty, host.utf8.count <= 253,
              host.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && !"/?#@[]".unicodeScalars.contains($0) })
        else { return nil }
        self.init(transport: transport, host: host, port: port)
    }

    public var description: String {
        "\(transport.rawValue)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}

/// The message inside the syslog header.
public enum SIEMFormat: String, Sendable, CaseIterable {
    /// RFC 5424 structured data `[passbox@32473 ...]` plus a short text.
    case rfc5424
    /// ArcSight Common Event Format as the syslog MSG.
    case cef
}

/// One decision as the SIEM sees it (built from the audit record).
public struct SIEMEvent: Sendable, Equatable {
    /// verify | admit
    public var command: String
    /// accepted | rejected
    public var verdict: String
    /// The input path as given.
    public var delivery: String
    public var sha256: String
    public var findings: [String]
    /// The audit record's seq; nil when the decision could not be recorded.
    public var seq: Int?
    /// The admitted folder (admit, accepted).
    public var admitted: String?
    /// RFC 3339 (the audit record's time).
    public var time: String
    public var user: String
    public var station: String
    /// The audit record's optional context (absolute path, predicate, digests, error).
    public var path: String?
    public var vendor: String?
    public var product: String?
    public var version: String?
    public var kind: String?
    public var policySha256: String?
    public var trustStoreSha256: String?
    public var error: String?

    /// RFC 5424 MSGID: one per event type, `VERIFY-ACCEPTED`, `ADMIT-REJECTED`,
    /// `VERIFY-ERROR` (could not evaluate) ...
    public var messageID: String { "\(command)-\(verdict)".uppercased() }

    public init(record: AuditRecord, recorded: Bool) {
        command = record.command
        verdict = record.verdict
        delivery = record.input
        sha256 = record.deliverySha256
        findings = record.findings
        seq = recorded ? record.seq : nil
        admitted = record.admitted
        time = record.time
        user = record.user
        station = record.station
        path = record.path
        vendor = record.vendor
        product = record.product
        version = record.version
        kind = record.kind
        policySha256 = record.policySha256
        trustStoreSha256 = record.trustStoreSha256
        error = record.error
    }
}

/// Syslog messages of decisions (RFC 5424 structured data, or CEF) and sending them.
public enum Syslog {
    /// RFC 5612's example enterprise number, as in RFC 5424's own examples.
    public static let sdID = "passbox@32473"
    /// local0
    public static let facility = 16
    /// Longest delivery path put into a message (UDP datagrams stay well under 8 KiB).
    static let maxDeliveryBytes = 1024

    /// PRI: local0, notice (5) for accepted, error (3) for could not evaluate, warning (4) for rejected.
    public static func priority(verdict: String) -> Int {
        facility * 8 + (verdict == "accepted" ? 5 : verdict == "error" ? 3 : 4)
    }

    /// The whole syslog message (RFC 5424 header, then SD and MSG or a CEF line).
    public static func message(_ event: SIEMEvent, format: SIEMFormat, version: String,
                               processID: Int32 = getpid()) -> String {
        let header = "<\(priority(verdict: event.verdict))>1 \(event.time) \(headerField(event.station, max: 255)) passbox \(processID) \(headerField(event.messageID, max: 32))"
        let delivery = truncated(event.delivery, maxBytes: maxDeliveryBytes)
        switch format {
        case .rfc5424:
            var params: [(String, String)] = [
                ("verdict", event.verdict), ("command", event.command), ("delivery", delivery),
                ("sha256", event.sha256), ("findings", event.findings.joined(separator: ",")),
            ]
            if let seq = event.seq { params.append(("seq", String(seq))) } else { params.append(("recorded", "false")) }
            if let admitted = event.admitted { params.append(("admitted", admitted)) }
            params.append(("user", event.user))
            for (key, value) in [("path", event.path), ("vendor", event.vendor), ("product", event.product), ("version", event.version),
                                 ("kind", event.kind), ("policySha256", event.policySha256), ("trustStoreSha256", event.trustStoreSha256),
                                 ("error", event.error)] {
                if let value { params.append((key, truncated(value, maxBytes: maxDeliveryBytes))) }
            }
            let sd = "[" + sdID + params.map { " \($0.0)=\"\(sdEscape(terminalSafe($0.1)))\"" }.joined() + "]"
            var text = "passbox \(event.command) \(event.verdict) \(oneLine(delivery)) sha256:\(event.sha256.prefix(16))"
            if !event.findings.isEmpty { text += " findings: " + event.findings.joined(separator: ",") }
            if let admitted = event.admitted { text += " admitted as \(admitted)" }
            if let error = event.error { text += " error: " + oneLine(truncated(error, maxBytes: maxDeliveryBytes)) }
            return "\(header) \(sd) \(text)"
        case .cef:
            return "\(header) - \(cef(event, delivery: delivery, version: version))"
        }
    }

    /// `CEF:0|passbox|passbox|VERSION|command|name|severity|extension`.
    static func cef(_ event: SIEMEvent, delivery: String, version: String) -> String {
        let accepted = event.verdict == "accepted"
        let name = event.verdict == "error" ? "Delivery could not be evaluated"
            : accepted ? (event.admitted != nil ? "Delivery admitted" : "Delivery accepted") : "Delivery rejected"
        let severity = accepted ? 3 : event.verdict == "error" ? 7 : 6
        var ext: [(String, String)] = [
            ("rt", String(Int64(((parseRFC3339(event.time) ?? Date()).timeIntervalSince1970 * 1000).rounded()))),
            ("dvchost", event.station), ("suser", event.user),
            ("act", event.verdict), ("fname", delivery), ("fileHash", event.sha256),
            ("cs1Label", "findings"), ("cs1", event.findings.joined(separator: ",")),
        ]
        if let seq = event.seq { ext += [("cn1Label", "auditSeq"), ("cn1", String(seq))] }
        if let admitted = event.admitted { ext += [("cs2Label", "admitted"), ("cs2", admitted)] }
        if let path = event.path { ext += [("filePath", truncated(path, maxBytes: maxDeliveryBytes))] }
        let product = [event.vendor, event.product, event.version, event.kind.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")
        if !product.isEmpty { ext += [("cs3Label", "product"), ("cs3", truncated(product, maxBytes: maxDeliveryBytes))] }
        if let policy = event.policySha256 { ext += [("cs4Label", "policySha256"), ("cs4", policy)] }
        if let trust = event.trustStoreSha256 { ext += [("cs5Label", "trustStoreSha256"), ("cs5", trust)] }
        if let error = event.error { ext += [("msg", truncated(error, maxBytes: maxDeliveryBytes))] }
        let header = ["CEF:0", "passbox", "passbox", cefHeaderEscape(version), cefHeaderEscape(event.command),
                      cefHeaderEscape(name), String(severity)].joined(separator: "|")
        return header + "|" + ext.map { "\($0.0)=\(terminalSafe(cefExtensionEscape($0.1)))" }.joined(separator: " ")
    }

    /// RFC 5424 §6.3.3: `"`, `\` and `]` are escaped with a backslash.
    public static func sdEscape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            if c == "\"" || c == "\\" || c == "]" { out += "\\" }
            out.unicodeScalars.append(c)
        }
        return out
    }

    /// CEF header fields: `\` and `|` escaped; no line breaks.
    public static func cefHeaderEscape(_ s: String) -> String {
        oneLine(s).replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "|", with: "\\|")
    }

    /// CEF extension values: `\`, `=` escaped, line breaks as `\n` / `\r`.
    public static func cefExtensionEscape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "=": out += "\\="
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A header field: printable US-ASCII without spaces, at most `max` bytes, `-` when empty.
    static func headerField(_ s: String, max: Int) -> String {
        let cleaned = String(String.UnicodeScalarView(s.unicodeScalars.map { ($0.value > 32 && $0.value < 127) ? $0 : "_" }).prefix(max))
        return cleaned.isEmpty ? "-" : cleaned
    }

    /// One line of text: control characters escaped (SafeText), so a delivery's name
    /// can neither break the message nor drive the terminal of whoever reads the log.
    static func oneLine(_ s: String) -> String { terminalSafe(s) }

    static func truncated(_ s: String, maxBytes: Int) -> String {
        guard s.utf8.count > maxBytes else { return s }
        var out = ""
        var bytes = 0
        for c in s.unicodeScalars {
            let n = String(c).utf8.count
            if bytes + n > maxBytes - 3 { break }
            out.unicodeScalars.append(c)
            bytes += n
        }
        return out + "..."
    }

    /// Sends one message; at most about `timeout` seconds for connect and again for the
    /// send. Throws a StationError describing what failed; never retries.
    public static func send(_ message: String, to target: SyslogTarget, timeout: Double = 1.0) throws {
        var payload = Array(message.utf8)
        if target.transport == .tcp {
            payload = Array("\(payload.count) ".utf8) + payload // RFC 6587 octet counting
        }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(target.transport == .udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = target.transport == .udp ? SOCK_DGRAM : SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(target.host, String(target.port), &hints, &list)
        guard rc == 0, let first = list else {
            throw StationError("syslog \(target): cannot resolve \(target.host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let ai = entry {
            entry = ai.pointee.ai_next
            do {
                try sendOnce(payload, ai.pointee, target: target, timeout: timeout)
                return
            } catch let error as StationError {
                lastError = error.message
            }
        }
        throw StationError("syslog \(target): \(lastError)")
    }

    /// One socket, owned by this call from `socket` to `close`.
    private static func sendOnce(_ payload: [UInt8], _ ai: addrinfo, target: SyslogTarget, timeout: Double) throws {
        let fd = socket(ai.ai_family, ai.ai_socktype, ai.ai_protocol)
        guard fd >= 0 else { throw StationError("socket: \(errnoText())") }
        defer { close(fd) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { throw StationError("fcntl: \(errnoText())") }
        let millis = Int32(max(1, (timeout * 1000).rounded()))
        if connect(fd, ai.ai_addr, ai.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { throw StationError("connect: \(errnoText())") }
            try waitWritable(fd, millis: millis, what: "connect")
            var soError: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len) == 0 else { throw StationError("connect: \(errnoText())") }
            guard soError == 0 else { throw StationError("connect: \(String(cString: strerror(soError)))") }
        }
        let deadline = Date().addingTimeInterval(timeout)
        var offset = 0
        while offset < payload.count {
            let n = payload.withUnsafeBytes { buf in
                sendBytes(fd, buf.baseAddress?.advanced(by: offset), payload.count - offset)
            }
            if n > 0 {
                if target.transport == .udp { return } // one datagram
                offset += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                let left = Int32(deadline.timeIntervalSinceNow * 1000)
                guard left > 0 else { throw StationError("send: timed out") }
                try waitWritable(fd, millis: left, what: "send")
                continue
            }
            throw StationError("send: \(errnoText())")
        }
    }

    private static func waitWritable(_ fd: Int32, millis: Int32, what: String) throws {
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        while true {
            let r = poll(&pfd, 1, millis)
            if r < 0 && errno == EINTR { continue }
            guard r >= 0 else { throw StationError("\(what): \(errnoText())") }
            guard r > 0 else { throw StationError("\(what): timed out after \(millis) ms") }
            return
        }
    }
}

/// send(2) without SIGPIPE.
private func sendBytes(_ fd: Int32, _ base: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    return send(fd, base, count, Int32(MSG_NOSIGNAL))
    #else
    return send(fd, base, count, 0)
    #endif
}
