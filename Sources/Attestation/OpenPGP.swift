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

// MARK: - Certificates

/// An OpenPGP certificate (transferable public key): a primary key, its user IDs,
/// subkeys, and the signatures binding them. Parsed only; whether it is valid at a
/// given time is judged when a signature is checked.
public struct OpenPGPCertificate: Sendable {
    struct Component: Sendable {
        enum Kind: Sendable { case userID([UInt8]), userAttribute([UInt8]) }
        var kind: Kind
        var signatures: [PGPSignature]
    }
    struct Subkey: Sendable {
        var key: PGPKey
        var signatures: [PGPSignature]
    }

    var primary: PGPKey
    var direct: [PGPSignature]
    var components: [Component]
    var subkeys: [Subkey]

    /// Upper-case hex v4 fingerprint of the primary key (as gpg and sqv print it).
    public var fingerprint: String { primary.fingerprintHex }
    /// The user IDs as text (unverified labels).
    public var userIDs: [String] {
        components.compactMap {
            if case .userID(let bytes) = $0.kind { return String(decoding: bytes, as: UTF8.self) }
            return nil
        }
    }
    /// Upper-case hex fingerprints of the subkeys.
    public var subkeyFingerprints: [String] { subkeys.map(\.key.fingerprintHex) }

    /// Every certificate in an armored (`.asc`) or binary (`.pgp`, `.gpg`) key file.
    public static func parseAll(_ data: Data) throws -> [OpenPGPCertificate] {
        guard data.count <= maxOpenPGPKeyFileBytes else {
            throw OpenPGPError("key file is \(data.count) bytes; at most \(maxOpenPGPKeyFileBytes) are read")
        }
        let packets = try readPackets(try openPGPBinary(data, label: "PUBLIC KEY BLOCK"))
        var certs: [OpenPGPCertificate] = []
        // Where the next signature packet belongs.
        enum Slot { case none, direct, component, subkey, skippedSubkey }
        var slot = Slot.none
        for packet in packets {
            switch packet.tag {
            case 6:
                let primary = try PGPKey(body: packet.body)
                certs.append(OpenPGPCertificate(primary: primary, direct: [], components: [], subkeys: []))
                slot = .direct
            case 13, 17:
                guard !certs.isEmpty else { throw OpenPGPError("user ID before any public key") }
                let kind: Component.Kind = packet.tag == 13 ? .userID(packet.body) : .userAttribute(packet.body)
                certs[certs.count - 1].components.append(Component(kind: kind, signatures: []))
                slot = .component
            case 14:
                guard !certs.isEmpty else { throw OpenPGPError("subkey before any public key") }
                do {
                    let key = try PGPKey(body: packet.body)
                    certs[certs.count - 1].subkeys.append(Subkey(key: key, signatures: []))
                    slot = .subkey
                } catch {
                    // A subkey of another version is not fatal to the certificate.
                    slot = .skippedSubkey
                }
            case 2:
                guard !certs.isEmpty else { throw OpenPGPError("signature before any public key") }
                let signature: PGPSignature
                do {
                    signature = try PGPSignature(body: packet.body)
                } catch {
                    // A signature passbox cannot read (v3, damaged) binds nothing.
                    continue
                }
                let c = certs.count - 1
                switch slot {
                case .none, .skippedSubkey: break
                case .direct: certs[c].direct.append(signature)
                case .component: certs[c].components[certs[c].components.count - 1].signatures.append(signature)
                case .subkey: certs[c].subkeys[certs[c].subkeys.count - 1].signatures.append(signature)
                }
            case 12, 10:
                break  // trust, marker
            case 5, 7:
                throw OpenPGPError("the key file holds a secret key; put only public keys in the trust store")
            default:
                throw OpenPGPError("unexpected packet (tag \(packet.tag)) in a public key file")
            }
        }
        guard !certs.isEmpty else { throw OpenPGPError("no public key in the file") }
        return certs
    }

    /// The state of a key at a time, for signing.
    enum KeyState {
        case usable
        case revoked(String)
        case expired(String)
        case unusable(String)
    }

