import Foundation
import XCTest

/// Deliveries made by other tools and by hand as a new user would, and the docs
/// followed literally (each test failed before its fix).
final class InteropFixesCLITests: XCTestCase {
    private func minisignKey(_ w: Workspace, _ name: String) throws {
        try shell("minisign -G -W -p ts/keys/\(name).pub -s keys/\(name).key > /dev/null", cwd: w.dir)
    }

    // MARK: in-toto's convention for symbolic links

    /// `sha256sum *` and in-toto-run follow a file symlink and record the target's
    /// content under the link's name: such a list verifies, as a tree and as a tar.gz.
    func testLinkNamedWithItsTargetsDigestVerifies() throws {
        let w = try Workspace()
        try shell("""
            mkdir -p tree/lib && printf 'libctl 2.4.1 code' > tree/lib/libctl.so.2.4.1
            ln -s libctl.so.2.4.1 tree/lib/libctl.so.2 && ln -s libctl.so.2 tree/lib/libctl.so
            printf 'notes\\n' > tree/README
            cd tree && sha256sum lib/libctl.so.2.4.1 lib/libctl.so.2 lib/libctl.so README > SHA256SUMS
            """, cwd: w.dir)
        try minisignKey(w, "vendor")
        try shell("minisign -S -s keys/vendor.key -m tree/SHA256SUMS > /dev/null && tar czf tree.tar.gz -C tree .", cwd: w.dir)
        for delivery in ["tree", "tree.tar.gz"] {
            let r = try w.verify([delivery])
            XCTAssertEqual(r.status, 0, "\(delivery): \(r.findingCodes) \(r.stdout.prefix(2000))")
            XCTAssertEqual(r.file("lib/libctl.so")?["status"] as? String, "verified", delivery)
            XCTAssertEqual(r.file("lib/libctl.so.2")?["status"] as? String, "verified", delivery)
        }

        // The same name leading to other content: mismatch. A link named by nothing:
        // unlisted. A link that leaves the delivery: still an error.
        try shell("""
            rm tree/lib/libctl.so && printf 'other' > tree/lib/other.so && ln -s other.so tree/lib/libctl.so
            ln -s libctl.so.2.4.1 tree/lib/libctl.so.2.4
            ln -s /etc/passwd tree/passwd
            """, cwd: w.dir)
        let r = try w.verify(["tree"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.file("lib/libctl.so")?["status"] as? String, "mismatch", "\(r.statuses)")
        XCTAssertTrue(r.findings("file.unlisted").contains { $0["path"] as? String == "lib/libctl.so.2.4" }, "\(r.findingCodes)")
        XCTAssertTrue(r.findings("file.unlisted").contains { $0["path"] as? String == "lib/other.so" }, "\(r.findingCodes)")
        XCTAssertTrue(r.findingCodes.contains("archive.link-escape"), "\(r.findingCodes)")
    }

    // MARK: evidence beside a single-file delivery

    func testEvidenceNamedAfterASingleFileIsPickedUp() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try minisignKey(w, "vendor")
        try shell("cd delivery && zip -qr ../fw.zip . && cd .. && minisign -S -s keys/vendor.key -m fw.zip > /dev/null", cwd: w.dir)
        let zip = try w.verify(["fw.zip"])
        XCTAssertEqual(zip.status, 0, "\(zip.findingCodes) \(zip.stderr)")
        XCTAssertEqual(zip.json["delivery"].flatMap { ($0 as? [String: Any])?["status"] as? String }, "verified")
        let looked = (zip.json["evidence"] as? [String: Any])?["lookedIn"] as? [String] ?? []
        XCTAssertTrue(looked.contains { $0.hasPrefix("beside fw.zip:") && $0.contains(".minisig") }, "\(looked)")

        // A DSSE manifest beside a tar.gz, made by passbox itself.
        let key = try w.key("acme")
        try shell("tar czf fw.tar.gz -C delivery .", cwd: w.dir)
        try w.manifest("fw.tar.gz", keys: [key], output: "fw.tar.gz.dsse.json")
        let tgz = try w.verify(["fw.tar.gz"])
        XCTAssertEqual(tgz.status, 0, "\(tgz.findingCodes)")
        // The same file named again with --manifest (and through ./): read and listed once.
        let twice = try w.verify(["fw.tar.gz", "--manifest", "./fw.tar.gz.dsse.json"])
        XCTAssertEqual(twice.status, 0, "\(twice.findingCodes)")
        XCTAssertEqual((twice.json["manifests"] as? [Any])?.count, 1, twice.stdout.prefix(2000).description)

        // A raw signature made with openssl over a firmware image.
        try shell("cp delivery/fw/etcher-2.4.bin fw.bin && openssl pkeyutl -sign -rawin -inkey keys/acme.key -in fw.bin -out fw.bin.sig", cwd: w.dir)
        let raw = try w.verify(["fw.bin"])
        XCTAssertEqual(raw.status, 0, "\(raw.findingCodes) \(raw.stdout.prefix(1500))")

        // Evidence not named after the file is not picked up; manifest.none says where passbox looked.
        try shell("cp fw.bin other.bin && cp fw.bin.sig firmware.sig", cwd: w.dir)
        let other = try w.verify(["other.bin"])
        XCTAssertEqual(other.status, 1)
        let message = other.findings("manifest.none").first?["message"] as? String ?? ""
        XCTAssertTrue(message.contains("looked in: beside other.bin: .dsse.json .intoto.json .intoto.jsonl .minisig .sig .asc .gpg .p7s"), message)
    }

