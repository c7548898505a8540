@testable import Attestation
import CryptoIO
import Foundation
import Testing

/// Keys and signatures made once per run by Tests/Fixtures/make_vendor_sigs.sh.
let vendor: Result<TempDir, ToolError> = {
    do {
        let dir = try TempDir()
        try run(["bash", fixtureScripts.appendingPathComponent("make_vendor_sigs.sh").path, dir.url.path])
        return .success(dir)
    } catch let e as ToolError {
        return .failure(e)
    } catch {
        return .failure(ToolError(description: "\(error)"))
    }
}()

func vendorFile(_ name: String) throws -> Data { try vendor.get().read(name) }

/// A trust store laid out as the contract says, from both fixture sets.
let trustStoreDir: Result<TempDir, ToolError> = {
    do {
        let v = try vendor.get(), p = try pki.get()
        let ts = try TempDir()
        let fm = FileManager.default
        for sub in ["keys", "roots", "crls"] {
            try fm.createDirectory(atPath: ts.path(sub), withIntermediateDirectories: true)
        }
        let copies: [(String, String)] = [
            (v.path("minisign/mini.pub"), "keys/mini.pub"),
            (v.path("signify/sfy.pub"), "keys/sfy.pub"),
            (v.path("raw/ed25519.pem"), "keys/raw-ed25519.pem"),
            (v.path("raw/ec.pem"), "keys/raw-ec.pem"),
            (v.path("raw/rsa.pem"), "keys/raw-rsa.pem"),
            (v.path("pgp/Ed.cert.asc"), "keys/pgp-ed.asc"),
            (v.path("pgp/P256.cert.asc"), "keys/pgp-p256.asc"),
            (v.path("pgp/P384.cert.asc"), "keys/pgp-p384.asc"),
            (v.path("pgp/RSA.cert.pgp"), "keys/pgp-rsa.pgp"),
            (v.path("pgp/Sub.cert.asc"), "keys/pgp-sub.asc"),
            (v.path("pgp/Old.cert.asc"), "keys/pgp-old.asc"),
            (v.path("pgp/Short.cert.asc"), "keys/pgp-short.asc"),
            (v.path("pgp/Revoked.cert.asc"), "keys/pgp-revoked.asc"),
            (v.path("pgp/SubRev.cert.asc"), "keys/pgp-subrev.asc"),
            (v.path("pgp/Sha1Rev.cert.asc"), "keys/pgp-sha1rev.asc"),
            (p.path("roots/root.pem"), "roots/root.pem"),
            (p.path("crls/intermediate.crl.pem"), "crls/intermediate.crl.pem"),
            (p.path("crls/root.crl.pem"), "crls/root.pem"),
        ]
        for (from, to) in copies { try fm.copyItem(atPath: from, toPath: ts.path(to)) }
        try Data("notes".utf8).write(to: ts.url.appendingPathComponent("keys/notes.txt"))
        return .success(ts)
    } catch let e as ToolError {
        return .failure(e)
    } catch {
        return .failure(ToolError(description: "\(error)"))
    }
}()

/// `time` nil: now, taken after the fixtures exist (they are made on first use).
func verifier(at time: Date? = nil) throws -> DetachedSignatureVerifier {
    let (trust, _) = try VendorTrust.load(directory: trustStoreDir.get().url.path)
    return DetachedSignatureVerifier(trust: trust, time: time ?? Date())
}

/// Checks a signature from the vendor fixtures over SHA256SUMS (or the tampered copy).
func vcheck(_ signature: String, tampered: Bool = false, at time: Date? = nil) throws -> [DetachedSignatureCheck] {
    try verifier(at: time).check(signature: vendorFile(signature), content: vendorFile(tampered ? "SHA256SUMS.tampered" : "SHA256SUMS"))
}

func single(_ signature: String, tampered: Bool = false, at time: Date? = nil) throws -> DetachedSignatureCheck {
    let results = try vcheck(signature, tampered: tampered, at: time)
    try #require(results.count == 1)
    return results[0]
}

