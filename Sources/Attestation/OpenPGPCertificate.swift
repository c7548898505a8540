import CryptoIO
import Foundation

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
