import Foundation
import XCTest

/// `passbox verify` on deliveries that come with a checksum list and detached
/// signatures made by the vendors' own tools (minisign, gpg, openssl cms).
final class VendorFormatCLITests: XCTestCase {
    /// The standard delivery with a SHA256SUMS over its files (as `sha256sum` writes it).
    private func deliveryWithList(_ w: Workspace) throws {
        try w.standardDelivery()
        try shell("cd delivery && find . -type f ! -name 'SHA256SUMS*' | sort | xargs sha256sum > SHA256SUMS", cwd: w.dir)
    }

    private func minisignKey(_ w: Workspace, _ name: String, trusted: Bool = true) throws {
        let pub = trusted ? "ts/keys/\(name).pub" : "keys/\(name).pub"
        try shell("minisign -G -W -p \(pub) -s keys/\(name).key > /dev/null", cwd: w.dir)
    }

    private func pki(_ w: Workspace) throws {
        try shell("bash '\(fixtureScripts.appendingPathComponent("make_pki.sh").path)' pki > /dev/null && mkdir -p ts/roots ts/crls && cp pki/roots/root.pem ts/roots/ && cp pki/crls/*.pem ts/crls/", cwd: w.dir)
    }

    private func cmsSign(_ w: Workspace, leaf: String) throws {
        try shell("openssl cms -sign -binary -in delivery/SHA256SUMS -signer pki/\(leaf).pem -inkey pki/\(leaf).key -certfile pki/intermediate.pem -outform DER -out delivery/SHA256SUMS.p7s", cwd: w.dir)
    }

    func testMinisignedChecksumList() throws {
        let w = try Workspace()
        try deliveryWithList(w)
        try minisignKey(w, "acme")
        try shell("minisign -S -s keys/acme.key -m delivery/SHA256SUMS -t 'acme etcher 2.4' > /dev/null", cwd: w.dir)
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 0, r.stdout)
        let manifest = try XCTUnwrap((r.json["manifests"] as? [[String: Any]])?.first)
        XCTAssertEqual(manifest["format"] as? String, "checksums")
        XCTAssertEqual((manifest["signatures"] as? [[String: Any]])?.first?["signer"] as? String, "acme")
        XCTAssertEqual(r.statuses["fw/etcher-2.4.bin"], "verified")
        XCTAssertNil(r.file("SHA256SUMS"), "the list and its signature are evidence")
        XCTAssertNil(r.file("SHA256SUMS.minisig"))