@Suite struct TrustLoadingTests {
    @Test func loadsEveryKind() throws {
        let (trust, ignored) = try VendorTrust.load(directory: trustStoreDir.get().url.path)
        #expect(trust.keys.map(\.name).sorted() == ["raw-ec", "raw-ed25519", "raw-rsa"])
        #expect(trust.ed25519Keys.map(\.name).sorted() == ["mini", "sfy"])
        #expect(trust.ed25519Keys.first { $0.name == "mini" }?.keyFile.flavor == .minisign)
        #expect(trust.ed25519Keys.first { $0.name == "sfy" }?.keyFile.flavor == .signify)
        #expect(trust.openPGPCertificates.count == 10)
        #expect(trust.roots.count == 1)
        #expect(trust.crls.count == 2)
        #expect(ignored.count == 1 && ignored[0].hasSuffix("notes.txt"))
    }

    @Test func minisignKeyIDIsTheOneMinisignPrints() throws {
        let pub = try vendorFile("minisign/mini.pub")
        let key = try Ed25519KeyFile.parse(pub)
        let comment = String(decoding: pub, as: UTF8.self).split(separator: "\n")[0]
        // minisign prints the id with %llX: no leading zeros (1 key in 16 starts with a 0 nibble).
        let printed = comment.split(separator: " ").last.flatMap { UInt64($0, radix: 16) }
        #expect(printed != nil && printed == UInt64(key.keyIDHex, radix: 16), "\(comment) vs \(key.keyIDHex)")
    }

    @Test func badFilesAreTrustStoreErrors() throws {
        let ts = try TempDir()
        try FileManager.default.createDirectory(atPath: ts.path("keys"), withIntermediateDirectories: true)
        try Data("untrusted comment: x\nnot base64\n".utf8).write(to: ts.url.appendingPathComponent("keys/bad.pub"))
        #expect(throws: TrustStoreError.self) { try VendorTrust.load(directory: ts.url.path) }
        try FileManager.default.removeItem(atPath: ts.path("keys/bad.pub"))
        try vendorFile("raw/rsa1024.pem").write(to: ts.url.appendingPathComponent("keys/weak.pem"))
        #expect(throws: TrustStoreError.self) { try VendorTrust.load(directory: ts.url.path) }
        try FileManager.default.removeItem(atPath: ts.path("keys/weak.pem"))
        try Data("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n".utf8)
            .write(to: ts.url.appendingPathComponent("keys/bad.asc"))
        #expect(throws: TrustStoreError.self) { try VendorTrust.load(directory: ts.url.path) }
    }

    @Test func weakRSAKeyIsRefused() throws {
        #expect(throws: CryptoError.self) { try PublicKey(pemOrDER: vendorFile("raw/rsa1024.pem")) }
    }
}

@Suite struct FormatDetectionTests {
    @Test(arguments: [
        ("minisign/prehashed.minisig", DetachedSignatureFormat.minisign), ("minisign/legacy.minisig", .minisign),
        ("signify/good.sig", .signify), ("pgp/ed.asc", .openpgp), ("pgp/ed.sig", .openpgp),
        ("raw/ed25519.sig", .raw), ("raw/ec.sig", .raw), ("raw/ec.sig.b64", .raw), ("raw/rsa-pkcs1.sig", .raw),
    ])
    func byContent(_ file: String, _ format: DetachedSignatureFormat) throws {
        #expect(DetachedSignatureVerifier.detectFormat(try vendorFile(file)) == format)
    }

    @Test(arguments: ["sig-good.p7s", "sig-pkcs7.pem.p7s", "sig-cms.pem.p7s"])
    func cmsByContent(_ file: String) throws {
        #expect(DetachedSignatureVerifier.detectFormat(try pkiFile(file)) == .cms)
    }

