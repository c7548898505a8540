import CryptoIO
import Foundation

/// A statement as read, before passbox's own checks (`Statement.parse` makes both
/// readers end in the same checks).
struct RawStatement {
    var type: String
    /// Already checked one by one (`Statement.subject(_:at:)`).
    var subjects: SubjectList
    var predicateType: String?
    var delivery: DeliveryPredicate?
}

/// A DSSE envelope as read: the payload's base64 text is left where it lies in the
/// envelope's bytes (`bytes`), unless it has escapes (`text`, decoded).
struct RawEnvelope {
    enum Payload {
        case bytes(Range<Int>)
        case text(String)
    }
    var payloadType: String
    var payload: Payload
    var signatures: [DSSEEnvelope.Signature]
}

struct RawSubject {
    var name: String?
    var digest: RawDigestSet
}

/// A DigestSet read straight into what passbox uses (no dictionary per subject).
struct RawDigestSet {
    var known: [(algorithm: DigestAlgorithm, key: String, hex: String)] = []
    var weak: [String] = []

    mutating func add(key: String, value: String) {
        let name = key.lowercased()
        if let algorithm = DigestAlgorithm(rawValue: name) {
            known.append((algorithm, key, value))
        } else if name == "md5" || name == "sha1" || name == "sha224" {
            weak.append(key)
        }
    }
}

/// A strict JSON reader (RFC 8259) for the in-toto Statement, in one pass over the
/// payload's bytes. Foundation's JSONDecoder took 0.22 s and tens of megabytes for
/// the statement of a 50,000-file delivery; this reads the same in a few hundredths
/// and builds only what passbox keeps. Only the payload of an envelope whose
/// signatures verified reaches it.
///
/// Stricter than JSONDecoder where JSON leaves room: a key twice in the statement, a
/// subject or a digest set is an error (which one would count?); so are invalid
/// UTF-8, lone surrogates and nesting deeper than 512. `Statement.parseWithFoundation`
/// is kept as the oracle the tests and the fuzzer compare it with.
struct StatementJSON {
    static let maxDepth = 512

    private let bytes: UnsafeRawBufferPointer
    private var i = 0
    /// What the messages call a document that is not what is read.
    private var notWhat = "not an in-toto Statement"

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    static func read(_ bytes: UnsafeRawBufferPointer) throws -> RawStatement {
        var reader = StatementJSON(bytes)
        return try reader.statement()
    }

    // MARK: the statement's shape

    private mutating func statement() throws -> RawStatement {
        skipWhitespace()
        var type: String?
        var subjects: SubjectList?
        var predicateType: String?
        var predicate: Range<Int>?
        try object(depth: 1, at: "") { reader, key in
            switch key {
            case "_type": type = try reader.string(at: "._type")
            case "subject": subjects = try reader.subjects()
            case "predicateType": predicateType = try reader.nullable(at: ".predicateType") { try $0.string(at: ".predicateType") }
            case "predicate":
                let start = reader.i
                try reader.skipValue(depth: 2)
                predicate = start..<reader.i
            default: try reader.skipValue(depth: 2)
            }
        }
        skipWhitespace()
        guard i == bytes.count else { throw failure("data after the statement") }
        guard let type else { throw ManifestError("not an in-toto Statement: missing key '_type'") }
        guard let subjects else { throw ManifestError("not an in-toto Statement: missing key 'subject'") }
        var delivery: DeliveryPredicate?
        if predicateType == deliveryPredicateType, let predicate, !isNull(predicate) {
            // Small and read once: JSONDecoder gives its located messages.
            do {
                delivery = try JSONDecoder().decode(DeliveryPredicate.self, from: Data(bytes[predicate]))
            } catch let error as DecodingError {
                throw ManifestError("not an in-toto Statement: \(describe(error)) (in .predicate)")
            }
        }
        return RawStatement(type: type, subjects: subjects, predicateType: predicateType, delivery: delivery)
    }

