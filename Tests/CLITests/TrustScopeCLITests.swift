import Foundation
import XCTest

/// trust.yaml signers: scope (vendor/product/kind), validity windows, revocation,
/// per-scope thresholds; and `passbox trust list|check`.
final class TrustScopeCLITests: XCTestCase {
    private let acmeScope = """
        version: 1
        signers:
          - name: acme-firmware
            keys: [acme.pem]
            vendors: [Acme Etch Systems]
            products: [etcher-ctrl]
            kinds: [firmware]

        """

    /// The standard delivery with a DSSE manifest in its root, signed by `keys` with this predicate.
    private func signedDelivery(_ w: Workspace, keys: [String], product: String = "etcher-ctrl", kind: String = "firmware") throws {
        try? FileManager.default.removeItem(at: w.url("delivery"))
        try w.standardDelivery()
        try w.manifest("delivery", keys: keys, output: "delivery/delivery.dsse.json",
                       extra: ["--vendor", "Acme Etch Systems", "--product", product, "--version", "2.4", "--kind", kind])
    }

    private func fingerprint(_ w: Workspace, _ name: String) throws -> String {
        // The SPKI digest, as passbox prints it (keygen prints the same value).
        let der = try shell("openssl pkey -pubin -in keys/\(name).pem -outform DER | sha256sum | cut -d' ' -f1", cwd: w.dir)
        return der.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testOutOfScopeProductRejectedInScopeAccepted() throws {
        let w = try Workspace()
        let key = try w.key("acme")
        try w.write("ts/trust.yaml", acmeScope)

        try signedDelivery(w, keys: [key], product: "other-tool")
        let out = try w.verify(["delivery"])
        XCTAssertEqual(out.status, 1, out.stdout)
        XCTAssertTrue(out.findingCodes.contains("signature.out-of-scope"), "\(out.findingCodes)")
        let message = out.findings("signature.out-of-scope").first?["message"] as? String ?? ""
        XCTAssertTrue(message.contains("other-tool") && message.contains("acme-firmware"), message)

        try signedDelivery(w, keys: [key], kind: "recipe")
        XCTAssertTrue(try w.verify(["delivery"]).findingCodes.contains("signature.out-of-scope"))

        try signedDelivery(w, keys: [key])
        let ok = try w.verify(["delivery"])
        XCTAssertEqual(ok.status, 0, ok.stdout)
        XCTAssertEqual(ok.statuses["fw/etcher-2.4.bin"], "verified")
    }

    func testUnnamedKeyStaysTrustedForEverything() throws {
        let w = try Workspace()
        let key = try w.key("acme")
        let other = try w.key("internal")
        try w.write("ts/trust.yaml", acmeScope)
        try signedDelivery(w, keys: [other], product: "anything")
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 0, r.stdout)
        // A scoped and an unscoped key on one manifest out of scope: the unscoped one carries it.
        try signedDelivery(w, keys: [key, other], product: "anything")
        XCTAssertEqual(try w.verify(["delivery"]).status, 0)
    }

    func testRevokedKey() throws {
        let w = try Workspace()
        let key = try w.key("acme")
        let fp = try fingerprint(w, "acme")
        XCTAssertEqual(fp.count, 64)
        try w.write("ts/trust.yaml", "version: 1\nrevoked: [\(fp)]\n")
        try signedDelivery(w, keys: [key])
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.findingCodes.contains("signature.revoked"), "\(r.findingCodes)")
        XCTAssertTrue(r.findingCodes.contains("manifest.none"))

