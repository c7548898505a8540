import CryptoIO
import Foundation
import Testing

/// The test PKI and its signatures, made once per test run by Tests/Fixtures/make_pki.sh.
let pki: Result<TempDir, ToolError> = {
    do {
        let dir = try TempDir()
        try run(["bash", fixtureScripts.appendingPathComponent("make_pki.sh").path, dir.url.path])
        return .success(dir)
    } catch let e as ToolError {
        return .failure(e)
    } catch {
        return .failure(ToolError(description: "\(error)"))
    }
}()

func pkiFile(_ name: String) throws -> Data { try pki.get().read(name) }

func cmsCheck(_ signature: String, roots: [String] = ["roots/root.pem"], crls: [String] = ["crls/intermediate.crl.pem", "crls/root.crl.pem"],
              content: Data? = nil, at time: Date? = nil, requireCodeSigning: Bool = true, requireCRL: Bool = false) throws -> [CMSSignerResult] {
    let anchors = try roots.flatMap { try Certificate.parseAll(pkiFile($0)) }
    let lists = try crls.flatMap { try RevocationList.parseAll(pkiFile($0)) }
    return try CMS.verifyDetached(
        signature: pkiFile(signature), content: content ?? pkiFile("SHA256SUMS"), roots: anchors, crls: lists,
        policy: ChainPolicy(time: time ?? Date(), requireCodeSigning: requireCodeSigning, requireCRL: requireCRL))
}

@Suite struct CMSTests {
    @Test(arguments: ["sig-good.p7s", "sig-rsa.p7s", "sig-pkcs7.pem.p7s", "sig-cms.pem.p7s"])
    func validSignatures(_ name: String) throws {
        let results = try cmsCheck(name)
        #expect(results.count == 1)
        let r = try #require(results.first)
        #expect(r.outcome == .valid, "\(r.detail)")
        #expect(r.signer?.subject.contains("CN=leaf-") == true)
        #expect(r.chain.map(\.subject).last == "CN=Passbox Test Root,O=Passbox Test")
        #expect(r.chain.count == 3)
        #expect(r.signer?.fingerprint.count == 64)
    }

    @Test func fingerprintIsSHA256OfTheLeafDER() throws {
        let der = try run(["openssl", "x509", "-in", pki.get().path("leaf-good.pem"), "-outform", "DER"]).stdout
        let r = try #require(try cmsCheck("sig-good.p7s").first)
        #expect(r.signer?.fingerprint == Hex.encode(Hasher.digest(.sha256, der)))
        #expect(r.keyAlgorithm == .ecdsaP256)
    }

    @Test func tamperedContentIsABadSignature() throws {
        var content = try pkiFile("SHA256SUMS")
        content[0] ^= 1
        let r = try #require(try cmsCheck("sig-good.p7s", content: content).first)
        #expect(r.outcome == .badSignature)
    }

    @Test func tamperedSignatureIsABadSignatureOrMalformed() throws {
        var sig = try pkiFile("sig-good.p7s")
        // The last bytes are the ECDSA signature value.
        sig[sig.count - 3] ^= 0x55
        try pki.get().write("sig-tampered.p7s", sig)
        let r = try #require(try cmsCheck("sig-tampered.p7s").first)
        #expect(r.outcome == .badSignature)
    }

    @Test func expiredLeaf() throws {
        #expect(try cmsCheck("sig-expired.p7s").first?.outcome == .chain(.expired))
        let r = try #require(try cmsCheck("sig-expired.p7s").first)
        #expect(r.detail.contains("depth 0"))
        // In 2020 the leaf was valid, but its CAs (made today) were not yet.
        let inside = ISO8601DateFormatter().date(from: "2020-06-01T00:00:00Z") ?? Date()
        #expect(try cmsCheck("sig-expired.p7s", at: inside).first?.outcome == .chain(.notYetValid))
    }

    @Test func injectedTimeBeforeAndAfterValidity() throws {
        #expect(try cmsCheck("sig-good.p7s", at: Date(timeIntervalSince1970: 0)).first?.outcome == .chain(.notYetValid))
        #expect(try cmsCheck("sig-good.p7s", at: Date().addingTimeInterval(86400 * 365 * 30)).first?.outcome == .chain(.expired))
    }