    private mutating func subjects() throws -> SubjectList {
        var out = SubjectList()
        // Sized once, from the times `"digest"` occurs after here (each subject has one:
        // at most that many subjects): grown by doubling, a list of 200,000 subjects
        // held 262,144 slots, and the old and new list at once while growing.
        out.reserve(min(Self.occurrences(of: "\"digest\"", in: UnsafeRawBufferPointer(rebasing: bytes[i...])), maxSubjects))
        try array(depth: 2, at: ".subject") { reader, index in
            guard out.count < maxSubjects else {
                throw ManifestError("statement has more than \(maxSubjects) subjects; at most \(maxSubjects) are read")
            }
            let at = { ".subject[\(index)]" } // made only for a message
            var name: String?
            var digest: RawDigestSet?
            try reader.object(depth: 3, at: at()) { reader, key in
                switch key {
                case "name": name = try reader.nullable(at: at() + ".name") { try $0.string(at: at() + ".name") }
                case "digest":
                    var set = RawDigestSet()
                    try reader.object(depth: 4, at: at() + ".digest") { reader, key in
                        set.add(key: key, value: try reader.string(at: at() + ".digest." + key)) // DigestSet values are strings
                    }
                    digest = set
                default: try reader.skipValue(depth: 4)
                }
            }
            guard let digest else { throw ManifestError("not an in-toto Statement: missing key 'digest' at \(at())") }
            out.append(try Statement.subject(RawSubject(name: name, digest: digest), at: index))
        }
        return out
    }