    // MARK: docs and behaviour agree

    func testMalformedManifestGivenWithManifestExits2() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try w.write("broken.dsse.json", "{\"payloadType\": 1}\n")
        let r = try w.passbox(["verify", "delivery", "--manifest", "broken.dsse.json"])
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("--manifest broken.dsse.json"), r.stderr)
    }

    func testFileNamedLikeAnSBOMMustBeOne() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try w.write("delivery/bom.json", "{\"x\":1}\n")
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.findings("sbom.malformed").first?["path"] as? String, "bom.json", "\(r.findingCodes)")
    }

    /// `trust list` and `manifest.none` count the same keys: a PEM key and a signify key are two.
    func testOneCountOfTrustedKeys() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try w.key("acme")
        try shell("signify-openbsd -G -n -p ts/keys/sfy.pub -s keys/sfy.sec", cwd: w.dir)
        let list = try w.passbox(["trust", "list", "--trust-store", "ts"])
        XCTAssertTrue(list.stdout.contains(": 2 trusted key(s)"), list.stdout)
        let r = try w.verify(["delivery"])
        let message = r.findings("manifest.none").first?["message"] as? String ?? ""
        XCTAssertTrue(message.contains("holds 2 trusted key(s)"), message)

        // A valid signify signature over a list that does not parse: the report still
        // shows who signed it.
        try shell("cd delivery && sha256sum fw/etcher-2.4.bin > SHA256SUMS && echo 'not a checksum line' >> SHA256SUMS && signify-openbsd -S -s ../keys/sfy.sec -m SHA256SUMS -x SHA256SUMS.sig", cwd: w.dir)
        let bad = try w.verify(["delivery"])
        XCTAssertTrue(bad.findingCodes.contains("manifest.malformed"), "\(bad.findingCodes)")
        let manifest = (bad.json["manifests"] as? [[String: Any]])?.first { $0["path"] as? String == "SHA256SUMS" }
        let signatures = manifest?["signatures"] as? [[String: Any]] ?? []
        XCTAssertEqual(signatures.first?["status"] as? String, "valid", "\(manifest ?? [:])")
    }

    func testTrustYAMLReportsEveryMistakeWithItsLine() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try w.key("acme")
        try w.write("ts/trust.yaml", """
            version: 1
            threshold: 0
            signers:
              - name: acme
                keys: [acme.pem]
                kinds: [firmwear]
                colour: blue
            revoked: [nothex]

            """)
        let r = try w.passbox(["verify", "delivery", "--trust-store", "ts"])
        XCTAssertEqual(r.status, 2)
        for expected in ["line 2: threshold", "line 6: signers[0] 'acme': kinds: 'firmwear'", "line 7: signers[0] 'acme': unknown key 'colour'", "line 8: revoked: 'nothex'"] {
            XCTAssertTrue(r.stderr.contains(expected), "\(expected) in \(r.stderr)")
        }
        let check = try w.passbox(["trust", "check", "--trust-store", "ts"])
        XCTAssertEqual(check.status, 2)
        XCTAssertTrue(check.stdout.contains("4 error(s)"), check.stdout)
    }

    func testAuditLogThatIsNotThereCannotBeIntact() throws {
        let w = try Workspace()
        try FileManager.default.createDirectory(at: w.url("empty-state"), withIntermediateDirectories: true)
        let none = try w.passbox(["log", "verify", "--state", "empty-state"])
        XCTAssertEqual(none.status, 2, none.stdout)
        XCTAssertTrue(none.stderr.contains("no audit log"), none.stderr)
        try w.write("empty-state/versions.json", "{}\n")
        let versions = try w.passbox(["log", "verify", "--state", "empty-state"])
        XCTAssertEqual(versions.status, 2)
        XCTAssertTrue(versions.stderr.contains("versions.json"), versions.stderr)

        // A record edited after the fact is shown, and marked.
        try w.standardDelivery()
        XCTAssertEqual(try w.passbox(["verify", "delivery", "--trust-store", "ts"]).status, 1)
        XCTAssertEqual(try w.passbox(["verify", "delivery", "--trust-store", "ts"]).status, 1)
        try shell("sed -i '1s/\"rejected\"/\"accepted\"/' state/audit.jsonl", cwd: w.dir)
        let show = try w.passbox(["log", "show"])
        let lines = show.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, show.stdout)
        XCTAssertTrue(lines.first?.hasPrefix("UNVERIFIED 1\t") == true, show.stdout)
        XCTAssertTrue(lines.last?.hasPrefix("2\t") == true, show.stdout)
        let json = try w.passbox(["log", "show", "--format", "json"])
        let records = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(records.first?["verified"] as? Bool, false)
        XCTAssertNil(records.last?["verified"])
    }

    func testHelpAndOptionsAsUsersKnowThem() throws {
        let w = try Workspace()
        let help = try w.passbox(["manifest", "create", "--help"])
        let versionLines = help.stdout.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--version") }
        XCTAssertEqual(versionLines.count, 1, help.stdout)
        XCTAssertTrue(versionLines.first?.contains("The delivery's version") == true, help.stdout)
        XCTAssertTrue(help.stdout.contains("--vendor <vendor>") && help.stdout.contains("The vendor, recorded"), help.stdout)
        let version = try w.passbox(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertFalse(version.stdout.isEmpty)

        try w.standardDelivery()
        let r = try w.passbox(["verify", "delivery", "--trust-store", "ts", "--format", "json", "-o", "report.json"])
        XCTAssertEqual(r.status, 1, r.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: w.read("report.json")) as? [String: Any])
        XCTAssertEqual(report["verdict"] as? String, "rejected")
    }

    /// The README's walk-through, pasted line by line into an empty folder.
    func testREADMEWalkthroughRunsInAnEmptyFolder() throws {
        let readme = String(decoding: try Data(contentsOf: repoRoot.appendingPathComponent("README.md")), as: UTF8.self)
        let start = try XCTUnwrap(readme.range(of: "<!-- walkthrough:start -->"))
        let end = try XCTUnwrap(readme.range(of: "<!-- walkthrough:end -->"))
        var block = String(readme[start.upperBound..<end.lowerBound])
        block = block.replacingOccurrences(of: "```sh", with: "").replacingOccurrences(of: "```", with: "")
        let w = try Workspace()
        let empty = w.url("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try w.write("walkthrough.sh", block)
        let binDir = URL(fileURLWithPath: passboxBinary()).deletingLastPathComponent().path
        let r = try runProcess(["bash", "-e", w.url("walkthrough.sh").path], cwd: empty,
                               environment: ["PATH": "\(binDir):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")",
                                             "PASSBOX_STATE_DIR": w.url("state").path])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("passbox verify: ACCEPTED"), r.stdout)
        XCTAssertTrue(r.stdout.contains("receipt valid"), r.stdout)
        XCTAssertTrue(r.stdout.contains("audit log intact: 3 record(s)"), r.stdout)
    }
}
