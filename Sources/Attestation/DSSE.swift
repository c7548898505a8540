import CryptoIO
import Foundation

/// Largest manifest file passbox reads (an envelope with a million subjects is ~150 MiB;
/// real delivery manifests are far smaller).
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
}

/// DSSE v1 pre-authentication encoding:
/// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in ASCII decimal.
public func preAuthenticationEncoding(payloadType: String, payload: [UInt8]) -> [UInt8] {
    let type = Array(payloadType.utf8)
    var out = Array("DSSEv1 \(type.count) ".utf8)
    out += type
    out += Array(" \(payload.count) ".utf8)
    out += payload
    return out
}

/// Decodes standard or URL-safe base64, with or without padding; nil on anything else.
public func decodeBase64(_ text: String) -> [UInt8]? {
    var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    let remainder = s.utf8.count % 4
    if remainder == 1 { return nil }
    if remainder > 0 { s += String(repeating: "=", count: 4 - remainder) }
    guard let data = Data(base64Encoded: s) else { return nil }
    return [UInt8](data)
}

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