        let check = try w.passbox(["trust", "check", "--trust-store", "ts"])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.contains("warning: keys/acme.pem is revoked"), check.stdout)
        let list = try w.passbox(["trust", "list", "--trust-store", "ts"])
        XCTAssertTrue(list.stdout.contains("REVOKED"), list.stdout)
    }

    func testValidityWindowJudgedAtTime() throws {
        let w = try Workspace()
        let key = try w.key("acme")
        try w.write("ts/trust.yaml", """
            signers:
              - name: acme
                keys: [acme.pem]
                validFrom: 2019-01-01T00:00:00Z
                validUntil: 2020-12-31T23:59:59Z

            """)
        try signedDelivery(w, keys: [key])
        let now = try w.verify(["delivery"])
        XCTAssertEqual(now.status, 1, now.stdout)
        XCTAssertTrue(now.findingCodes.contains("signature.expired"), "\(now.findingCodes)")
        let inside = try w.verify(["delivery", "--at", "2020-06-01T12:00:00Z"])
        XCTAssertEqual(inside.status, 0, inside.stdout)
        let before = try w.verify(["delivery", "--at", "2018-06-01T12:00:00Z"])
        XCTAssertTrue(before.findingCodes.contains("signature.expired"), "\(before.findingCodes)")
        let list = try w.passbox(["trust", "list", "--trust-store", "ts"])
        XCTAssertTrue(list.stdout.contains("warning: trust.yaml signer 'acme' (validUntil) expired"), list.stdout)
    }

    func testPerScopeThreshold() throws {
        let w = try Workspace()
        let a = try w.key("qa-a")
        let b = try w.key("qa-b")
        try w.write("ts/trust.yaml", """
            version: 1
            threshold: 1
            signers:
              - name: recipe-release
                keys: [qa-a.pem, qa-b.pem]
                kinds: [recipe]
                threshold: 2

            """)
        try signedDelivery(w, keys: [a], kind: "recipe")
        let one = try w.verify(["delivery"])
        XCTAssertEqual(one.status, 1, one.stdout)
        XCTAssertTrue(one.findingCodes.contains("signature.threshold"), "\(one.findingCodes)")
        // The same key twice is still one signer.
        try signedDelivery(w, keys: [a, a], kind: "recipe")
        XCTAssertTrue(try w.verify(["delivery"]).findingCodes.contains("signature.threshold"))
        try signedDelivery(w, keys: [a, b], kind: "recipe")
        let two = try w.verify(["delivery"])
        XCTAssertEqual(two.status, 0, two.stdout)
        // Firmware is outside that scope: the rule does not apply, so it is out of scope.
        try signedDelivery(w, keys: [a], kind: "firmware")
        XCTAssertTrue(try w.verify(["delivery"]).findingCodes.contains("signature.out-of-scope"))
    }

    func testChecksumListByScopedSignerIsOutOfScope() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try shell("cd delivery && find . -type f ! -name 'SHA256SUMS*' | sort | xargs sha256sum > SHA256SUMS", cwd: w.dir)
        try shell("minisign -G -W -p ts/keys/acme.pub -s keys/acme.key > /dev/null", cwd: w.dir)
        try shell("minisign -S -s keys/acme.key -m delivery/SHA256SUMS > /dev/null", cwd: w.dir)
        XCTAssertEqual(try w.verify(["delivery"]).status, 0, "unscoped minisign key")
        try w.write("ts/trust.yaml", """
            signers:
              - name: acme
                keys: [acme.pub]
                products: [etcher-ctrl]

            """)
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.findingCodes.contains("signature.out-of-scope"), "\(r.findingCodes)")
        let message = r.findings("signature.out-of-scope").first?["message"] as? String ?? ""
        XCTAssertTrue(message.contains("checksum list"), message)
    }

    func testBrokenTrustYAMLCannotEvaluate() throws {
        let w = try Workspace()
        let key = try w.key("acme")
        try signedDelivery(w, keys: [key])
        try w.write("ts/trust.yaml", "signers:\n  - name: acme\n    keys: [missing.pem]\n")
        let verify = try w.verify(["delivery"])
        XCTAssertEqual(verify.status, 2, verify.stdout)
        XCTAssertTrue(verify.stderr.contains("keys/missing.pem does not exist"), verify.stderr)
        let check = try w.passbox(["trust", "check", "--trust-store", "ts"])
        XCTAssertEqual(check.status, 2, check.stdout)
        // The file, the line and the key (every mistake is listed: here there is one).
        XCTAssertTrue(check.stdout.contains("error: ts/trust.yaml: line 3: signers[0] 'acme': keys: key file keys/missing.pem does not exist"), check.stdout)

        try w.write("ts/trust.yaml", "signers:\n  - name: acme\n    keys: [acme.pem]\n    product: [x]\n")
        let typo = try w.verify(["delivery"])
        XCTAssertEqual(typo.status, 2)
        XCTAssertTrue(typo.stderr.contains("trust.yaml") && typo.stderr.contains("'product'"), typo.stderr)
        XCTAssertEqual(try w.passbox(["trust", "check", "--trust-store", "ts"]).status, 2)
    }

    func testTrustListAndCheck() throws {
        let w = try Workspace()
        _ = try w.key("acme")
        _ = try w.key("spare")
        _ = try w.key("other")
        let fp = try fingerprint(w, "acme")
        try w.write("ts/trust.yaml", acmeScope + """
              - name: acme-second
                keys: [other.pem]
                vendors: [Acme Etch Systems]
                threshold: 2

            """)
        let list = try w.passbox(["trust", "list", "--trust-store", "ts"])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertTrue(list.stdout.contains(fp), list.stdout)
        XCTAssertTrue(list.stdout.contains("products [etcher-ctrl]"), list.stdout)
        XCTAssertTrue(list.stdout.contains("trusted for: everything"), list.stdout)

        let json = try w.passbox(["trust", "list", "--trust-store", "ts", "--format", "json"])
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let keys = try XCTUnwrap(object["keys"] as? [[String: Any]])
        let acme = try XCTUnwrap(keys.first { $0["name"] as? String == "acme" })
        XCTAssertEqual(acme["fingerprint"] as? String, fp)
        XCTAssertEqual((acme["trustedBy"] as? [[String: Any]])?.first?["products"] as? [String], ["etcher-ctrl"])

        let check = try w.passbox(["trust", "check", "--trust-store", "ts"])
        XCTAssertEqual(check.status, 0, check.stdout)
        XCTAssertTrue(check.stdout.contains("info: keys/spare.pem is named by no signer"), check.stdout)
        XCTAssertTrue(check.stdout.contains("overlapping scopes"), check.stdout)
    }

    /// An X.509 signer matched by its certificate subject; a checksum list is out of
    /// scope for it, unless its rule is unscoped.
    func testCertificateSubjectSigner() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try shell("""
            cd delivery && find . -type f ! -name 'SHA256SUMS*' | sort | xargs sha256sum > SHA256SUMS && cd ..
            bash '\(fixtureScripts.appendingPathComponent("make_pki.sh").path)' pki > /dev/null
            mkdir -p ts/roots ts/crls && cp pki/roots/root.pem ts/roots/ && cp pki/crls/*.pem ts/crls/
            openssl cms -sign -binary -in delivery/SHA256SUMS -signer pki/leaf-good.pem -inkey pki/leaf-good.key \\
              -certfile pki/intermediate.pem -outform DER -out delivery/SHA256SUMS.p7s
            """, cwd: w.dir)
        try w.write("ts/trust.yaml", "signers:\n  - name: acme-cms\n    certificates: {subject: \"CN=leaf-*\"}\n    kinds: [firmware]\n")
        let scoped = try w.verify(["delivery"])
        XCTAssertEqual(scoped.status, 1, scoped.stdout)
        XCTAssertTrue(scoped.findingCodes.contains("signature.out-of-scope"), "\(scoped.findingCodes)")
        try w.write("ts/trust.yaml", "signers:\n  - name: acme-cms\n    certificates: {subject: \"*CN=leaf-*\"}\n    validUntil: 2020-01-01T00:00:00Z\n")
        XCTAssertTrue(try w.verify(["delivery"]).findingCodes.contains("signature.expired"))
        try w.write("ts/trust.yaml", "signers:\n  - name: acme-cms\n    certificates: {subject: \"CN=nobody*\"}\n    kinds: [firmware]\n")
        // Once trust.yaml names certificates, one that no signer names is not trusted
        // (docs/trust-store.md, rule 2): the root vouches for others than the vendor.
        let unnamed = try w.verify(["delivery"])
        XCTAssertEqual(unnamed.status, 1, unnamed.stdout)
        XCTAssertTrue(unnamed.findingCodes.contains("signature.untrusted"), "\(unnamed.findingCodes)")
        // Without any certificates: entry (zero configuration for roots) it is trusted.
        try w.write("ts/trust.yaml", "signers:\n  - name: other\n    keys: [\(String(repeating: "ab", count: 32))]\n")
        XCTAssertEqual(try w.verify(["delivery"]).status, 0, "no certificates: entry, so the root's code-signing certificates are trusted")
        try w.write("ts/trust.yaml", "signers:\n  - name: acme-cms\n    certificates: {subject: \"CN=nobody*\"}\n    kinds: [firmware]\n")
        let list = try w.passbox(["trust", "list", "--trust-store", "ts"])
        XCTAssertTrue(list.stdout.contains("Passbox Test Root") && list.stdout.contains("CN=nobody*"), list.stdout)
    }
}