    @Test func garbageAndOversizedFilesThrow() throws {
        let v = try verifier()
        let content = try vendorFile("SHA256SUMS")
        #expect(throws: DetachedSignatureError.self) { try v.check(signature: Data("this is not a signature at all!".utf8), content: content) }
        #expect(throws: DetachedSignatureError.self) { try v.check(signature: Data(), content: content) }
        #expect(throws: DetachedSignatureError.self) { try v.check(signature: Data(count: maxDetachedSignatureBytes + 1), content: content) }
        #expect(throws: DetachedSignatureError.self) { try v.check(signature: Data(repeating: 0x41, count: 5000), content: content) }
        #expect(throws: DetachedSignatureError.self) { try v.check(signature: vendorFile("signify/embedded.sig"), content: content) }
        #expect(throws: DetachedSignatureError.self) { try v.check(signature: Data("untrusted comment: x\nAAAA\n".utf8), content: content) }
        #expect(throws: DetachedSignatureError.self) {
            try v.check(signature: Data("-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n".utf8), content: content)
        }
    }
}

@Suite struct MinisignTests {
    @Test func prehashedValidWithTrustedComment() throws {
        let r = try single("minisign/prehashed.minisig")
        #expect(r.status == .valid, "\(r.message)")
        #expect(r.format == .minisign)
        #expect(r.trustedComment == "acme firmware 2.4 release")
        #expect(r.signer?.name == "mini")
        #expect(r.signer?.algorithm == "ed25519")
        #expect(r.signer?.keyID == (try Ed25519KeyFile.parse(vendorFile("minisign/mini.pub")).keyIDHex))
        #expect(r.signer?.fingerprint.count == 64)
        #expect(r.findingCode == nil)
    }

    @Test func legacyValid() throws {
        let r = try single("minisign/legacy.minisig")
        #expect(r.status == .valid, "\(r.message)")
        #expect(r.trustedComment == "legacy mode")
    }

    @Test func tamperedListIsInvalid() throws {
        for file in ["minisign/prehashed.minisig", "minisign/legacy.minisig"] {
            let r = try single(file, tampered: true)
            #expect(r.status == .invalid)
            #expect(r.findingCode == "signature.invalid")
            #expect(r.signer?.name == "mini")
        }
    }

    @Test func tamperedSignatureOrCommentIsInvalid() throws {
        #expect(try single("minisign/sig-edited.minisig").status == .invalid)
        let edited = try single("minisign/comment-edited.minisig")
        #expect(edited.status == .invalid)
        #expect(edited.message.contains("trusted comment"))
        #expect(edited.trustedComment == nil)
    }

    @Test func wrongKeyIsUntrusted() throws {
        let r = try single("minisign/other.minisig")
        #expect(r.status == .untrusted)
        #expect(r.findingCode == "signature.untrusted")
    }

    @Test func minisignAgreesAboutTheVerdicts() throws {
        let v = try vendor.get()
        let ok = try run(["minisign", "-V", "-q", "-p", v.path("minisign/mini.pub"), "-x", v.path("minisign/prehashed.minisig"), "-m", v.path("SHA256SUMS")], check: false)
        #expect(ok.status == 0)
        try FileManager.default.copyItem(atPath: v.path("SHA256SUMS.tampered"), toPath: v.path("minisign-tampered"))
        let bad = try run(["minisign", "-V", "-q", "-p", v.path("minisign/mini.pub"), "-x", v.path("minisign/prehashed.minisig"), "-m", v.path("minisign-tampered")], check: false)
        #expect(bad.status != 0)
    }
}

@Suite struct SignifyTests {
    @Test func valid() throws {
        let r = try single("signify/good.sig")
        #expect(r.status == .valid, "\(r.message)")
        #expect(r.format == .signify)
        #expect(r.signer?.name == "sfy")
        #expect(r.trustedComment == nil)
    }

    @Test func tamperedListAndSignatureAreInvalid() throws {
        #expect(try single("signify/good.sig", tampered: true).status == .invalid)
        #expect(try single("signify/sig-edited.sig").status == .invalid)
    }

    @Test func wrongKeyIsUntrusted() throws {
        #expect(try single("signify/other.sig").status == .untrusted)
    }
}

