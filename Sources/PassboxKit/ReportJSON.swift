import Attestation
import Foundation

/// Writes a report as JSON without holding all of it in memory.
///
/// `JSONEncoder` builds the whole document (and a tree of dictionaries) before the
/// first byte goes out: for 50,000 files that was 80 MB at once. Here the report is
/// encoded without its three lists that grow with the delivery (files, findings, SBOM
/// components), and those lists are encoded by `JSONEncoder` a chunk at a time into
/// their places. The bytes are exactly `JSONEncoder`'s with `[.prettyPrinted,
/// .sortedKeys, .withoutEscapingSlashes]` (tests compare them), so one encoder decides
/// escaping and layout, and a field added to the report appears without a change here.
public struct ReportJSONWriter {
    /// Elements encoded at once (a chunk of files is a few hundred kilobytes).
    public var chunk = 512

    public init(chunk: Int = 512) {
        self.chunk = max(1, chunk)
    }

    /// Pretty-printed, as `Report.json()`; `sink` gets the bytes in order, in pieces.
    public func write(_ report: Report, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var skeleton = report
        skeleton.files = []
        skeleton.removeFindingsForEncoding()
        skeleton.sbom?.components = []
        let text = [UInt8](try Self.encoder.encode(skeleton))

        // Where the emptied lists are. A key at the start of a line with exactly this
        // indentation is a key of that level (strings cannot hold a raw newline), so
        // each marker is found once, in sorted-key order.
        enum List { case files, findings, components }
        var splices: [(list: List, key: String, indent: Int)] = [(.files, "files", 2), (.findings, "findings", 2)]
        if report.sbom != nil { splices.append((.components, "components", 4)) }
        var start = 0
        try text.withUnsafeBytes { all in
            for splice in splices {
                let marker = Self.emptyList(splice.key, indent: splice.indent)
                guard let at = firstIndex(of: marker, in: all, from: start) else {
                    throw EncodingError.invalidValue(splice.key, .init(codingPath: [], debugDescription: "report layout changed: no empty \(splice.key) list at indent \(splice.indent)"))
                }
                // The marker is "\n<indent>"key" : [\n\n<indent>]": write up to the "[".
                let listStart = at + marker.count - (splice.indent + 4)
                try sink(UnsafeRawBufferPointer(rebasing: all[start..<listStart]))
                switch splice.list {
                case .files: try writeList(report.files, indent: splice.indent, to: sink)
                case .findings: try writeList(report.findings, indent: splice.indent, to: sink)
                case .components: try writeList(report.sbom?.components ?? [], indent: splice.indent, to: sink)
                }
                start = at + marker.count
            }
            try sink(UnsafeRawBufferPointer(rebasing: all[start...]))
        }
    }

    /// `[`, the elements `chunk` at a time at `indent + 2`, `]`, as JSONEncoder lays out a
    /// list at `indent` (an empty one is `[`, an empty line, `]`).
    func writeList<T: Encodable>(_ list: [T], indent: Int, to sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        let pad = [UInt8](repeating: UInt8(ascii: " "), count: indent)
        guard !list.isEmpty else {
            try ([UInt8]("[\n\n".utf8) + pad + [UInt8(ascii: "]")]).withUnsafeBytes(sink)
            return
        }
        try [UInt8]("[\n".utf8).withUnsafeBytes(sink)
        // Files and findings (one each per file of the delivery) are written directly,
        // in JSONEncoder's layout: the encoder's value tree cost 40% of a verification
        // of 50,000 small files. Tests compare the bytes with JSONEncoder's.
        let direct: ((inout JSONBytes, Int, Bool) -> Void)? =
            if let files = list as? [Report.File] {
                { out, i, comma in out.file(files[i], indent: indent + 2, comma: comma) }
            } else if let findings = list as? [Finding] {
                { out, i, comma in out.finding(findings[i], indent: indent + 2, comma: comma) }
            } else {
                nil
            }
        var first = true
        var from = 0
        while from < list.count {
            let to = min(from + chunk, list.count)
            if let direct {
                var out = JSONBytes()
                for i in from..<to { direct(&out, i, !(first && i == from)) }
                try out.bytes.withUnsafeBytes(sink)
                first = false
                from = to
                continue
            }
            let encoded = [UInt8](try Self.encoder.encode(Array(list[from..<to])))
            // "[\n" + elements at indent 2 + "\n]": keep the elements, moved right by `indent`.
            guard encoded.count >= 4 else { break }
            var out: [UInt8] = first ? [] : Array(",\n".utf8)
            out.reserveCapacity(encoded.count + encoded.count / 8)
            var lineStart = true
            for b in encoded[2..<(encoded.count - 2)] {
                if lineStart && b != UInt8(ascii: "\n") { out.append(contentsOf: pad) }
                out.append(b)
                lineStart = b == UInt8(ascii: "\n")
            }
            try out.withUnsafeBytes(sink)
            first = false
            from = to
        }
        try ([UInt8(ascii: "\n")] + pad + [UInt8(ascii: "]")]).withUnsafeBytes(sink)
    }

    static var encoder: JSONEncoder {
        let encoder = JSONOutput.encoder()
        return encoder
    }

