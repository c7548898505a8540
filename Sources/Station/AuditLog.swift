import Attestation
import CryptoIO
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One decision of the station, as one line of `audit.jsonl`.
public struct AuditRecord: Sendable, Codable, Equatable {
    public var seq: Int
    /// RFC 3339, UTC.
    public var time: String
    public var user: String
    /// The host name of the station.
    public var station: String
    /// verify | admit
    public var command: String
    /// The input path as given.
    public var input: String
    /// sha256 of the delivery (see `deliveryDigest`).
    public var deliverySha256: String
    /// accepted | rejected
    public var verdict: String
    /// Finding codes, in report order, each once.
    public var findings: [String]
    /// For an admitted delivery: the folder it was admitted as.
    public var admitted: String?
    /// The block device the input path was on, when the system says (absent in older records).
    public var medium: MediumIdentity?
    /// The input as an absolute real path, when it exists (absent in older records).
    public var path: String?
    /// What the applied manifest says the delivery is (passbox's predicate), when known.
    public var vendor: String?
    public var product: String?
    public var version: String?
    public var kind: String?
    /// sha256 of the policy file ("built-in" policy: absent) and of the trust store.
    public var policySha256: String?
    public var trustStoreSha256: String?
    /// Why it could not be evaluated (verdict `error`: exit 2, no report).
    public var error: String?
    /// The previous record's hash (64 zeros for the first record).
    public var prev: String
    /// SHA-256 over the canonical encoding of this record without `hash`.
    public var hash: String

    public init(command: String, input: String, deliverySha256: String, verdict: String, findings: [String],
                admitted: String? = nil, medium: MediumIdentity? = nil, time: Date = Date()) {
        self.seq = 0
        self.time = rfc3339Milliseconds(time)
        self.user = userName()
        self.station = stationName()
        self.command = command
        self.input = input
        self.deliverySha256 = deliverySha256
        self.verdict = verdict
        var seen = Set<String>()
        self.findings = findings.filter { seen.insert($0).inserted }
        self.admitted = admitted
        self.medium = medium
        self.prev = AuditLog.genesis
        self.hash = ""
    }