    /// How often `word` occurs in `text` (a fast scan: memchr for its first byte).
    static func occurrences(of word: String, in text: UnsafeRawBufferPointer) -> Int {
        let pattern = Array(word.utf8)
        guard let first = pattern.first, let base = text.baseAddress, text.count >= pattern.count else { return 0 }
        var count = 0
        var at = 0
        let last = text.count - pattern.count
        while at <= last {
            guard let hit = memchr(base + at, Int32(first), last - at + 1) else { break }
            let offset = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + offset, pattern, pattern.count) == 0 { count += 1 }
            at = offset + 1
        }
        return count
    }

    // MARK: the envelope's shape

    static func readEnvelope(_ bytes: UnsafeRawBufferPointer) throws -> RawEnvelope {
        var reader = StatementJSON(bytes)
        reader.notWhat = "not a DSSE envelope"
        return try reader.envelope()
    }

    private mutating func envelope() throws -> RawEnvelope {
        skipWhitespace()
        var payloadType: String?
        var payload: RawEnvelope.Payload?
        var signatures: [DSSEEnvelope.Signature]?
        try object(depth: 1, at: "") { reader, key in
            switch key {
            case "payloadType": payloadType = try reader.string(at: ".payloadType")
            case "payload": payload = try reader.payloadText()
            case "signatures": signatures = try reader.signatures()
            default: try reader.skipValue(depth: 2)
            }
        }
        skipWhitespace()
        guard i == bytes.count else { throw failure("data after the envelope") }
        guard let payloadType else { throw ManifestError("not a DSSE envelope: missing key 'payloadType'") }
        guard let payload else { throw ManifestError("not a DSSE envelope: missing key 'payload'") }
        guard let signatures else { throw ManifestError("not a DSSE envelope: missing key 'signatures'") }
        guard !signatures.isEmpty else { throw ManifestError("envelope has no signatures") }
        return RawEnvelope(payloadType: payloadType, payload: payload, signatures: signatures)
    }

    private mutating func signatures() throws -> [DSSEEnvelope.Signature] {
        var out: [DSSEEnvelope.Signature] = []
        try array(depth: 2, at: ".signatures") { reader, index in
            guard out.count < maxSignaturesPerEnvelope else {
                throw ManifestError("envelope has more than \(maxSignaturesPerEnvelope) signatures; at most \(maxSignaturesPerEnvelope) are read")
            }
            let at = ".signatures[\(index)]"
            var keyid: String?
            var sig: String?
            try reader.object(depth: 3, at: at) { reader, key in
                switch key {
                case "keyid": keyid = try reader.nullable(at: at + ".keyid") { try $0.string(at: at + ".keyid") }
                case "sig": sig = try reader.string(at: at + ".sig")
                default: try reader.skipValue(depth: 4)
                }
            }
            guard let sig else { throw ManifestError("not a DSSE envelope: missing key 'sig' at \(at)") }
            out.append(DSSEEnvelope.Signature(keyid: keyid, sig: sig))
        }
        return out
    }

    /// The payload string: where its text lies when it is plain ASCII without escapes
    /// (base64 always is), else decoded (then base64 decoding judges it).
    private mutating func payloadText() throws -> RawEnvelope.Payload {
        guard current == UInt8(ascii: "\"") else { throw wrongType("a string", at: ".payload") }
        let start = i + 1
        var k = start
        while k < bytes.count {
            let b = bytes[k]
            if b == UInt8(ascii: "\"") {
                i = k + 1
                return .bytes(start..<k)
            }
            if b == UInt8(ascii: "\\") || b < 0x20 || b >= 0x80 { break }
            k += 1
        }
        return .text(try rawString())
    }

    // MARK: JSON

    private func failure(_ what: String) -> ManifestError {
        ManifestError("\(notWhat): invalid JSON at byte \(i): \(what)")
    }

    private func wrongType(_ expected: String, at path: @autoclosure () -> String) -> ManifestError {
        let path = path()
        return ManifestError("\(notWhat): wrong type at \(path.isEmpty ? "the top" : path): expected \(expected)")
    }

    private var current: UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x0a, 0x0d, 0x09: i += 1
            default: return
            }
        }
    }

    private func isNull(_ range: Range<Int>) -> Bool {
        range.count == 4 && bytes[range.lowerBound] == UInt8(ascii: "n")
    }

    /// An object; `member` reads each value (key given). Keys may not repeat.
    private mutating func object(depth: Int, at path: @autoclosure () -> String, _ member: (inout StatementJSON, String) throws -> Void) throws {
        var seen = KeysSeen()
        try container(open: "{", close: "}", depth: depth, expected: "an object", at: path()) { reader in
            guard reader.current == UInt8(ascii: "\"") else { throw reader.failure("expected a key") }
            let key = try reader.rawString()
            let repeated = !seen.insert(key)
            if repeated {
                let path = path()
                throw ManifestError("\(reader.notWhat): key '\(key.prefix(80))' twice in \(path.isEmpty ? "the top object" : path)")
            }
            reader.skipWhitespace()
            guard reader.current == UInt8(ascii: ":") else { throw reader.failure("expected ':'") }
            reader.i += 1
            reader.skipWhitespace()
            try member(&reader, key)
        }
    }

    /// An array; `element` reads each value (index given).
    private mutating func array(depth: Int, at path: @autoclosure () -> String, _ element: (inout StatementJSON, Int) throws -> Void) throws {
        var index = 0
        try container(open: "[", close: "]", depth: depth, expected: "an array", at: path()) { reader in
            try element(&reader, index)
            index += 1
        }
    }

    /// `open` item (`,` item)* `close`, or `open` `close`; `item` reads one.
    private mutating func container(open: Unicode.Scalar, close: Unicode.Scalar, depth: Int, expected: String, at path: @autoclosure () -> String,
                                    _ item: (inout StatementJSON) throws -> Void) throws {
        guard depth <= Self.maxDepth else { throw failure("nested deeper than \(Self.maxDepth)") }
        guard current == UInt8(ascii: open) else { throw wrongType(expected, at: path()) }
        i += 1
        skipWhitespace()
        if current == UInt8(ascii: close) {
            i += 1
            return
        }
        while true {
            skipWhitespace()
            try item(&self)
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                i += 1
            } else if current == UInt8(ascii: close) {
                i += 1
                return
            } else {
                throw failure("expected ',' or '\(close)'")
            }
        }
    }

    private mutating func nullable<T>(at path: @autoclosure () -> String, _ value: (inout StatementJSON) throws -> T) throws -> T? {
        if current == UInt8(ascii: "n") {
            try literal("null")
            return nil
        }
        return try value(&self)
    }

    private mutating func string(at path: @autoclosure () -> String) throws -> String {
        guard current == UInt8(ascii: "\"") else { throw wrongType("a string", at: path()) }
        return try rawString()
    }

    /// A string at `"`: escapes decoded, UTF-8 checked.
    private mutating func rawString() throws -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                let text = try utf8(UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
                i += 1
                return text
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw failure("control character in a string") }
            i += 1
        }
        var out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\""):
                i += 1
                return try out.withUnsafeBytes { try utf8($0) }
            case UInt8(ascii: "\\"):
                i += 1
                guard let e = current else { throw failure("unterminated string") }
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0c)
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xd800...0xdbff).contains(scalar) {
                        guard current == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "u") else {
                            throw failure("lone surrogate")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xdc00...0xdfff).contains(low) else { throw failure("lone surrogate") }
                        scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                    } else if (0xdc00...0xdfff).contains(scalar) {
                        throw failure("lone surrogate")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw failure("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    throw failure("invalid escape")
                }
            default:
                if b < 0x20 { throw failure("control character in a string") }
                out.append(b)
                i += 1
            }
        }
        throw failure("unterminated string")
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count else { throw failure("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let digit: UInt32
            switch c {
            case 0x30...0x39: digit = UInt32(c - 0x30)
            case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
            case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
            default: throw failure("invalid \\u escape")
            }
            value = value << 4 | digit
            i += 1
        }
        return value
    }

    private func utf8(_ raw: UnsafeRawBufferPointer) throws -> String {
        guard let text = String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw failure("invalid UTF-8 in a string")
        }
        return text
    }

    private mutating func literal(_ word: StaticString) throws {
        let w = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard i + w.count <= bytes.count else { throw failure("unexpected end") }
        for k in 0..<w.count where bytes[i + k] != w[k] { throw failure("unexpected character") }
        i += w.count
    }

    /// Any value, checked and passed over.
    private mutating func skipValue(depth: Int) throws {
        switch current {
        case UInt8(ascii: "\""): _ = try rawString()
        case UInt8(ascii: "{"): try object(depth: depth, at: "") { reader, _ in try reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["): try array(depth: depth, at: "") { reader, _ in try reader.skipValue(depth: depth + 1) }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case nil: throw failure("unexpected end")
        case let c? where c == UInt8(ascii: "-") || (0x30...0x39).contains(c): try number()
        default: throw failure("unexpected character")
        }
    }

    /// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
    private mutating func number() throws {
        func digits(_ reader: inout StatementJSON) -> Int {
            let start = reader.i
            while let c = reader.current, (0x30...0x39).contains(c) { reader.i += 1 }
            return reader.i - start
        }
        if current == UInt8(ascii: "-") { i += 1 }
        if current == UInt8(ascii: "0") {
            i += 1
        } else {
            guard digits(&self) > 0 else { throw failure("invalid number") }
        }
        if current == UInt8(ascii: ".") {
            i += 1
            guard digits(&self) > 0 else { throw failure("invalid number") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            i += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { i += 1 }
            guard digits(&self) > 0 else { throw failure("invalid number") }
        }
    }
}

/// The keys of one object seen so far: the first four in place (a subject has two keys,
/// its digest set one or two: 400,000 small lists for a statement of 200,000 files
/// before), the rest in a set, so a payload of a million keys is not a quadratic search.
private struct KeysSeen {
    private var a: String?, b: String?, c: String?, d: String?
    private var more: Set<String> = []

    /// False when `key` was seen before.
    mutating func insert(_ key: String) -> Bool {
        if a == key || b == key || c == key || d == key { return false }
        if a == nil { a = key } else if b == nil { b = key } else if c == nil { c = key } else if d == nil { d = key } else {
            return more.insert(key).inserted
        }
        return true
    }
}
