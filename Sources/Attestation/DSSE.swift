import CryptoIO
import Foundation

/// Largest manifest file passbox reads: a `passbox manifest create` envelope of about
/// 190,000 files (each subject with sha256 and sha512 takes ~340 bytes of base64);
/// real delivery manifests are far smaller, and `manifest create` refuses a larger one.
public let maxManifestBytes = 64 << 20
/// Most signatures one envelope may carry.
public let maxSignaturesPerEnvelope = 64

public let inTotoPayloadType = "application/vnd.in-toto+json"

/// A DSSE envelope exactly as read: nothing in it is trusted yet.
public struct DSSEEnvelope: Codable, Sendable {
    public struct Signature: Codable, Sendable {
        public var keyid: String?
        public var sig: String
        public init(keyid: String?, sig: String) {
            self.keyid = keyid
            self.sig = sig
        }
    }
    public var payloadType: String
    public var payload: String
    public var signatures: [Signature]

    public init(payloadType: String, payload: String, signatures: [Signature]) {
        self.payloadType = payloadType
        self.payload = payload
        self.signatures = signatures
    }

    /// Parses the envelope's structure only (the payload stays opaque bytes).
    public static func parse(_ data: Data) throws -> DSSEEnvelope {
        guard data.count <= maxManifestBytes else {
            throw ManifestError("envelope is \(data.count) bytes; at most \(maxManifestBytes) are read")
        }
        let envelope: DSSEEnvelope
        do {
            envelope = try JSONDecoder().decode(DSSEEnvelope.self, from: data)
        } catch let error as DecodingError {
            throw ManifestError("not a DSSE envelope: \(describe(error))")
        }
        guard !envelope.signatures.isEmpty else { throw ManifestError("envelope has no signatures") }
        guard envelope.signatures.count <= maxSignaturesPerEnvelope else {
            throw ManifestError("envelope has \(envelope.signatures.count) signatures; at most \(maxSignaturesPerEnvelope) are read")
        }
        return envelope
    }

    /// The payload bytes (DSSE allows standard or URL-safe base64).
    public func payloadBytes() throws -> [UInt8] {
        guard let bytes = decodeBase64(payload) else { throw ManifestError("payload is not base64") }
        return bytes
    }

    /// The pre-authentication encoding the signatures are over, with the payload
    /// decoded straight into its tail: the payload is `pae[payloadStart...]`, so a
    /// large payload exists once instead of twice.
    public func authenticatedBytes() throws -> (pae: [UInt8], payloadStart: Int) {
        var start = 0
        guard let pae = decodeBase64(payload, after: { size in
            let header = paeHeader(payloadType: payloadType, payloadCount: size)
            start = header.count
            return header
        }) else { throw ManifestError("payload is not base64") }
        return (pae, start)
    }
}

/// PAE up to the body: "DSSEv1 SP LEN(type) SP type SP LEN(body) SP".
func paeHeader(payloadType: String, payloadCount: Int) -> [UInt8] {
    let type = Array(payloadType.utf8)
    return Array("DSSEv1 \(type.count) ".utf8) + type + Array(" \(payloadCount) ".utf8)
}

/// DSSE v1 pre-authentication encoding:
/// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in ASCII decimal.
public func preAuthenticationEncoding(payloadType: String, payload: [UInt8]) -> [UInt8] {
    paeHeader(payloadType: payloadType, payloadCount: payload.count) + payload
}

/// Decodes standard or URL-safe base64, with or without padding; nil on anything else.
/// Four characters at a time through a table (Foundation's string replacing took
/// 0.7 s on the 17 MB envelope of a 50,000-file manifest; this takes milliseconds).
public func decodeBase64(_ text: String) -> [UInt8]? {
    decodeBase64(text, after: { _ in [] })
}

/// The same, into a buffer that starts with `header(decoded size)`.
func decodeBase64(_ text: String, after header: (Int) -> [UInt8]) -> [UInt8]? {
    var text = text
    return text.withUTF8 { decodeBase64(UnsafeRawBufferPointer($0), after: header) }
}