    /// The canonical encoding: one JSON object, keys in byte order, no whitespace,
    /// strings with only the escapes JSON requires, `admitted`, `medium` and the later
    /// optional fields omitted when absent (`medium` is an object encoded the same way).
    public func canonical(includingHash: Bool) -> String {
        var fields: [(String, String)] = [
            ("command", jsonQuote(command)),
            ("deliverySha256", jsonQuote(deliverySha256)),
            ("findings", "[" + findings.map(jsonQuote).joined(separator: ",") + "]"),
            ("input", jsonQuote(input)),
            ("prev", jsonQuote(prev)),
            ("seq", String(seq)),
            ("station", jsonQuote(station)),
            ("time", jsonQuote(time)),
            ("user", jsonQuote(user)),
            ("verdict", jsonQuote(verdict)),
        ]
        if let admitted { fields.append(("admitted", jsonQuote(admitted))) }
        if let medium { fields.append(("medium", medium.canonical)) }
        // Later fields, each only when present: older records keep their hash.
        for (key, value) in [("path", path), ("vendor", vendor), ("product", product), ("version", version), ("kind", kind),
                             ("policySha256", policySha256), ("trustStoreSha256", trustStoreSha256), ("error", error)] {
            if let value { fields.append((key, jsonQuote(value))) }
        }
        if includingHash { fields.append(("hash", jsonQuote(hash))) }
        fields.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        return "{" + fields.map { "\(jsonQuote($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    /// SHA-256 over the canonical encoding without `hash`.
    public func computedHash() -> String {
        Hex.encode(Hasher.digest(.sha256, Data(canonical(includingHash: false).utf8)))
    }
}

/// The station's append-only, hash-chained audit log: `STATE/audit.jsonl` plus
/// `STATE/audit.head` (last seq and hash, replaced atomically).
public struct AuditLog: Sendable {
    public static let genesis = String(repeating: "0", count: 64)
    /// Longest input path kept in a record.
    static let maxInputLength = 4096

    public let directory: String
    public var logPath: String { directory + "/audit.jsonl" }
    public var headPath: String { directory + "/audit.head" }

    public init(directory: String) {
        self.directory = directory
    }

    struct Head: Codable {
        var seq: Int
        var hash: String
    }

    /// Checks that a record could be appended now (the log is writable and its end is
    /// intact), without writing anything.
    public func preflight() throws {
        try withLockedLog { _, _ in }
    }

    /// Appends a record: fills in seq, prev and hash; O_APPEND, fsync, then the head file.
    @discardableResult
    public func append(_ draft: AuditRecord) throws -> AuditRecord {
        var record = draft
        if record.input.utf8.count > Self.maxInputLength {
            record.input = String(decoding: Array(record.input.utf8.prefix(Self.maxInputLength)), as: UTF8.self)
        }
        try withLockedLog { fd, last in
            record.seq = (last?.seq ?? 0) + 1
            record.prev = last?.hash ?? Self.genesis
            record.hash = record.computedHash()
            try writeAll(fd, Data((record.canonical(includingHash: true) + "\n").utf8), what: logPath)
            guard fsync(fd) == 0 else { throw StationError("cannot sync \(logPath): \(errnoText())") }
            let head = Data("{\"hash\":\(jsonQuote(record.hash)),\"seq\":\(record.seq)}\n".utf8)
            try replaceAtomically(headPath, head, mode: 0o600)
        }
        return record
    }

    /// Opens the log for appending under an exclusive lock and reads its last record.
    private func withLockedLog(_ body: (Int32, AuditRecord?) throws -> Void) throws {
        try ensureStateDirectory(directory)
        let existed = FileManager.default.fileExists(atPath: logPath)
        let fd = open(logPath, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw StationError("cannot open the audit log \(logPath): \(errnoText())") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw StationError("cannot lock the audit log \(logPath): \(errnoText())") }
        if !existed { try syncDirectory(directory) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw StationError("the audit log \(logPath) is not a regular file")
        }
        let size = Int(st.st_size)
        var last: AuditRecord?
        if size > 0 {
            let window = min(size, 1 << 20)
            var tail = [UInt8](repeating: 0, count: window)
            let n = tail.withUnsafeMutableBytes { pread(fd, $0.baseAddress, window, off_t(size - window)) }
            guard n == window else { throw StationError("cannot read the audit log \(logPath): \(errnoText())") }
            guard tail.last == UInt8(ascii: "\n") else {
                throw StationError("the audit log \(logPath) ends with an incomplete record; run `passbox log verify`")
            }
            let body = tail.dropLast()
            let start = body.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? body.startIndex
            guard let record = parseRecordLine(Data(body[start...])), record.hash == record.computedHash() else {
                throw StationError("the last record of the audit log \(logPath) is damaged; run `passbox log verify`")
            }
            last = record
        }
        if let head = readHead() {
            guard head.seq <= (last?.seq ?? 0) else {
                throw StationError("the audit log \(logPath) ends at seq \(last?.seq ?? 0) but its head file records seq \(head.seq): records were removed; run `passbox log verify`")
            }
        }
        try body(fd, last)
    }

    func readHead() -> Head? {
        guard let data = FileManager.default.contents(atPath: headPath), data.count < 4096 else { return nil }
        return try? JSONDecoder().decode(Head.self, from: data)
    }

    /// A line as a record, only when it is exactly the record's canonical encoding.
    func parseRecordLine(_ line: Data) -> AuditRecord? {
        guard let record = try? JSONDecoder().decode(AuditRecord.self, from: line) else { return nil }
        guard Data(record.canonical(includingHash: true).utf8) == line else { return nil }
        return record
    }

    /// What `log verify` found.
    public struct Check: Sendable {
        /// Where the chain breaks, and how.
        public struct Problem: Sendable {
            /// 1-based line of audit.jsonl (nil: the head file).
            public var line: Int?
            public var seq: Int?
            public var message: String
        }
        public var records: [AuditRecord] = []
        /// The line of audit.jsonl each record is on (parallel to `records`).
        public var recordLines: [Int] = []
        public var problems: [Problem] = []
        public var warnings: [String] = []
        public var intact: Bool { problems.isEmpty }

        /// Indices of the records at or after `since` with that verdict (all when nil).
        public func select(since: Date?, verdict: String?) -> [Int] {
            records.indices.filter { i in
                if let verdict, records[i].verdict != verdict { return false }
                if let since {
                    guard let t = RFC3339.parse(records[i].time), t >= since else { return false }
                }
                return true
            }
        }

        /// Does this record (by its index in `records`) fail verification itself: edited,
        /// out of sequence, or not chained to the one before it?
        public func fails(_ index: Int) -> Bool {
            guard index < recordLines.count else { return false }
            let line = recordLines[index]
            return problems.contains { $0.line == line }
        }
    }

    /// Reads and checks the whole log. Throws when it cannot be read, and when there is
    /// none: a station that has no log cannot say its log is intact (a missing log, or
    /// versions.json without one, is "could not evaluate", exit 2).
    public func verify() throws -> Check {
        var check = Check()
        let fm = FileManager.default
        let logExists = fm.fileExists(atPath: logPath)
        let headExists = fm.fileExists(atPath: headPath)
        if !logExists && !headExists {
            if fm.fileExists(atPath: directory + "/versions.json") {
                throw StationError("no audit log at \(logPath), but \(directory)/versions.json shows that this station has admitted deliveries: the log was removed, or moved")
            }
            throw StationError("no audit log at \(logPath): nothing was recorded in this state directory (see --state, $PASSBOX_STATE_DIR)")
        }
        var data = Data()
        if logExists {
            guard let d = fm.contents(atPath: logPath) else { throw StationError("cannot read the audit log \(logPath)") }
            data = d
        }
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if let lastLine = lines.last, lastLine.isEmpty { lines.removeLast() }
        let torn = !data.isEmpty && data.last != UInt8(ascii: "\n")
        var expectedSeq = 1
        var expectedPrev = Self.genesis
        for (index, raw) in lines.enumerated() {
            let lineNumber = index + 1
            if torn && index == lines.count - 1 {
                check.problems.append(.init(line: lineNumber, seq: nil, message: "incomplete record (no line end): the log was cut in the middle of a record"))
                break
            }
            guard let record = parseRecordLine(Data(raw)) else {
                check.problems.append(.init(line: lineNumber, seq: expectedSeq, message: "not a record in canonical form: the line was edited"))
                expectedSeq += 1
                expectedPrev = ""
                continue
            }
            if record.hash != record.computedHash() {
                check.problems.append(.init(line: lineNumber, seq: record.seq, message: "record seq \(record.seq) does not match its hash: it was edited"))
            } else if record.seq != expectedSeq {
                let what = record.seq > expectedSeq ? "record(s) deleted" : "records reordered or duplicated"
                check.problems.append(.init(line: lineNumber, seq: record.seq, message: "seq \(record.seq) where seq \(expectedSeq) belongs: \(what)"))
            } else if record.prev != expectedPrev {
                check.problems.append(.init(line: lineNumber, seq: record.seq, message: "record seq \(record.seq) does not chain to the record before it (prev hash differs): records deleted, reordered or replaced"))
            }
            check.records.append(record)
            check.recordLines.append(lineNumber)
            expectedSeq = record.seq + 1
            expectedPrev = record.hash
        }
        let last = check.records.last
        if !headExists {
            if !lines.isEmpty {
                check.problems.append(.init(line: nil, seq: nil, message: "the head file \(headPath) is missing"))
            }
        } else if let head = readHead() {
            let lastSeq = last?.seq ?? 0
            if head.seq > lastSeq {
                check.problems.append(.init(line: lines.count + 1, seq: lastSeq + 1,
                                            message: "the log ends at seq \(lastSeq) but the head file records seq \(head.seq): records from seq \(lastSeq + 1) on were removed (truncated)"))
            } else if head.seq == lastSeq {
                if let last, head.hash != last.hash {
                    check.problems.append(.init(line: lines.count, seq: last.seq, message: "the last record's hash differs from the head file's: the end of the log was replaced"))
                }
            } else if head.seq == lastSeq - 1, let prior = check.records.first(where: { $0.seq == head.seq }), prior.hash == head.hash {
                check.warnings.append("the head file is one record behind (an append was interrupted before the head was updated)")
            } else {
                check.problems.append(.init(line: nil, seq: head.seq, message: "the head file (seq \(head.seq)) does not match the log (last seq \(lastSeq))"))
            }
        } else {
            check.problems.append(.init(line: nil, seq: nil, message: "the head file \(headPath) is unreadable or malformed"))
        }
        return check
    }
}