    private func verifiesOverPrimary(_ s: PGPSignature, extra: [UInt8] = [], by signer: PGPKey) -> Bool {
        guard s.names(signer), let digest = s.digest(over: { h in
            h.update(Data(self.primary.hashPrefix + self.primary.body))
            if !extra.isEmpty { h.update(Data(extra)) }
        }) else { return false }
        return s.verifies(digest: digest, with: signer)
    }

    private static func componentBytes(_ kind: Component.Kind) -> [UInt8] {
        switch kind {
        case .userID(let b): [0xb4] + bigEndian32(b.count) + b
        case .userAttribute(let b): [0xd1] + bigEndian32(b.count) + b
        }
    }

    /// The primary key's state at `time`, and the self-signature that defines it.
    func primaryState(at time: Int64) -> (KeyState, PGPSignature?) {
        for s in direct where s.type == 0x20 && verifiesOverPrimary(s, by: primary) {
            return (.revoked("the certificate \(fingerprint) is revoked\(reasonText(s))"), nil)
        }
        // A revocation passbox cannot check (SHA-1 and older) still counts: ignoring it would fail open.
        for s in direct where s.type == 0x20 && digestAlgorithm(openPGPHash: s.hashAlgorithm) == nil && s.names(primary) {
            return (.revoked("the certificate \(fingerprint) carries a revocation made with \(s.hashName), which passbox cannot verify; treated as revoked"), nil)
        }
        guard Int64(primary.created) <= time else {
            return (.expired("the key \(fingerprint) was created after the time it is judged at"), nil)
        }
        var best: PGPSignature?
        var sawFuture = false
        func consider(_ s: PGPSignature) {
            guard s.unknownCritical == nil else { return }
            guard s.isCurrent(at: time) else {
                if let c = s.created, Int64(c) > time { sawFuture = true }
                return
            }
            if let b = best, let bc = b.created, let sc = s.created, sc <= bc { return }
            best = s
        }
        for s in direct where s.type == 0x1f && verifiesOverPrimary(s, by: primary) { consider(s) }
        for component in components {
            let extra = Self.componentBytes(component.kind)
            let revoked = component.signatures.contains { $0.type == 0x30 && verifiesOverPrimary($0, extra: extra, by: primary) }
            if revoked { continue }
            for s in component.signatures where (0x10...0x13).contains(s.type) && verifiesOverPrimary(s, extra: extra, by: primary) {
                consider(s)
            }
        }
        guard let selfSignature = best else {
            if sawFuture { return (.expired("the certificate \(fingerprint) has no self-signature yet at the time it is judged at"), nil) }
            return (.unusable("the certificate \(fingerprint) has no valid self-signature (SHA-256 or stronger) binding its user IDs"), nil)
        }
        if let e = selfSignature.keyExpiresAfter, e > 0, Int64(primary.created) + Int64(e) <= time {
            return (.expired("the key \(fingerprint) expired on \(isoDate(Int64(primary.created) + Int64(e)))"), selfSignature)
        }
        return (.usable, selfSignature)
    }