@Suite struct RawSignatureTests {
    @Test(arguments: [
        ("raw/ed25519.sig", "raw-ed25519", "ed25519"), ("raw/ed25519.sig.b64", "raw-ed25519", "ed25519"),
        ("raw/ec.sig", "raw-ec", "ecdsa-p256"), ("raw/ec.sig.b64", "raw-ec", "ecdsa-p256"),
        ("raw/rsa-pkcs1.sig", "raw-rsa", "rsa-2048"), ("raw/rsa-pss.sig", "raw-rsa", "rsa-2048"),
    ])
    func valid(_ file: String, _ name: String, _ algorithm: String) throws {
        let r = try single(file)
        #expect(r.status == .valid, "\(r.message)")
        #expect(r.format == .raw)
        #expect(r.signer?.name == name)
        #expect(r.signer?.algorithm == algorithm)
        let key = try PublicKey(pemOrDER: vendorFile("raw/\(name.dropFirst(4)).pem"))
        #expect(r.signer?.fingerprint == key.fingerprint)
    }

    @Test(arguments: ["raw/ed25519.sig", "raw/ec.sig.b64", "raw/rsa-pkcs1.sig"])
    func tamperedListDoesNotVerify(_ file: String) throws {
        // A raw signature names no key: a changed list cannot be told from an unknown key.
        let r = try single(file, tampered: true)
        #expect(r.status == .untrusted)
        #expect(r.signer == nil)
    }

    @Test func tamperedSignatureWrongKeyAndSHA1DoNotVerify() throws {
        #expect(try single("raw/ec-edited.sig").status == .untrusted)
        #expect(try single("raw/other.sig").status == .untrusted)
        #expect(try single("raw/rsa-sha1.sig").status == .untrusted)
    }
}

