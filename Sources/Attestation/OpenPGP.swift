import CryptoIO
import Foundation

// OpenPGP (RFC 4880, RFC 6637, and the legacy EdDSA of RFC 4880bis / RFC 9580),
// implemented natively over CryptoIO: v4 keys (RSA, ECDSA P-256/P-384, EdDSA
// Ed25519), v4 binary and text document signatures, self-signatures, subkey
// bindings (with the primary-key back-signature for signing subkeys), expiry and
// revocation judged at a given time. Only SHA-256/384/512 are accepted anywhere.
// Everything passbox reads here is untrusted input: bounded, and parsed with
// checked slicing only.

/// Largest OpenPGP certificate (key) file passbox reads.
public let maxOpenPGPKeyFileBytes = 4 << 20
/// Most packets one OpenPGP file may have.
let maxOpenPGPPackets = 20_000
/// Most signatures one detached signature file may have.
let maxOpenPGPSignatures = 16

/// An OpenPGP file that does not parse.
public struct OpenPGPError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

// MARK: - Bytes

/// A cursor over untrusted bytes: every read is checked.
struct ByteReader {
    let bytes: [UInt8]
    var offset: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.offset = start
        self.end = min(end ?? bytes.count, bytes.count)
    }

    var remaining: Int { end - offset }
    var atEnd: Bool { offset >= end }

    mutating func byte() throws -> UInt8 {
        guard offset < end else { throw OpenPGPError("truncated packet") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func take(_ n: Int) throws -> [UInt8] {
        guard n >= 0, n <= remaining else { throw OpenPGPError("truncated packet") }
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    mutating func uint16() throws -> Int {
        Int(try byte()) << 8 | Int(try byte())
    }

    mutating func uint32() throws -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 { v = v << 8 | UInt32(try byte()) }
        return v
    }

    /// A multiprecision integer: 2-byte bit count, then the big-endian bytes.
    mutating func mpi() throws -> [UInt8] {
        let bits = try uint16()
        return try take((bits + 7) / 8)
    }
}

func bigEndian32(_ v: Int) -> [UInt8] {
    [UInt8(truncatingIfNeeded: v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
}

// MARK: - Armor and packets

struct PGPPacket {
    var tag: Int
    var body: [UInt8]
}

/// The binary form of an OpenPGP file: de-armored when it is ASCII armor (every
/// block with the label, concatenated; CRC-24 checked when present), as is otherwise.
func openPGPBinary(_ data: Data, label: String) throws -> [UInt8] {
    let bytes = [UInt8](data)
    let text = String(decoding: bytes.prefix(65536), as: UTF8.self)
    guard text.contains("-----BEGIN PGP ") else { return bytes }
    let lines = String(decoding: bytes, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" })
        .map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        .map { $0.trimmingCharacters(in: .whitespaces) }
    var out: [UInt8] = []
    var blocks = 0
    var i = 0
    while i < lines.count {
        guard lines[i] == "-----BEGIN PGP \(label)-----" else {
            if lines[i].hasPrefix("-----BEGIN PGP ") {
                throw OpenPGPError("armor block \(lines[i].prefix(60)) where PGP \(label) was expected")
            }
            i += 1
            continue
        }
        i += 1
        // Armor headers ("Version: ...", "Comment: ...") up to the blank line.
        while i < lines.count, lines[i].contains(":"), !lines[i].hasPrefix("-----") { i += 1 }
        var body = ""
        var checksum: String?
        var ended = false
        while i < lines.count {
            let line = lines[i]
            i += 1
            if line == "-----END PGP \(label)-----" {
                ended = true
                break
            }
            if line.isEmpty { continue }
            if line.hasPrefix("=") && line.count == 5 {
                checksum = String(line.dropFirst())
                continue
            }
            body += line
        }
        guard ended else { throw OpenPGPError("armor block without its END line") }
        guard let decoded = Data(base64Encoded: body) else { throw OpenPGPError("armor body is not base64") }
        let block = [UInt8](decoded)
        if let checksum {
            guard let crc = Data(base64Encoded: checksum), crc.count == 3 else { throw OpenPGPError("armor checksum is not base64") }
            let expected = crc24(block)
            guard [UInt8](crc) == [UInt8(expected >> 16 & 0xff), UInt8(expected >> 8 & 0xff), UInt8(expected & 0xff)] else {
                throw OpenPGPError("armor checksum does not match: the file was damaged or changed")
            }
        }
        out += block
        blocks += 1
    }
    guard blocks > 0 else { throw OpenPGPError("no PGP \(label) armor block") }
    return out
}

func crc24(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xB704CE
    for b in bytes {
        crc ^= UInt32(b) << 16
        for _ in 0..<8 {
            crc <<= 1
            if crc & 0x1000000 != 0 { crc ^= 0x1864CFB }
        }
    }
    return crc & 0xFFFFFF
}

/// Splits binary OpenPGP into packets (old and new formats; no partial lengths,
/// which only data packets may use).
func readPackets(_ bytes: [UInt8]) throws -> [PGPPacket] {
    var r = ByteReader(bytes)
    var packets: [PGPPacket] = []
    while !r.atEnd {
        guard packets.count < maxOpenPGPPackets else { throw OpenPGPError("more than \(maxOpenPGPPackets) packets") }
        let header = try r.byte()
        guard header & 0x80 != 0 else { throw OpenPGPError("not an OpenPGP packet (header byte \(header))") }
        let tag: Int
        let length: Int
        if header & 0x40 != 0 {
            tag = Int(header & 0x3f)
            let first = Int(try r.byte())
            switch first {
            case 0..<192: length = first
            case 192..<224: length = ((first - 192) << 8) + Int(try r.byte()) + 192
            case 255: length = Int(try r.uint32())
            default: throw OpenPGPError("partial body length in a packet that may not have one (tag \(tag))")
            }
        } else {
            tag = Int((header >> 2) & 0x0f)
            switch header & 0x03 {
            case 0: length = Int(try r.byte())
            case 1: length = try r.uint16()
            case 2: length = Int(try r.uint32())
            default: throw OpenPGPError("indeterminate packet length (tag \(tag))")
            }
        }
        packets.append(PGPPacket(tag: tag, body: try r.take(length)))
    }
    return packets
}

// MARK: - Keys

/// Hash algorithm ids (RFC 4880 §9.4) passbox accepts.
func digestAlgorithm(openPGPHash id: UInt8) -> DigestAlgorithm? {
    switch id {
    case 8: .sha256
    case 9: .sha384
    case 10: .sha512
    default: nil
    }
}

func openPGPHashName(_ id: UInt8) -> String {
    switch id {
    case 1: "MD5"
    case 2: "SHA-1"
    case 3: "RIPEMD-160"
    case 8: "SHA-256"
    case 9: "SHA-384"
    case 10: "SHA-512"
    case 11: "SHA-224"
    default: "hash algorithm \(id)"
    }
}

/// One v4 public key or subkey packet.
struct PGPKey: Sendable {
    var body: [UInt8]
    var created: UInt32
    var algorithm: UInt8
    /// 20 bytes (SHA-1 over the key packet, RFC 4880 §12.2).
    var fingerprint: [UInt8]
    var keyID: [UInt8] { Array(fingerprint.suffix(8)) }
    /// nil when the algorithm or size is not accepted for signatures (see `unusable`).
    var key: PublicKey?
    var unusable: String?
    /// For RSA: the modulus length in bytes (signatures are left-padded to it).
    var rsaModulusBytes = 0

    var fingerprintHex: String { Hex.encode(fingerprint).uppercased() }

    /// What `0x99 || len || body` hashes as, for key signatures.
    var hashPrefix: [UInt8] { [0x99, UInt8(body.count >> 8 & 0xff), UInt8(body.count & 0xff)] }

    init(body: [UInt8]) throws {
        self.body = body
        guard body.count <= 0xffff else { throw OpenPGPError("key packet too long") }
        var r = ByteReader(body)
        let version = try r.byte()
        guard version == 4 else { throw OpenPGPError("version \(version) key (only v4 keys are read)") }
        created = try r.uint32()
        algorithm = try r.byte()
        fingerprint = try AuxiliaryHasher.digest(.sha1ForIdentifiers, [0x99, UInt8(body.count >> 8 & 0xff), UInt8(body.count & 0xff)] + body)
        do {
            switch algorithm {
            case 1, 3:  // RSA (encrypt or sign), RSA sign-only
                let n = try r.mpi()
                let e = try r.mpi()
                rsaModulusBytes = n.drop(while: { $0 == 0 }).count
                key = try PublicKey(rsaModulus: n, exponent: e)
            case 19:  // ECDSA
                let oid = try r.take(Int(try r.byte()))
                let point = try r.mpi()
                switch oid {
                case [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]: key = try PublicKey(ecPoint: point, curve: .p256)
                case [0x2b, 0x81, 0x04, 0x00, 0x22]: key = try PublicKey(ecPoint: point, curve: .p384)
                default: unusable = "ECDSA on a curve passbox does not accept (P-256 and P-384 are)"
                }
            case 22:  // EdDSA (legacy)
                let oid = try r.take(Int(try r.byte()))
                let point = try r.mpi()
                guard oid == [0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01] else {
                    unusable = "EdDSA on a curve other than Ed25519"
                    break
                }
                guard point.count == 33, point[0] == 0x40 else { throw OpenPGPError("Ed25519 key is not 0x40 || 32 bytes") }
                key = try PublicKey(ed25519Raw: Array(point[1...]))
            case 17: unusable = "DSA is not accepted"
            case 16, 18: unusable = "an encryption-only key"
            default: unusable = "public-key algorithm \(algorithm) is not supported"
            }
        } catch let error as OpenPGPError {
            throw error
        } catch {
            unusable = "\(error)"
        }
    }

    var algorithmName: String {
        key.map { "\($0.algorithm)" } ?? "openpgp-algorithm-\(algorithm)"
    }
}

// MARK: - Signatures

struct PGPSignature: Sendable {
    var type: UInt8
    var publicKeyAlgorithm: UInt8
    var hashAlgorithm: UInt8
    /// Version through the end of the hashed subpackets: what the trailer covers.
    var hashedPart: [UInt8]
    var left16: [UInt8]
    var mpis: [[UInt8]]
    var created: UInt32?
    /// Seconds after creation; 0 or nil = never.
    var expiresAfter: UInt32?
    var keyExpiresAfter: UInt32?
    var keyFlags: UInt8?
    var issuerKeyID: [UInt8]?
    var issuerFingerprint: [UInt8]?
    var embedded: [PGPSignature] = []
    /// A critical hashed subpacket passbox does not know: the signature must not be honoured.
    var unknownCritical: Int?
    /// Reason-for-revocation code, if any.
    var revocationReason: UInt8?

    init(body: [UInt8], depth: Int = 0) throws {
        var r = ByteReader(body)
        let version = try r.byte()
        guard version == 4 else { throw OpenPGPError("version \(version) signature (only v4 signatures are read)") }
        type = try r.byte()
        publicKeyAlgorithm = try r.byte()
        hashAlgorithm = try r.byte()
        let hashedLength = try r.uint16()
        let hashedStart = r.offset
        _ = try r.take(hashedLength)
        hashedPart = Array(body[0..<(hashedStart + hashedLength)])
        let unhashedLength = try r.uint16()
        let unhashedStart = r.offset
        _ = try r.take(unhashedLength)
        left16 = try r.take(2)
        var mpis: [[UInt8]] = []
        while !r.atEnd {
            guard mpis.count < 2 else { throw OpenPGPError("signature has trailing data") }
            mpis.append(try r.mpi())
        }
        self.mpis = mpis
        try readSubpackets(body, from: hashedStart, length: hashedLength, hashed: true, depth: depth)
        try readSubpackets(body, from: unhashedStart, length: unhashedLength, hashed: false, depth: depth)
    }

    private mutating func readSubpackets(_ body: [UInt8], from start: Int, length: Int, hashed: Bool, depth: Int) throws {
        var r = ByteReader(body, from: start, to: start + length)
        while !r.atEnd {
            let first = Int(try r.byte())
            let size: Int
            switch first {
            case 0..<192: size = first
            case 192..<255: size = ((first - 192) << 8) + Int(try r.byte()) + 192
            default: size = Int(try r.uint32())
            }
            guard size >= 1 else { throw OpenPGPError("empty signature subpacket") }
            let typeByte = try r.byte()
            let critical = typeByte & 0x80 != 0
            let kind = Int(typeByte & 0x7f)
            let data = try r.take(size - 1)
            // Only the hashed area is authenticated: what it says counts; from the
            // unhashed area only hints (issuer) and the self-authenticating back-signature.
            switch kind {
            case 2 where hashed:
                guard data.count == 4 else { throw OpenPGPError("bad creation time subpacket") }
                created = data.reduce(0) { $0 << 8 | UInt32($1) }
            case 3 where hashed:
                guard data.count == 4 else { throw OpenPGPError("bad expiration subpacket") }
                expiresAfter = data.reduce(0) { $0 << 8 | UInt32($1) }
            case 9 where hashed:
                guard data.count == 4 else { throw OpenPGPError("bad key expiration subpacket") }
                keyExpiresAfter = data.reduce(0) { $0 << 8 | UInt32($1) }
            case 27 where hashed:
                keyFlags = data.first ?? 0
            case 29 where hashed:
                revocationReason = data.first
            case 16:
                guard data.count == 8 else { throw OpenPGPError("bad issuer subpacket") }
                if issuerKeyID == nil || hashed { issuerKeyID = data }
            case 33:
                if data.count == 21, data[0] == 4, issuerFingerprint == nil || hashed { issuerFingerprint = Array(data[1...]) }
            case 32:
                guard depth == 0 else { throw OpenPGPError("nested embedded signatures") }
                embedded.append(try PGPSignature(body: data, depth: 1))
            case 2, 3, 9, 27, 29:
                break  // unhashed copies carry no authority
            case 4, 5, 6, 7, 10, 11, 12, 20, 21, 22, 23, 24, 25, 26, 28, 30, 31, 34, 35, 37, 38, 39:
                // Known, not needed (exportable, trust, regex, revocable, preferences,
                // revocation key, notations, features, signature target...).
                if critical && hashed && (kind == 6 || kind == 20) {
                    // A critical regular expression or notation passbox cannot honour.
                    unknownCritical = kind
                }
            default:
                if critical && hashed { unknownCritical = kind }
            }
        }
    }

    var hashName: String { openPGPHashName(hashAlgorithm) }

    /// The digest over `prefix` (what the signature type covers) and this signature's trailer.
    func digest(over prefix: (Hasher) -> Void) -> [UInt8]? {
        guard let algorithm = digestAlgorithm(openPGPHash: hashAlgorithm) else { return nil }
        let h = Hasher(algorithm)
        prefix(h)
        h.update(Data(hashedPart))
        h.update(Data([0x04, 0xff] + bigEndian32(hashedPart.count)))
        return h.finalize()
    }

    /// Checks the cryptographic signature over a finished digest with `key`.
    func verifies(digest: [UInt8], with key: PGPKey) -> Bool {
        guard digest.count >= 2, Array(digest.prefix(2)) == left16,
              let algorithm = digestAlgorithm(openPGPHash: hashAlgorithm),
              let publicKey = key.key, key.algorithm == publicKeyAlgorithm || (key.algorithm == 3 && publicKeyAlgorithm == 1) || (key.algorithm == 1 && publicKeyAlgorithm == 3) else {
            return false
        }
        switch publicKeyAlgorithm {
        case 1, 3:
            guard mpis.count == 1, mpis[0].count <= key.rsaModulusBytes else { return false }
            let s = [UInt8](repeating: 0, count: key.rsaModulusBytes - mpis[0].count) + mpis[0]
            return publicKey.verify(signature: s, digest: digest, algorithm: algorithm)
        case 19:
            guard mpis.count == 2 else { return false }
            return publicKey.verify(signature: DER.ecdsaSignature(r: mpis[0], s: mpis[1]), digest: digest, algorithm: algorithm)
        case 22:
            guard mpis.count == 2, mpis[0].count <= 32, mpis[1].count <= 32 else { return false }
            let r = [UInt8](repeating: 0, count: 32 - mpis[0].count) + mpis[0]
            let s = [UInt8](repeating: 0, count: 32 - mpis[1].count) + mpis[1]
            return publicKey.verify(signature: r + s, message: digest)
        default:
            return false
        }
    }

    /// Valid at `time`: created no later than it and not expired by then.
    func isCurrent(at time: Int64) -> Bool {
        guard let created else { return false }
        guard Int64(created) <= time else { return false }
        if let e = expiresAfter, e > 0, Int64(created) + Int64(e) <= time { return false }
        return true
    }

    func names(_ key: PGPKey) -> Bool {
        if let issuerFingerprint { return issuerFingerprint == key.fingerprint }
        if let issuerKeyID { return issuerKeyID == key.keyID }
        return true  // no issuer given: any key may have made it
    }
}