    static func emptyList(_ key: String, indent: Int) -> [UInt8] {
        let pad = String(repeating: " ", count: indent)
        return Array("\n\(pad)\"\(key)\" : [\n\n\(pad)]".utf8)
    }
}

/// Where `needle` first occurs in `haystack` at or after `from` (report markers, SBOM
/// markers: short needles in at most a few megabytes).
func firstIndex(of needle: [UInt8], in haystack: UnsafeRawBufferPointer, from: Int = 0) -> Int? {
    guard let first = needle.first, needle.count <= haystack.count else { return nil }
    var i = from
    let last = haystack.count - needle.count
    while i <= last {
        if haystack[i] == first {
            var k = 1
            while k < needle.count && haystack[i + k] == needle[k] { k += 1 }
            if k == needle.count { return i }
        }
        i += 1
    }
    return nil
}

/// Removes the layout whitespace of pretty-printed JSON (outside strings), so the
/// pretty writer also gives one-line JSON (JSON Lines): the bytes JSONEncoder writes
/// without `.prettyPrinted`.
public struct JSONCompactor {
    private var inString = false
    private var escaped = false

    public init() {}

    /// The bytes with JSONEncoder's pretty-printing whitespace removed (strings untouched).
    public mutating func compact(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for b in bytes {
            if inString {
                out.append(b)
                if escaped {
                    escaped = false
                } else if b == UInt8(ascii: "\\") {
                    escaped = true
                } else if b == UInt8(ascii: "\"") {
                    inString = false
                }
            } else {
                switch b {
                case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                    continue
                case UInt8(ascii: "\""):
                    inString = true
                    out.append(b)
                default:
                    out.append(b)
                }
            }
        }
        return out
    }
}

/// Collects bytes and hands them on in pieces of about `capacity` (one write per piece).
public final class BufferedSink {
    private var buffer: [UInt8] = []
    private let capacity: Int
    private let flushTo: (UnsafeRawBufferPointer) throws -> Void

    public init(capacity: Int = 1 << 20, flushTo: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.capacity = capacity
        self.flushTo = flushTo
        buffer.reserveCapacity(capacity)
    }

    /// Adds bytes; they go on when the buffer is full.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try flushTo(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Sends what is buffered.
    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes(flushTo)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// JSONEncoder's pretty, sorted-key layout for the report's two per-file lists.
struct JSONBytes {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(64 << 10) }

    mutating func pad(_ n: Int) {
        for _ in 0..<n { bytes.append(UInt8(ascii: " ")) }
    }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A JSON string as JSONEncoder writes it (`withoutEscapingSlashes`): quote,
    /// backslash and control characters escaped, everything else as UTF-8.
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            for b in utf8 {
                switch b {
                case UInt8(ascii: "\""): raw("\\\"")
                case UInt8(ascii: "\\"): raw("\\\\")
                case 0x08: raw("\\b")
                case 0x0c: raw("\\f")
                case 0x0a: raw("\\n")
                case 0x0d: raw("\\r")
                case 0x09: raw("\\t")
                case 0x00..<0x20:
                    raw("\\u00")
                    let digits: StaticString = "0123456789abcdef"
                    digits.withUTF8Buffer { d in
                        bytes.append(d[Int(b >> 4)])
                        bytes.append(d[Int(b & 0x0f)])
                    }
                default: bytes.append(b)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `"key" : ` at `indent`, after the previous member's comma.
    mutating func key(_ name: StaticString, indent: Int, first: Bool = false) {
        raw(first ? "\n" : ",\n")
        pad(indent)
        bytes.append(UInt8(ascii: "\""))
        raw(name)
        raw("\" : ")
    }

    mutating func int(_ value: Int64) {
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func file(_ file: Report.File, indent: Int, comma: Bool) {
        if comma { raw(",\n") }
        pad(indent)
        bytes.append(UInt8(ascii: "{"))
        key("digests", indent: indent + 2, first: true)
        bytes.append(UInt8(ascii: "{"))
        var any = false
        for (algorithm, hex) in file.digests {
            switch algorithm {
            case .sha256: key("sha256", indent: indent + 4, first: !any)
            case .sha384: key("sha384", indent: indent + 4, first: !any)
            case .sha512: key("sha512", indent: indent + 4, first: !any)
            }
            string(hex)
            any = true
        }
        raw(any ? "\n" : "\n\n")
        pad(indent + 2)
        bytes.append(UInt8(ascii: "}"))
        key("kind", indent: indent + 2)
        string(file.kind.rawValue)
        key("path", indent: indent + 2)
        string(file.path)
        key("size", indent: indent + 2)
        int(file.size)
        key("status", indent: indent + 2)
        string(file.status.rawValue)
        raw("\n")
        pad(indent)
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func finding(_ finding: Finding, indent: Int, comma: Bool) {
        if comma { raw(",\n") }
        pad(indent)
        bytes.append(UInt8(ascii: "{"))
        key("code", indent: indent + 2, first: true)
        string(finding.code.rawValue)
        key("message", indent: indent + 2)
        string(finding.message)
        if let path = finding.path {
            key("path", indent: indent + 2)
            string(path)
        }
        key("severity", indent: indent + 2)
        string(finding.severity.rawValue)
        raw("\n")
        pad(indent)
        bytes.append(UInt8(ascii: "}"))
    }
}