@Suite struct OpenPGPTests {
    /// sqv's verdict: the certificate fingerprints it prints on success, nil on failure.
    func sqv(_ signature: String, tampered: Bool = false) throws -> [String]? {
        let v = try vendor.get()
        var args = ["sqv"]
        for cert in ["Ed.cert.asc", "P256.cert.asc", "P384.cert.asc", "RSA.cert.pgp", "Sub.cert.asc", "Revoked.cert.asc", "Short.cert.asc"] {
            args += ["--keyring", v.path("pgp/\(cert)")]
        }
        args += [v.path(signature), v.path(tampered ? "SHA256SUMS.tampered" : "SHA256SUMS")]
        let r = try run(args, check: false)
        guard r.status == 0 else { return nil }
        return String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test(arguments: [
        ("pgp/ed.asc", "pgp-ed", "Ed", "ed25519"), ("pgp/ed.sig", "pgp-ed", "Ed", "ed25519"),
        ("pgp/p256.asc", "pgp-p256", "P256", "ecdsa-p256"), ("pgp/p384.asc", "pgp-p384", "P384", "ecdsa-p384"),
        ("pgp/rsa.asc", "pgp-rsa", "RSA", "rsa-2048"),
        ("pgp/sub.asc", "pgp-sub", "Sub", "ed25519"), ("pgp/text.asc", "pgp-ed", "Ed", "ed25519"),
        ("pgp/short.asc", "pgp-short", "Short", "ed25519"),
    ])
    func validAndAgreesWithSqv(_ file: String, _ name: String, _ who: String, _ algorithm: String) throws {
        let r = try single(file)
        #expect(r.status == .valid, "\(r.message)")
        #expect(r.format == .openpgp)
        #expect(r.signer?.name == name)
        #expect(r.signer?.algorithm == algorithm)
        let fingerprint = String(decoding: try vendorFile("pgp/\(who).fpr"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(r.signer?.fingerprint == fingerprint)
        #expect(try sqv(file) == [fingerprint])
        #expect(r.signedAt != nil)
    }

    @Test func signingSubkeyIsNamed() throws {
        let r = try single("pgp/sub.asc")
        let sub = String(decoding: try vendorFile("pgp/Sub.subfpr"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(r.signer?.keyID == sub)
        #expect(r.signer?.keyID != r.signer?.fingerprint)
    }

    @Test(arguments: ["pgp/ed.asc", "pgp/ed.sig", "pgp/p256.asc", "pgp/p384.asc", "pgp/rsa.asc", "pgp/sub.asc", "pgp/text.asc"])
    func tamperedListIsInvalid(_ file: String) throws {
        let r = try single(file, tampered: true)
        #expect(r.status == .invalid, "\(r.message)")
        #expect(r.signer != nil)
        #expect(try sqv(file, tampered: true) == nil)
    }

    @Test func tamperedSignatureIsInvalid() throws {
        // Flip a bit in the last byte of the binary signature (inside the EdDSA s value).
        var sig = try vendorFile("pgp/ed.sig")
        sig[sig.count - 1] ^= 0x01
        let r = try verifier().check(signature: sig, content: vendorFile("SHA256SUMS"))
        #expect(r.map(\.status) == [.invalid])
    }

    @Test func armorChecksumCatchesDamage() throws {
        var text = String(decoding: try vendorFile("pgp/ed.asc"), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Change one base64 character of the body (line 3: after the BEGIN line and the blank line).
        let index = try #require(lines.firstIndex(where: { $0.count > 40 }), "the armored fixture has no body line")
        var line = Array(lines[index])
        line[10] = line[10] == "A" ? "B" : "A"
        var changed = lines
        changed[index] = String(line)
        text = changed.joined(separator: "\n")
        let v = try verifier()
        do {
            let r = try v.check(signature: Data(text.utf8), content: vendorFile("SHA256SUMS"))
            #expect(!r.isEmpty && r.allSatisfy { $0.status != .valid })
        } catch is DetachedSignatureError {
            // The CRC-24 (or the packet structure) caught it.
        }
    }

    @Test func unknownKeyIsUntrusted() throws {
        let r = try single("pgp/other.asc")
        #expect(r.status == .untrusted)
        #expect(r.findingCode == "signature.untrusted")
    }

    @Test func expiredKeyJudgedAtTheGivenTime() throws {
        // Made in 2020 with a key that expired at the end of 2020.
        #expect(try single("pgp/old.asc").status == .expired)
        let then = ISO8601DateFormatter().date(from: "2020-06-02T00:00:00Z") ?? Date()
        #expect(try single("pgp/old.asc", at: then).status == .valid)
        // A key valid for one day: fine now, expired in two days, not yet made in 2020.
        #expect(try single("pgp/short.asc", at: Date().addingTimeInterval(2 * 86400)).status == .expired)
        #expect(try single("pgp/short.asc", at: then).status == .expired)
    }

    @Test func revokedCertificate() throws {
        let r = try single("pgp/revoked.asc")
        #expect(r.status == .revoked, "\(r.message)")
        #expect(r.findingCode == "signature.revoked")
        #expect(try sqv("pgp/revoked.asc") == nil)
    }

    @Test func revokedSigningSubkey() throws {
        let r = try single("pgp/subrev.asc")
        #expect(r.status == .revoked, "\(r.message)")
        #expect(r.message.contains("subkey"))
        let v = try vendor.get()
        let oracle = try run(["sqv", "--keyring", v.path("pgp/SubRev.cert.asc"), v.path("pgp/subrev.asc"), v.path("SHA256SUMS")], check: false)
        #expect(oracle.status != 0)
    }

    @Test func unverifiableSHA1RevocationStillRevokes() throws {
        let r = try single("pgp/sha1rev.asc")
        #expect(r.status == .revoked, "\(r.message)")
        #expect(r.message.contains("SHA-1"))
    }

    @Test func sha1SignatureIsInvalid() throws {
        let r = try single("pgp/sha1.asc")
        #expect(r.status == .invalid)
        #expect(r.message.contains("SHA-1"))
    }

    @Test func twoSignersBothReported() throws {
        let results = try vcheck("pgp/two.asc")
        #expect(results.map(\.status) == [.valid, .valid])
        #expect(Set(results.compactMap(\.signer?.name)) == ["pgp-ed", "pgp-rsa"])
        #expect(Set(results.compactMap(\.signer?.keyFingerprint)).count == 2)
    }

    @Test func certificateParsing() throws {
        let certs = try OpenPGPCertificate.parseAll(vendorFile("pgp/Sub.cert.asc"))
        #expect(certs.count == 1)
        #expect(certs[0].userIDs == ["Sub Vendor <sub@example.com>"])
        #expect(certs[0].subkeyFingerprints.count == 1)
        // Binary and armored forms of the same certificate agree.
        let armored = try OpenPGPCertificate.parseAll(vendorFile("pgp/Ed.cert.asc"))
        let v = try vendor.get()
        let binary = try run(["gpg", "--dearmor"], environment: [:], check: true, stdin: v.path("pgp/Ed.cert.asc")).stdout
        #expect(try OpenPGPCertificate.parseAll(binary).map(\.fingerprint) == armored.map(\.fingerprint))
        // A keyring with several certificates.
        let both = try vendorFile("pgp/Ed.cert.asc") + vendorFile("pgp/P256.cert.asc")
        #expect(try OpenPGPCertificate.parseAll(both).count == 2)
    }
}

@Suite struct CMSUnifiedTests {
    func check(_ name: String, tampered: Bool = false) throws -> DetachedSignatureCheck {
        var content = try pkiFile("SHA256SUMS")
        if tampered { content[0] ^= 1 }
        let results = try verifier().check(signature: pkiFile(name), content: content)
        try #require(results.count == 1)
        return results[0]
    }

    @Test func valid() throws {
        let r = try check("sig-good.p7s")
        #expect(r.status == .valid, "\(r.message)")
        #expect(r.format == .cms)
        #expect(r.signer?.name == "leaf-good")
        #expect(r.signer?.algorithm == "ecdsa-p256")
        #expect(r.certificate?.subject.contains("CN=leaf-good") == true)
        #expect(r.chain.count == 3)
        #expect(r.signer?.fingerprint == r.certificate?.fingerprint)
    }

    @Test(arguments: [
        ("sig-expired.p7s", DetachedSignatureCheck.Status.expired, ChainProblem.expired),
        ("sig-revoked.p7s", .revoked, .revoked),
        ("sig-wrong-eku.p7s", .untrusted, .notCodeSigning),
        ("sig-missing-intermediate.p7s", .untrusted, .issuerNotFound),
        ("sig-untrusted-root.p7s", .untrusted, .untrustedRoot),
    ])
    func chainFailures(_ name: String, _ status: DetachedSignatureCheck.Status, _ problem: ChainProblem) throws {
        let r = try check(name)
        #expect(r.status == status, "\(r.message)")
        #expect(r.chainProblem == problem)
        #expect(r.findingCode == "signature.\(status.rawValue)")
        #expect(r.signer != nil)
    }

    @Test func tamperedListOrSignatureAndSHA1AreInvalid() throws {
        #expect(try check("sig-good.p7s", tampered: true).status == .invalid)
        #expect(try check("sig-sha1.p7s").status == .invalid)
        var sig = try pkiFile("sig-good.p7s")
        sig[sig.count - 3] ^= 0x55
        let r = try verifier().check(signature: sig, content: pkiFile("SHA256SUMS"))
        #expect(r.map(\.status) == [.invalid])
    }

    @Test func requireCRLSwitch() throws {
        var v = try verifier()
        v.trust.requireCRL = true
        #expect(try v.check(signature: pkiFile("sig-good.p7s"), content: pkiFile("SHA256SUMS")).map(\.status) == [.valid])
        v.trust.crls = []
        let r = try v.check(signature: pkiFile("sig-good.p7s"), content: pkiFile("SHA256SUMS"))
        #expect(r.map(\.status) == [.untrusted])
        #expect(r.first?.chainProblem == .revocationUnknown)
    }
}

@Suite struct EndToEndTests {
    /// A signed list verifies, then parses into subjects that match the delivered files.
    @Test func signedListToSubjects() throws {
        let r = try single("minisign/prehashed.minisig")
        #expect(r.status == .valid)
        let list = try ChecksumList.parse(vendorFile("SHA256SUMS"))
        let fw = try vendorFile("fw.bin")
        #expect(list.subjects.first { $0.name == "fw.bin" }?.digests[.sha256] == Hex.encode(Hasher.digest(.sha256, fw)))
    }
}

/// Damaged signature and key files never crash the parsers and never make a
/// signature over changed content valid.
@Suite struct HostileInputTests {
    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func mutations(of data: Data, seed: UInt64, count: Int) -> [Data] {
        var rng = SplitMix(state: seed)
        var out: [Data] = []
        guard !data.isEmpty else { return out }
        for i in 0..<count {
            var d = data
            let at = Int(rng.next() % UInt64(d.count))
            switch i % 4 {
            case 0: d[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            case 1: d = d.prefix(at)
            case 2: d[at] = [0x00, 0xff, 0x80, 0x7f, 0x0a, 0x3d][Int(rng.next() % 6)]
            default: d.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
            }
            out.append(d)
        }
        return out
    }

    @Test func mutatedSignatures() throws {
        let v = try verifier()
        let content = try vendorFile("SHA256SUMS")
        let files = try [
            vendorFile("minisign/prehashed.minisig"), vendorFile("signify/good.sig"), vendorFile("pgp/ed.asc"),
            vendorFile("pgp/ed.sig"), vendorFile("pgp/rsa.asc"), vendorFile("pgp/sub.asc"), vendorFile("raw/ec.sig"),
            vendorFile("raw/ed25519.sig.b64"), pkiFile("sig-good.p7s"), pkiFile("sig-pkcs7.pem.p7s"),
        ]
        var outcomes = 0
        for (n, file) in files.enumerated() {
            for mutated in Self.mutations(of: file, seed: UInt64(n + 1), count: 150) {
                if let results = try? v.check(signature: mutated, content: content) { outcomes += results.count }
            }
        }
        #expect(outcomes > 0)
    }

    @Test func mutatedKeysAndCertificates() throws {
        let files = try [vendorFile("pgp/Sub.cert.asc"), vendorFile("pgp/RSA.cert.pgp"), vendorFile("pgp/P256.cert.asc")]
        for (n, file) in files.enumerated() {
            for mutated in Self.mutations(of: file, seed: UInt64(100 + n), count: 200) {
                _ = try? OpenPGPCertificate.parseAll(mutated)
            }
        }
        for mutated in Self.mutations(of: try vendorFile("minisign/mini.pub"), seed: 7, count: 200) {
            _ = try? Ed25519KeyFile.parse(mutated)
        }
        for mutated in Self.mutations(of: try pkiFile("crls/intermediate.crl.pem") + pkiFile("intermediate.pem"), seed: 9, count: 200) {
            _ = try? Certificate.parseAll(mutated)
            _ = try? RevocationList.parseAll(mutated)
        }
    }

    @Test func signaturesWithMutatedCertificatesInTheTrustStore() throws {
        // A damaged trusted certificate that still parses must not make a signature valid that its key did not make.
        let cert = try vendorFile("pgp/Sub.cert.asc")
        let binary = try run(["gpg", "--dearmor"], stdin: vendor.get().path("pgp/Sub.cert.asc")).stdout
        _ = cert
        let content = try vendorFile("SHA256SUMS.tampered")
        let signature = try vendorFile("pgp/sub.asc")
        for mutated in Self.mutations(of: binary, seed: 42, count: 200) {
            guard let certs = try? OpenPGPCertificate.parseAll(mutated) else { continue }
            let trust = VendorTrust(openPGPCertificates: certs.map { TrustedOpenPGPCertificate(name: "m", file: "m", certificate: $0) })
            let results = try DetachedSignatureVerifier(trust: trust, time: Date()).check(signature: signature, content: content)
            #expect(results.allSatisfy { $0.status != .valid })
        }
    }
}

@Suite struct SignedChecksumListTests {
    @Test func parsedOnlyAfterAValidSignature() throws {
        let v = try verifier()
        let list = try vendorFile("SHA256SUMS")
        let good = try v.checkChecksumList(list, signatures: [vendorFile("minisign/prehashed.minisig"), vendorFile("pgp/two.asc"), vendorFile("signify/other.sig")])
        #expect(good.list?.subjects.map(\.name) == ["fw.bin", "notes.txt"])
        #expect(good.checks.map(\.status) == [.valid, .valid, .valid, .untrusted])
        #expect(good.distinctValidSigners.map(\.name) == ["mini", "pgp-ed", "pgp-rsa"])
        let bad = try v.checkChecksumList(vendorFile("SHA256SUMS.tampered"), signatures: [vendorFile("minisign/prehashed.minisig")])
        #expect(bad.list == nil)
        // A list that is not a list is only read once a signature over it verified.
        let garbage = Data("not a list\n".utf8)
        #expect(try v.checkChecksumList(garbage, signatures: [vendorFile("minisign/prehashed.minisig")]).list == nil)
    }

    @Test func sameKeyTwiceIsOneSigner() throws {
        let v = try verifier()
        let r = try v.checkChecksumList(vendorFile("SHA256SUMS"), signatures: [vendorFile("pgp/ed.asc"), vendorFile("pgp/ed.sig"), vendorFile("pgp/text.asc")])
        #expect(r.checks.count == 3)
        #expect(r.distinctValidSigners.count == 1)
    }

    @Test func fileNames() {
        #expect(ChecksumList.isListFileName("SHA256SUMS"))
        #expect(ChecksumList.isListFileName("dir/sha512sums"))
        #expect(ChecksumList.isListFileName("fw.bin.sha256"))
        #expect(!ChecksumList.isListFileName(".sha256"))
        #expect(!ChecksumList.isListFileName("MD5SUMS"))
        #expect(ChecksumList.signatureFileNames(for: "SHA256SUMS").contains("SHA256SUMS.minisig"))
    }
}

@Suite struct EmptyContentTests {
    @Test func signaturesOverAnEmptyFileDoNotVerifyTheList() throws {
        let v = try verifier()
        for file in ["minisign/prehashed.minisig", "signify/good.sig", "pgp/ed.asc", "raw/ec.sig"] {
            let r = try v.check(signature: vendorFile(file), content: Data())
            #expect(r.allSatisfy { $0.status != .valid }, "\(file)")
        }
        let cms = try v.check(signature: pkiFile("sig-good.p7s"), content: Data())
        #expect(cms.map(\.status) == [.invalid])
    }
}

@Suite struct CryptoBuildingBlockTests {
    @Test func blake2b512MatchesB2sum() throws {
        let v = try vendor.get()
        let out = String(decoding: try run(["b2sum", v.path("SHA256SUMS")]).stdout, as: UTF8.self)
        let expected = String(out.prefix(while: { $0 != " " }))
        #expect(Hex.encode(try AuxiliaryHasher.digest(.blake2b512, vendorFile("SHA256SUMS"))) == expected)
    }

    @Test func rawEd25519KeyEqualsItsPEM() throws {
        let pem = try PublicKey(pemOrDER: vendorFile("raw/ed25519.pem"))
        let raw = try PublicKey(ed25519Raw: Array(pem.spki.suffix(32)))
        #expect(raw.fingerprint == pem.fingerprint)
        #expect(throws: CryptoError.self) { try PublicKey(ed25519Raw: [UInt8](repeating: 1, count: 31)) }
    }

    @Test func ecdsaSignatureDER() {
        // Leading zeros dropped, a zero byte added before a set high bit.
        #expect(DER.ecdsaSignature(r: [0x00, 0x01], s: [0x80]) == [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80])
    }
}