    @Test func revokedLeaf() throws {
        #expect(try cmsCheck("sig-revoked.p7s").first?.outcome == .chain(.revoked))
        // Without the CRL nobody knows.
        #expect(try cmsCheck("sig-revoked.p7s", crls: []).first?.outcome == .valid)
    }

    @Test func requireCRL() throws {
        #expect(try cmsCheck("sig-good.p7s", requireCRL: true).first?.outcome == .valid)
        #expect(try cmsCheck("sig-good.p7s", crls: ["crls/intermediate.crl.pem"], requireCRL: true).first?.outcome == .chain(.revocationUnknown))
        #expect(try cmsCheck("sig-good.p7s", crls: [], requireCRL: true).first?.outcome == .chain(.revocationUnknown))
        // Only the intermediate's CRL, not required: still fine.
        #expect(try cmsCheck("sig-good.p7s", crls: ["crls/intermediate.crl.pem"]).first?.outcome == .valid)
    }

    @Test func wrongOrMissingEKU() throws {
        #expect(try cmsCheck("sig-wrong-eku.p7s").first?.outcome == .chain(.notCodeSigning))
        #expect(try cmsCheck("sig-no-eku.p7s").first?.outcome == .chain(.notCodeSigning))
        #expect(try cmsCheck("sig-wrong-eku.p7s", requireCodeSigning: false).first?.outcome == .valid)
    }

    @Test func missingIntermediateAndUntrustedRoot() throws {
        #expect(try cmsCheck("sig-missing-intermediate.p7s").first?.outcome == .chain(.issuerNotFound))
        #expect(try cmsCheck("sig-untrusted-root.p7s").first?.outcome == .chain(.untrustedRoot))
        // With no anchors at all, the good signature is not trusted either.
        #expect(try cmsCheck("sig-good.p7s", roots: []).first?.outcome == .chain(.issuerNotFound))
        // Trusting the other root makes it valid.
        #expect(try cmsCheck("sig-untrusted-root.p7s", roots: ["other-root.pem"]).first?.outcome == .valid)
    }

    @Test func weakDigestIsRejected() throws {
        #expect(try cmsCheck("sig-sha1.p7s").first?.outcome == .weakAlgorithm)
    }

    @Test func twoSignersEachJudged() throws {
        let results = try cmsCheck("sig-two.p7s")
        #expect(results.count == 2)
        #expect(results.contains { $0.outcome == .valid && $0.signer?.subject.contains("leaf-good") == true })
        #expect(results.contains { $0.outcome == .chain(.revoked) && $0.signer?.subject.contains("leaf-revoked") == true })
    }

    @Test func textModeSignatureDoesNotVerifyBinaryContent() throws {
        let r = try #require(try cmsCheck("sig-textmode.p7s").first)
        #expect(r.outcome == .badSignature)
        #expect(r.detail.contains("-binary"))
    }

    @Test func malformedInputsThrow() throws {
        #expect(throws: CryptoError.self) { try cmsCheck("sig-attached.p7s") }
        #expect(throws: CryptoError.self) { try cmsCheck("SHA256SUMS") }
        #expect(throws: CryptoError.self) { try cmsCheck("roots/root.pem") }
        var truncated = try pkiFile("sig-good.p7s")
        truncated = truncated.prefix(truncated.count / 2)
        try pki.get().write("sig-truncated.p7s", truncated)
        #expect(throws: CryptoError.self) { try cmsCheck("sig-truncated.p7s") }
    }

    @Test func bundlesAndCRLsParse() throws {
        let bundle = try pkiFile("roots/root.pem") + pkiFile("intermediate.pem") + pkiFile("other-root.pem")
        #expect(try Certificate.parseAll(bundle).count == 3)
        var broken = bundle
        broken.append(Data("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".utf8))
        #expect(throws: CryptoError.self) { try Certificate.parseAll(broken) }
        let crl = try #require(try RevocationList.parseAll(pkiFile("crls/intermediate.crl.pem")).first)
        #expect(crl.issuer.contains("CN=Passbox Test Intermediate"))
        let der = try run(["openssl", "crl", "-in", pki.get().path("crls/intermediate.crl.pem"), "-outform", "DER"]).stdout
        #expect(try RevocationList.parseAll(der).count == 1)
    }
}