/// The same, from the base64 text's bytes where they lie.
func decodeBase64(_ chars: UnsafeRawBufferPointer, after header: (Int) -> [UInt8]) -> [UInt8]? {
    var end = chars.count
    var padding = 0
    while end > 0, chars[end - 1] == UInt8(ascii: "="), padding < 2 {
        end -= 1
        padding += 1
    }
    let tail = end % 4
    // 1 leftover character cannot hold a byte; padding may only fill the last quantum.
    guard tail != 1, padding <= (4 - tail) % 4 else { return nil }
    let quads = end / 4
    let size = quads * 3 + (tail == 0 ? 0 : tail - 1)
    let head = header(size)
    var failed = false
    let out = [UInt8](unsafeUninitializedCapacity: head.count + size) { buffer, count in
        count = 0
        var o = head.count
        for (i, b) in head.enumerated() { buffer[i] = b }
        var k = 0
        for _ in 0..<quads {
            let a = base64Values[Int(chars[k])], b = base64Values[Int(chars[k + 1])]
            let c = base64Values[Int(chars[k + 2])], d = base64Values[Int(chars[k + 3])]
            guard (a | b | c | d) & 0xc0 == 0 else { failed = true; return } // 255 marks a non-base64 byte
            let v = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
            buffer[o] = UInt8(truncatingIfNeeded: v >> 16)
            buffer[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
            buffer[o + 2] = UInt8(truncatingIfNeeded: v)
            o += 3
            k += 4
        }
        if tail > 0 {
            var v: UInt32 = 0
            for j in 0..<tail {
                let x = base64Values[Int(chars[k + j])]
                guard x < 64 else { failed = true; return }
                v = v << 6 | UInt32(x)
            }
            v <<= UInt32(6 * (4 - tail))
            buffer[o] = UInt8(truncatingIfNeeded: v >> 16)
            if tail == 3 { buffer[o + 1] = UInt8(truncatingIfNeeded: v >> 8) }
        }
        count = head.count + size
    }
    return failed ? nil : out
}

extension DSSEEnvelope {
    /// What verification needs of an envelope file: its payload type and signatures,
    /// and the PAE with the payload decoded straight from the file's bytes into its
    /// tail (`pae[payloadStart...]`). The base64 text is never copied into a String:
    /// the envelope of a 200,000-file statement is 30 MB, and each copy is that large.
    static func authenticated(_ data: Data) throws -> (payloadType: String, signatures: [Signature], pae: [UInt8], payloadStart: Int) {
        guard data.count <= maxManifestBytes else {
            throw ManifestError("envelope is \(data.count) bytes; at most \(maxManifestBytes) are read")
        }
        return try data.withUnsafeBytes { raw in
            let envelope = try StatementJSON.readEnvelope(raw)
            var start = 0
            let header = { (size: Int) -> [UInt8] in
                let head = paeHeader(payloadType: envelope.payloadType, payloadCount: size)
                start = head.count
                return head
            }
            let pae: [UInt8]?
            switch envelope.payload {
            case .bytes(let range): pae = decodeBase64(UnsafeRawBufferPointer(rebasing: raw[range]), after: header)
            case .text(let text): pae = decodeBase64(text, after: header)
            }
            guard let pae else { throw ManifestError("payload is not base64") }
            return (envelope.payloadType, envelope.signatures, pae, start)
        }
    }
}

/// Value of each byte in standard and URL-safe base64; 255 for any other byte.
private let base64Values: [UInt8] = {
    var table = [UInt8](repeating: 255, count: 256)
    for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
        table[Int(c)] = UInt8(i)
    }
    table[Int(UInt8(ascii: "-"))] = 62
    table[Int(UInt8(ascii: "_"))] = 63
    return table
}()

public struct ManifestError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return p.isEmpty ? "" : " at \(p)"
    }
    switch error {
    case .typeMismatch(_, let c): return "wrong type\(path(c)): \(c.debugDescription)"
    case .valueNotFound(_, let c): return "missing value\(path(c))"
    case .keyNotFound(let key, let c): return "missing key '\(key.stringValue)'\(path(c))"
    case .dataCorrupted(let c): return "invalid JSON\(path(c)): \(c.debugDescription)"
    @unknown default: return "\(error)"
    }
}