        // A changed file, then a changed list (signature no longer matches).
        try w.write("delivery/README.txt", "changed\n")
        XCTAssertEqual(try w.verify(["delivery"]).findingCodes, ["file.mismatch"])
        try shell("cd delivery && find . -type f ! -name 'SHA256SUMS*' | sort | xargs sha256sum > SHA256SUMS", cwd: w.dir)
        let tampered = try w.verify(["delivery"])
        XCTAssertEqual(tampered.status, 1)
        XCTAssertTrue(tampered.findingCodes.contains("signature.invalid"), "\(tampered.findingCodes)")
        XCTAssertTrue(tampered.findingCodes.contains("manifest.none"))
    }

    func testWrongKeyIsUntrusted() throws {
        let w = try Workspace()
        try deliveryWithList(w)
        try minisignKey(w, "acme")
        try minisignKey(w, "stranger", trusted: false)
        try shell("minisign -S -s keys/stranger.key -m delivery/SHA256SUMS > /dev/null", cwd: w.dir)
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.findingCodes.contains("signature.untrusted"), "\(r.findingCodes)")
    }

    func testOpenPGPSignedListGivenWithManifest() throws {
        let w = try Workspace()
        try deliveryWithList(w)
        try shell("""
            export GNUPGHOME="$PWD/gnupg" && mkdir -m 700 gnupg
            gpg --batch --quiet --pinentry-mode loopback --passphrase '' --quick-gen-key 'Acme Release <release@acme.example>' ed25519 sign never
            mkdir out && cp delivery/SHA256SUMS out/
            gpg --batch --quiet --armor --detach-sign -o out/SHA256SUMS.asc out/SHA256SUMS
            gpg --armor --export release@acme.example > ts/keys/acme-release.asc
            rm delivery/SHA256SUMS
            """, cwd: w.dir)
        let r = try w.verify(["delivery", "--manifest", "out/SHA256SUMS"])
        XCTAssertEqual(r.status, 0, r.stdout)
        XCTAssertEqual(r.statuses["recipes/oxide.recipe"], "verified")
    }

    func testCMSSignedListAndCertificateProblems() throws {
        let w = try Workspace()
        try deliveryWithList(w)
        try pki(w)
        try cmsSign(w, leaf: "leaf-good")
        XCTAssertEqual(try w.verify(["delivery"]).status, 0)
        for (leaf, code) in [("leaf-expired", "signature.expired"), ("leaf-revoked", "signature.revoked"), ("leaf-wrong-eku", "signature.untrusted")] {
            try cmsSign(w, leaf: leaf)
            let r = try w.verify(["delivery"])
            XCTAssertEqual(r.status, 1, leaf)
            XCTAssertTrue(r.findingCodes.contains(code), "\(leaf): \(r.findingCodes)")
        }
    }

    /// trust.yaml threshold 2, met by one minisign and one CMS signature over the same list.
    func testThresholdAcrossFormats() throws {
        let w = try Workspace()
        try deliveryWithList(w)
        try pki(w)
        try minisignKey(w, "acme")
        try w.write("ts/trust.yaml", "threshold: 2\n")
        try shell("minisign -S -s keys/acme.key -m delivery/SHA256SUMS > /dev/null", cwd: w.dir)
        let one = try w.verify(["delivery"])
        XCTAssertEqual(one.status, 1)
        XCTAssertTrue(one.findingCodes.contains("signature.threshold"), "\(one.findingCodes)")
        try cmsSign(w, leaf: "leaf-good")
        let two = try w.verify(["delivery"])
        XCTAssertEqual(two.status, 0, two.stdout)
        XCTAssertEqual(((two.json["manifests"] as? [[String: Any]])?.first?["signatures"] as? [[String: Any]])?.count, 2)
    }

    /// A firmware image with its own detached signature, no list: the signature is
    /// checked over the image's bytes; the other files still need a manifest.
    func testSingleFileWithDetachedSignatures() throws {
        let w = try Workspace()
        try w.write("usb/etcher-ctrl-2.4.1.bin", Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 131) }))
        try minisignKey(w, "acme")
        try shell("""
            minisign -S -s keys/acme.key -m usb/etcher-ctrl-2.4.1.bin > /dev/null
            openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out keys/ci.key 2>/dev/null
            openssl pkey -in keys/ci.key -pubout -out ts/keys/ci.pem
            openssl dgst -sha256 -sign keys/ci.key -out usb/etcher-ctrl-2.4.1.bin.sig usb/etcher-ctrl-2.4.1.bin
            """, cwd: w.dir)
        let r = try w.verify(["usb"])
        XCTAssertEqual(r.status, 0, r.stdout)
        XCTAssertEqual(r.statuses["etcher-ctrl-2.4.1.bin"], "verified")
        let manifest = try XCTUnwrap((r.json["manifests"] as? [[String: Any]])?.first)
        XCTAssertEqual(manifest["format"] as? String, "detached")
        XCTAssertEqual((manifest["signatures"] as? [[String: Any]])?.count, 2)

        // One byte changed: both signatures fail; nothing else vouches for the image.
        var image = try w.read("usb/etcher-ctrl-2.4.1.bin")
        image[1000] ^= 1
        try w.write("usb/etcher-ctrl-2.4.1.bin", image)
        let bad = try w.verify(["usb"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.findingCodes.contains("manifest.none"), "\(bad.findingCodes)")
        XCTAssertTrue(bad.findingCodes.contains("signature.untrusted") || bad.findingCodes.contains("signature.invalid"), "\(bad.findingCodes)")
    }

    func testCMSSignerHasSubjectAndChainInTheReport() throws {
        let w = try Workspace()
        try deliveryWithList(w)
        try pki(w)
        try cmsSign(w, leaf: "leaf-good")
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 0, r.stdout)
        let signature = try XCTUnwrap(((r.json["manifests"] as? [[String: Any]])?.first?["signatures"] as? [[String: Any]])?.first)
        XCTAssertNotNil(signature["fingerprint"] as? String)
        XCTAssertTrue((signature["subject"] as? String ?? "").contains("CN="), "\(signature)")
        XCTAssertGreaterThanOrEqual((signature["chain"] as? [String])?.count ?? 0, 2, "\(signature)")
    }

    func testUnsignedChecksumListIsNotTrusted() throws {
        let w = try Workspace()
        try deliveryWithList(w)
        try minisignKey(w, "acme")
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.findingCodes.contains("manifest.none"), "\(r.findingCodes)")
        XCTAssertTrue(r.findingCodes.contains("signature.untrusted"), "\(r.findingCodes)")
    }
}