    /// The state at `time` of `key` (the primary or one of the subkeys) for making data signatures.
    func signingState(of key: PGPKey, at time: Int64) -> KeyState {
        let (primaryState, selfSignature) = primaryState(at: time)
        guard case .usable = primaryState else { return primaryState }
        if key.fingerprint == primary.fingerprint {
            if let flags = selfSignature?.keyFlags, flags & 0x02 == 0 {
                return .unusable("the key \(fingerprint) is not certified for signing (key flags)")
            }
            return .usable
        }
        guard let subkey = subkeys.first(where: { $0.key.fingerprint == key.fingerprint }) else {
            return .unusable("the key is not part of the certificate")
        }
        let both = subkey.key.hashPrefix + subkey.key.body
        for s in subkey.signatures where s.type == 0x28 && verifiesOverPrimary(s, extra: both, by: primary) {
            return .revoked("the subkey \(subkey.key.fingerprintHex) is revoked\(reasonText(s))")
        }
        for s in subkey.signatures where s.type == 0x28 && digestAlgorithm(openPGPHash: s.hashAlgorithm) == nil && s.names(primary) {
            return .revoked("the subkey \(subkey.key.fingerprintHex) carries a revocation made with \(s.hashName), which passbox cannot verify; treated as revoked")
        }
        guard Int64(subkey.key.created) <= time else {
            return .expired("the subkey \(subkey.key.fingerprintHex) was created after the time it is judged at")
        }
        var binding: PGPSignature?
        for s in subkey.signatures where s.type == 0x18 && s.unknownCritical == nil && s.isCurrent(at: time) && verifiesOverPrimary(s, extra: both, by: primary) {
            if let b = binding, let bc = b.created, let sc = s.created, sc <= bc { continue }
            binding = s
        }
        guard let binding else {
            return .unusable("the subkey \(subkey.key.fingerprintHex) has no valid binding signature at the time it is judged at")
        }
        guard let flags = binding.keyFlags, flags & 0x02 != 0 else {
            return .unusable("the subkey \(subkey.key.fingerprintHex) is not certified for signing (key flags)")
        }
        // A signing subkey must sign the primary back, or anyone could claim it.
        let backSigned = binding.embedded.contains { back in
            back.type == 0x19 && back.unknownCritical == nil && back.names(subkey.key) && {
                guard let digest = back.digest(over: { h in h.update(Data(self.primary.hashPrefix + self.primary.body + both)) }) else { return false }
                return back.verifies(digest: digest, with: subkey.key)
            }()
        }
        guard backSigned else {
            return .unusable("the signing subkey \(subkey.key.fingerprintHex) has no valid primary-key binding (back-signature)")
        }
        if let e = binding.keyExpiresAfter, e > 0, Int64(subkey.key.created) + Int64(e) <= time {
            return .expired("the subkey \(subkey.key.fingerprintHex) expired on \(isoDate(Int64(subkey.key.created) + Int64(e)))")
        }
        return .usable
    }

    var allKeys: [PGPKey] { [primary] + subkeys.map(\.key) }
}

private func reasonText(_ s: PGPSignature) -> String {
    switch s.revocationReason {
    case 1: " (superseded)"
    case 2: " (key compromised)"
    case 3: " (retired)"
    default: ""
    }
}

func isoDate(_ seconds: Int64) -> String {
    RFC3339.format(Date(timeIntervalSince1970: TimeInterval(seconds)))
}

// MARK: - Detached document signatures

/// A detached OpenPGP signature file (`.asc` armored, `.sig`/`.gpg` binary): one or
/// more v4 signature packets.
struct OpenPGPDetachedSignature {
    var signatures: [PGPSignature]

    static func parse(_ data: Data) throws -> OpenPGPDetachedSignature {
        let packets = try readPackets(try openPGPBinary(data, label: "SIGNATURE"))
        var signatures: [PGPSignature] = []
        for p in packets {
            switch p.tag {
            case 2: signatures.append(try PGPSignature(body: p.body))
            case 10: continue  // marker
            default: throw OpenPGPError("a detached signature holds only signature packets (found tag \(p.tag))")
            }
        }
        guard !signatures.isEmpty else { throw OpenPGPError("no signature packet") }
        guard signatures.count <= maxOpenPGPSignatures else {
            throw OpenPGPError("\(signatures.count) signatures; at most \(maxOpenPGPSignatures) are read")
        }
        return OpenPGPDetachedSignature(signatures: signatures)
    }

    /// Does this look like binary or armored OpenPGP signature data?
    static func looksLike(_ data: Data) -> Bool {
        let text = String(decoding: data.prefix(256), as: UTF8.self)
        if text.contains("-----BEGIN PGP SIGNATURE-----") { return true }
        guard let first = data.first, first & 0x80 != 0 else { return false }
        let tag = first & 0x40 != 0 ? first & 0x3f : (first >> 2) & 0x0f
        guard tag == 2 else { return false }
        return (try? parse(data)) != nil
    }
}

/// `content` with every line ending made CR LF (text-mode signatures, type 0x01).
func canonicalText(_ content: Data) -> Data {
    var out = Data()
    out.reserveCapacity(content.count + content.count / 32)
    var previous: UInt8 = 0
    for b in content {
        if b == 0x0a && previous != 0x0d { out.append(0x0d) }
        out.append(b)
        previous = b
    }
    return out
}
