import Foundation
import XCTest

/// `passbox verify` as a user runs it: the built binary, its exit code and report.
final class VerifyCLITests: XCTestCase {

    // MARK: the bundled demo

    func testDemoDeliveryIsAccepted() throws {
        let r = try runProcess([passboxBinary(), "verify", "Demo/delivery", "--format", "json"], cwd: repoRoot)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(r.verdict, "accepted")
        XCTAssertEqual(r.findingCodes, [])
        XCTAssertEqual(r.file("firmware/etcher-ctrl-2.4.1.bin")?["status"] as? String, "verified")
        XCTAssertEqual(r.file("tools/calib-tool-1.3.tar.gz!/calib-tool-1.3/bin/calib-tool")?["status"] as? String, "covered")
        let text = try runProcess([passboxBinary(), "verify", "Demo/delivery"], cwd: repoRoot)
        XCTAssertEqual(text.status, 0)
        XCTAssertTrue(text.stdout.contains("ACCEPTED"), text.stdout)
        XCTAssertTrue(text.stdout.contains("signed by demo-vendor"), text.stdout)
    }

    /// The README's second demo: a tampered copy checked against the manifest
    /// registered in Manifests/ (the kiosk's usual setup) says exactly what is wrong
    /// with each file, not only that no manifest covers it.
    func testTamperedDemoCopySaysWhatChanged() throws {
        let w = try Workspace()
        try FileManager.default.copyItem(at: repoRoot.appendingPathComponent("Demo/delivery"), to: w.url("delivery"))
        var fw = try w.read("delivery/firmware/etcher-ctrl-2.4.1.bin")
        fw[4096] = fw[4096] == 0 ? 1 : 0
        try w.write("delivery/firmware/etcher-ctrl-2.4.1.bin", fw)
        try w.write("delivery/autorun.inf", "[autorun]\nopen=payload.exe\n")
        try FileManager.default.removeItem(at: w.url("delivery/recipes/etch-oxide-v12.recipe"))
        let r = try runProcess([passboxBinary(), "verify", w.url("delivery").path, "--format", "json"], cwd: repoRoot)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertEqual(Set(r.findingCodes), ["file.mismatch", "file.unlisted", "file.missing"])
        XCTAssertEqual(r.statuses["firmware/etcher-ctrl-2.4.1.bin"], "mismatch")
        XCTAssertEqual(r.statuses["autorun.inf"], "unlisted")
        XCTAssertEqual(r.statuses["recipes/etch-oxide-v12.recipe"], "missing")
        XCTAssertEqual(r.statuses["recipes/clean-chamber-v3.recipe"], "verified")
    }

    func testReportKeysArePinned() throws {
        let r = try runProcess([passboxBinary(), "verify", "Demo/delivery", "--format", "json"], cwd: repoRoot)
        let json = r.json
        XCTAssertEqual(json["mediaType"] as? String, "application/vnd.passbox.report+json;version=1")
        for key in ["mediaType", "verdict", "delivery", "files", "manifests", "findings"] {
            XCTAssertNotNil(json[key], "report lacks \(key)")
        }
        let delivery = try XCTUnwrap(json["delivery"] as? [String: Any])
        XCTAssertEqual(delivery["path"] as? String, "Demo/delivery")
        XCTAssertEqual(delivery["kind"] as? String, "directory")
        let file = try XCTUnwrap((json["files"] as? [[String: Any]])?.first)
        XCTAssertEqual(Set(file.keys), ["path", "kind", "size", "digests", "status"])
        let manifest = try XCTUnwrap((json["manifests"] as? [[String: Any]])?.first)
        XCTAssertEqual(manifest["format"] as? String, "dsse")
        let signature = try XCTUnwrap((manifest["signatures"] as? [[String: Any]])?.first)
        XCTAssertEqual(signature["signer"] as? String, "demo-vendor")
        XCTAssertEqual(signature["status"] as? String, "valid")
    }

    /// The JSON report is written as it is encoded: to stdout, to `--output` (replaced
    /// whole, never half-written), to a device named by `--output`, and as JSON Lines
    /// for several deliveries; all carry the same report.
    func testJSONReportOnStdoutOutputFileDeviceAndLines() throws {
        let w = try Workspace()
        let demo = "Demo/delivery"
        let report = w.url("report.json").path
        let stdout = try runProcess([passboxBinary(), "verify", demo, "--format", "json"], cwd: repoRoot)
        XCTAssertEqual(stdout.status, 0, stdout.stderr)
        try w.write("report.json", "an older report, longer than nothing")
        let file = try runProcess([passboxBinary(), "verify", demo, "--format", "json", "--output", report], cwd: repoRoot)
        XCTAssertEqual(file.status, 0, file.stderr)
        XCTAssertEqual(file.stdout, "")
        XCTAssertEqual(stable(String(decoding: try w.read("report.json"), as: UTF8.self)), stable(stdout.stdout))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: w.dir.path).filter { $0.contains(".tmp-") }
        XCTAssertEqual(leftovers, [])
        let device = try runProcess([passboxBinary(), "verify", demo, "--format", "json", "--output", "/dev/stdout"], cwd: repoRoot)
        XCTAssertEqual(stable(device.stdout), stable(stdout.stdout))
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: "/dev/stdout"), "/proc/self/fd/1")
        try FileManager.default.createSymbolicLink(atPath: w.url("link.json").path, withDestinationPath: "target.json")
        let link = try runProcess([passboxBinary(), "verify", demo, "--format", "json", "--output", w.url("link.json").path], cwd: repoRoot)
        XCTAssertEqual(link.status, 0, link.stderr)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: w.url("link.json").path), "target.json")
        XCTAssertEqual(stable(String(decoding: try w.read("target.json"), as: UTF8.self)), stable(stdout.stdout))
        let lines = try runProcess([passboxBinary(), "verify", demo, demo, "--format", "json"], cwd: repoRoot)
        XCTAssertEqual(lines.status, 0, lines.stderr)
        let parts = lines.stdout.split(separator: "\n")
        XCTAssertEqual(parts.count, 2)
        let one = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(stable(stdout.stdout).utf8)) as? NSDictionary)
        for part in parts {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(part.utf8)) as? [String: Any])
            XCTAssertEqual(object.filter { $0.key != "time" && $0.key != "auditSeq" } as NSDictionary, one)
        }
        let unwritable = try runProcess([passboxBinary(), "verify", demo, "--format", "json", "--output", w.url("no/such/dir/r.json").path], cwd: repoRoot)
        XCTAssertEqual(unwritable.status, 2)
        XCTAssertTrue(unwritable.stderr.contains("cannot write the report to \(w.url("no/such/dir/r.json").path)"), unwritable.stderr)
    }

    // MARK: files against the manifest

    func testTamperedFileIsMismatch() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        XCTAssertEqual(try w.verify(["delivery"]).status, 0)
        var fw = try w.read("delivery/fw/etcher-2.4.bin")
        fw[1000] ^= 0x01
        try w.write("delivery/fw/etcher-2.4.bin", fw)
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.verdict, "rejected")
        XCTAssertEqual(r.findingCodes, ["file.mismatch"])
        XCTAssertEqual(r.findings("file.mismatch").first?["path"] as? String, "fw/etcher-2.4.bin")
        XCTAssertEqual(r.statuses["fw/etcher-2.4.bin"], "mismatch")
    }

    /// Two manifests in the delivery (they always speak for it) name the same file
    /// with different content: whichever content the file has, one of them says
    /// otherwise, and the file is a mismatch (fail closed), not verified by the other.
    func testTwoManifestsInTheDeliveryDisagreeingAboutAFileReject() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/old.dsse.json")
        var fw = try w.read("delivery/fw/etcher-2.4.bin")
        fw[10] ^= 0x01
        try w.write("delivery/fw/etcher-2.4.bin", fw)
        try w.manifest("delivery", keys: [key], output: "delivery/new.dsse.json")
        for (label, flip) in [("new content", false), ("old content", true)] {
            if flip {
                fw[10] ^= 0x01
                try w.write("delivery/fw/etcher-2.4.bin", fw)
            }
            let r = try w.verify(["delivery"])
            XCTAssertEqual(r.status, 1, label)
            XCTAssertEqual(r.findingCodes, ["file.mismatch"], label)
            XCTAssertEqual(r.statuses["fw/etcher-2.4.bin"], "mismatch", label)
            XCTAssertEqual(r.statuses["recipes/oxide.recipe"], "verified", label)
            let message = r.findings("file.mismatch").first?["message"] as? String ?? ""
            XCTAssertTrue(message.hasPrefix("content differs from the manifest: sha256 expected "), message)
            XCTAssertTrue(message.contains("2 subjects of trusted manifests name this file"), message)
            // The manifest that disagrees is named: the old one for the new content, and back.
            XCTAssertTrue(message.contains("(\(flip ? "new" : "old").dsse.json says otherwise)"), message)
        }
    }

    /// Mix-and-match: two releases, each with its signed manifest registered in
    /// `--manifests`. Each release verifies on its own (the other release's manifest
    /// matches only what they share, so it does not apply); a delivery combining files
    /// of both is rejected, though every file is vouched for by one manifest: both
    /// manifests apply, and each file is different from what one of them says.
    func testMixAndMatchOfTwoReleasesIsRejected() throws {
        let w = try Workspace()
        let key = try w.key("acme")
        try FileManager.default.createDirectory(at: w.url("registered"), withIntermediateDirectories: true)
        try w.standardDelivery("r1")
        try w.manifest("r1", keys: [key], output: "registered/r1.dsse.json")
        try w.standardDelivery("r2")
        try w.write("r2/fw/etcher-2.4.bin", Data("firmware of release 2\n".utf8))
        try w.write("r2/recipes/oxide.recipe", "recipe: oxide\nsteps: 4\n")
        try w.manifest("r2", keys: [key], output: "registered/r2.dsse.json")
        func manifestStatuses(_ r: RunResult) -> [String: String] {
            var out: [String: String] = [:]
            for m in r.json["manifests"] as? [[String: Any]] ?? [] {
                if let p = m["path"] as? String, let s = m["status"] as? String { out[URL(fileURLWithPath: p).lastPathComponent] = s }
            }
            return out
        }
        for (release, other) in [("r1", "r2"), ("r2", "r1")] {
            let r = try w.verify([release, "--manifests", "registered"])
            XCTAssertEqual(r.status, 0, release + r.stdout)
            XCTAssertEqual(manifestStatuses(r), ["\(release).dsse.json": "verified", "\(other).dsse.json": "not-applicable"])
        }
        // Release 1's firmware with release 2's recipe (the README is the same in both).
        try w.standardDelivery("mix")
        try w.write("mix/recipes/oxide.recipe", "recipe: oxide\nsteps: 4\n")
        let mix = try w.verify(["mix", "--manifests", "registered"])
        XCTAssertEqual(mix.status, 1, mix.stdout)
        XCTAssertEqual(Set(mix.findingCodes), ["file.mismatch"])
        XCTAssertEqual(mix.statuses["fw/etcher-2.4.bin"], "mismatch")
        XCTAssertEqual(mix.statuses["recipes/oxide.recipe"], "mismatch")
        XCTAssertEqual(mix.statuses["README.txt"], "verified")
        XCTAssertEqual(manifestStatuses(mix), ["r1.dsse.json": "verified", "r2.dsse.json": "verified"])
    }

    /// Manifests/ holds the manifests of two products that ship the same licence text.
    /// Each product verifies with only its own manifest applied (the other matches the
    /// licence only, which is already covered, so its files are not "missing"); both
    /// products delivered together bring both manifests; and a product with a file
    /// taken away is still rejected for the missing file.
    func testRegisteredManifestSharingOneFileWithTheDeliveryDoesNotApply() throws {
        let w = try Workspace()
        let key = try w.key("acme")
        try FileManager.default.createDirectory(at: w.url("registered"), withIntermediateDirectories: true)
        for product in ["a", "b"] {
            try w.write("\(product)/LICENSE.txt", "the same licence text\n")
            try w.write("\(product)/\(product).bin", "firmware of product \(product)\n")
            try w.manifest(product, keys: [key], output: "registered/\(product).dsse.json")
            try w.write("both/\(product).bin", "firmware of product \(product)\n")
        }
        try w.write("both/LICENSE.txt", "the same licence text\n")
        func applied(_ r: RunResult) -> [String] {
            (r.json["manifests"] as? [[String: Any]] ?? []).filter { $0["status"] as? String == "verified" }
                .compactMap { ($0["path"] as? String).map { URL(fileURLWithPath: $0).lastPathComponent } }.sorted()
        }
        for product in ["a", "b"] {
            let r = try w.verify([product, "--manifests", "registered"])
            XCTAssertEqual(r.status, 0, product + r.stdout)
            XCTAssertEqual(applied(r), ["\(product).dsse.json"])
        }
        let both = try w.verify(["both", "--manifests", "registered"])
        XCTAssertEqual(both.status, 0, both.stdout)
        XCTAssertEqual(applied(both), ["a.dsse.json", "b.dsse.json"])
        try FileManager.default.removeItem(at: w.url("a/a.bin"))
        let taken = try w.verify(["a", "--manifests", "registered"])
        XCTAssertEqual(taken.status, 1, taken.stdout)
        XCTAssertTrue(taken.findingCodes.contains("file.missing"), "\(taken.findingCodes)")
    }

    func testUnlistedFileIsRejected() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        try w.write("delivery/autorun.inf", "[autorun]\nopen=evil.exe\n")
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.findingCodes, ["file.unlisted"])
        XCTAssertEqual(r.findings("file.unlisted").first?["path"] as? String, "autorun.inf")
        // The manifest itself is evidence, not an unlisted file.
        XCTAssertNil(r.file("delivery.dsse.json"))
    }

    func testUnlistedAsWarningByPolicy() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        try w.write("delivery/notes.txt", "extra\n")
        try w.write("policy.yaml", "manifest:\n  unlisted: warn\n")
        let r = try w.verify(["delivery", "--policy", "policy.yaml"])
        XCTAssertEqual(r.status, 0, r.stdout)
        XCTAssertEqual(r.findings("file.unlisted").first?["severity"] as? String, "warning")
    }

    func testMissingFileIsRejected() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        try FileManager.default.removeItem(at: w.url("delivery/recipes/oxide.recipe"))
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.findingCodes, ["file.missing"])
        XCTAssertEqual(r.statuses["recipes/oxide.recipe"], "missing")
    }

    // MARK: signatures and trust

    func testKeyNotInTrustStore() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try w.key("acme")
        let stranger = try w.key("stranger", trusted: false)
        try w.manifest("delivery", keys: [stranger], output: "delivery/delivery.dsse.json")
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.findingCodes.contains("signature.untrusted"), "\(r.findingCodes)")
        XCTAssertTrue(r.findingCodes.contains("manifest.none"), "\(r.findingCodes)")
    }

    func testEmptyTrustStoreRejects() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme", trusted: false)
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.findingCodes.contains("manifest.none"))
    }

    func testNoManifestAtAll() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try w.key("acme")
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.findingCodes, ["manifest.none"])
        XCTAssertEqual(r.statuses["fw/etcher-2.4.bin"], "unlisted")
    }

    /// Edits the statement inside an envelope without re-signing it.
    private func tamperPayload(_ w: Workspace, _ path: String, _ change: (inout [String: Any]) -> Void) throws {
        var envelope = try XCTUnwrap(JSONSerialization.jsonObject(with: w.read(path)) as? [String: Any])
        let payload = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(envelope["payload"] as? String)))
        var statement = try XCTUnwrap(JSONSerialization.jsonObject(with: payload) as? [String: Any])
        change(&statement)
        envelope["payload"] = try JSONSerialization.data(withJSONObject: statement).base64EncodedString()
        try w.write(path, try JSONSerialization.data(withJSONObject: envelope))
    }

    func testTamperedPayloadIsInvalidSignature() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        // The attacker adds their file to the signed list.
        try w.write("delivery/autorun.inf", "evil\n")
        try tamperPayload(w, "delivery/delivery.dsse.json") { statement in
            var subjects = statement["subject"] as? [[String: Any]] ?? []
            subjects.append(["name": "autorun.inf", "digest": ["sha256": String(repeating: "ab", count: 32)]])
            statement["subject"] = subjects
        }
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.findingCodes.contains("signature.invalid"), "\(r.findingCodes)")
        XCTAssertTrue(r.findingCodes.contains("manifest.none"), "\(r.findingCodes)")
    }

    func testChangedPayloadTypeIsInvalidSignature() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        var envelope = try XCTUnwrap(JSONSerialization.jsonObject(with: w.read("delivery/delivery.dsse.json")) as? [String: Any])
        envelope["payloadType"] = "application/vnd.in-toto.other+json"
        try w.write("delivery/delivery.dsse.json", try JSONSerialization.data(withJSONObject: envelope))
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.findingCodes.contains("signature.invalid"), "\(r.findingCodes)")
    }

    func testMalformedManifestInDelivery() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try w.key("acme")
        try w.write("delivery/delivery.dsse.json", "{not json")
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.findingCodes.contains("manifest.malformed"), "\(r.findingCodes)")
    }

    func testThresholdOneKeySigningTwiceIsOneSigner() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let a = try w.key("acme")
        try w.key("qa")
        try w.write("ts/trust.yaml", "threshold: 2\n")
        try w.manifest("delivery", keys: [a, a], output: "delivery/delivery.dsse.json")
        let envelope = try XCTUnwrap(JSONSerialization.jsonObject(with: w.read("delivery/delivery.dsse.json")) as? [String: Any])
        XCTAssertEqual((envelope["signatures"] as? [Any])?.count, 2)
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.findingCodes.contains("signature.threshold"), "\(r.findingCodes)")
    }

    func testThresholdTwoDistinctKeysAccepted() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let a = try w.key("acme")
        let b = try w.key("qa", algorithm: "ecdsa-p256")
        try w.write("ts/trust.yaml", "version: 1\nthreshold: 2\n")
        try w.manifest("delivery", keys: [a, b], output: "delivery/delivery.dsse.json")
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 0, r.stdout)
        let signers = ((r.json["manifests"] as? [[String: Any]])?.first?["signatures"] as? [[String: Any]])?.compactMap { $0["signer"] as? String }
        XCTAssertEqual(signers, ["acme", "qa"])
    }

    func testSameKeyUnderTwoNamesIsOneSigner() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let a = try w.key("acme")
        try FileManager.default.copyItem(at: w.url("ts/keys/acme.pem"), to: w.url("ts/keys/acme-copy.pem"))
        try w.write("ts/trust.yaml", "threshold: 2\n")
        try w.manifest("delivery", keys: [a], output: "delivery/delivery.dsse.json")
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.findingCodes.contains("signature.threshold"), "\(r.findingCodes)")
    }

    /// A signature that verifies with a trusted key which trust.yaml does not let
    /// count for this manifest is shown as such, not as "valid".
    func testSignatureOfAnOutOfScopeKeyIsShownAsNotCounted() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.write("ts/trust.yaml", "signers:\n  - name: acme\n    keys: [acme.pem]\n    products: [etcher-ctrl]\n")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json", extra: ["--product", "other-product"])
        let r = try w.verify(["delivery"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.findingCodes.contains("signature.out-of-scope"), "\(r.findingCodes)")
        let signature = ((r.json["manifests"] as? [[String: Any]])?.first?["signatures"] as? [[String: Any]])?.first
        XCTAssertEqual(signature?["status"] as? String, "not-counted")
    }

    func testSARIFAndHTMLReports() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        try w.write("delivery/<script>alert(1)<\u{2f}script>.txt", "attacker-chosen name\n")
        let sarif = try w.passbox(["verify", "delivery", "--format", "sarif"])
        XCTAssertEqual(sarif.status, 1)
        let log = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(log["version"] as? String, "2.1.0")
        let run = try XCTUnwrap((log["runs"] as? [[String: Any]])?.first)
        let results = try XCTUnwrap(run["results"] as? [[String: Any]])
        XCTAssertEqual(results.first?["ruleId"] as? String, "file.unlisted")
        XCTAssertEqual(results.first?["level"] as? String, "error")
        let uri = ((results.first?["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
            .flatMap { ($0["artifactLocation"] as? [String: Any])?["uri"] as? String }
        XCTAssertEqual(uri, "%3Cscript%3Ealert(1)%3C/script%3E.txt") // a URI reference: percent-encoded
        XCTAssertEqual(((run["tool"] as? [String: Any])?["driver"] as? [String: Any])?["name"] as? String, "passbox")

        let html = try w.passbox(["verify", "delivery", "--format", "html"])
        XCTAssertEqual(html.status, 1)
        XCTAssertTrue(html.stdout.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.stdout.contains("REJECTED"))
        XCTAssertTrue(html.stdout.contains("&lt;script&gt;alert(1)&lt;/script&gt;.txt"), "names from the delivery are escaped")
        XCTAssertFalse(html.stdout.contains("<script>"))
    }

    /// A recipe delivery must not carry programs: files.deny: [executable].
    func testPolicyDeniesExecutables() throws {
        let w = try Workspace()
        try w.write("recipes/oxide.recipe", "recipe: oxide\n")
        try w.write("recipes/tools/setup.sh", "#!/bin/sh\necho hi\n")
        try shell("cp /bin/true recipes/tools/helper && chmod 644 recipes/tools/helper && mkdir delivery && tar czf delivery/recipes.tar.gz recipes", cwd: w.dir)
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        XCTAssertEqual(try w.verify(["delivery"]).status, 0, "the built-in policy does not restrict file types")
        try w.write("policy.yaml", "files:\n  deny: [executable]\n")
        let r = try w.verify(["delivery", "--policy", "policy.yaml"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(Set(r.findings("file.denied-type").compactMap { $0["path"] as? String }),
                       ["recipes.tar.gz!/recipes/tools/setup.sh", "recipes.tar.gz!/recipes/tools/helper"])
        try w.write("policy.yaml", "files:\n  deny: [elf]\n")
        let elf = try w.verify(["delivery", "--policy", "policy.yaml"])
        XCTAssertEqual(elf.findings("file.denied-type").compactMap { $0["path"] as? String }, ["recipes.tar.gz!/recipes/tools/helper"])
    }

    func testEveryKeyAlgorithmSignsAndVerifies() throws {
        for algorithm in ["ed25519", "ecdsa-p256", "rsa-3072"] {
            let w = try Workspace()
            try w.standardDelivery()
            let key = try w.key("k", algorithm: algorithm)
            try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
            let r = try w.verify(["delivery"])
            XCTAssertEqual(r.status, 0, "\(algorithm): \(r.stdout)")
        }
    }

    // MARK: where manifests come from

    func testManifestInManifestsDirectory() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try FileManager.default.createDirectory(at: w.url("registered"), withIntermediateDirectories: true)
        try w.manifest("delivery", keys: [key], output: "registered/acme-2.4.intoto.json")
        // An unrelated manifest for another delivery sits beside it and does not apply.
        try w.write("other/x.bin", "other delivery\n")
        try w.manifest("other", keys: [key], output: "registered/other.dsse.json")
        let r = try w.verify(["delivery", "--manifests", "registered"])
        XCTAssertEqual(r.status, 0, r.stdout)
        let statuses = (r.json["manifests"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }
        XCTAssertEqual(statuses.sorted(), ["not-applicable", "verified"])
    }

    func testManifestGivenExplicitly() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "elsewhere.dsse.json")
        XCTAssertEqual(try w.verify(["delivery"]).status, 1)
        let r = try w.verify(["delivery", "--manifest", "elsewhere.dsse.json"])
        XCTAssertEqual(r.status, 0, r.stdout)
    }

    func testJSONLinesManifest() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "one.dsse.json")
        let line = try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: w.read("one.dsse.json")))
        try w.write("all.intoto.jsonl", "\n" + String(decoding: line, as: UTF8.self) + "\n")
        let r = try w.verify(["delivery", "--manifest", "all.intoto.jsonl"])
        XCTAssertEqual(r.status, 0, r.stdout)
        XCTAssertEqual((r.json["manifests"] as? [[String: Any]])?.first?["path"] as? String, "all.intoto.jsonl#L2")
    }

    // MARK: could not evaluate (exit 2)

    func testMalformedTrustStoreKeyExits2() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try w.write("ts/keys/broken.pem", "-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n")
        let r = try w.passbox(["verify", "delivery"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("broken.pem"), r.stderr)
    }

    func testWeakRSAKeyInTrustStoreExits2() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try shell("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out weak.key 2>/dev/null && openssl pkey -in weak.key -pubout -out ts/keys/weak.pem", cwd: w.dir)
        let r = try w.passbox(["verify", "delivery"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("weak.pem") && r.stderr.contains("2048"), r.stderr)
    }

    func testMalformedTrustYamlExits2() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try w.key("acme")
        try w.write("ts/trust.yaml", "threshhold: 2\n")
        let r = try w.passbox(["verify", "delivery"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("trust.yaml") && r.stderr.contains("threshhold"), r.stderr)
    }

    func testPolicyProblemsExit2() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try w.key("acme")
        for (yaml, word) in [("manifest:\n  unlisted: maybe\n", "unlisted"), ("limits:\n  maxDepht: 3\n", "maxDepht"),
                             ("files:\n  deny: [binaries]\n", "binaries"), ("[1, 2\n", "YAML"),
                             ("limits:\n  maxMemory: 64MiB\n", "maxMemory"), ("limits:\n  maxSeconds: 0\n", "maxSeconds"),
                             ("limits:\n  maxSeconds: soon\n", "maxSeconds"), ("limits:\n  maxSeconds: 1e9\n", "maxSeconds")] {
            try w.write("policy.yaml", yaml)
            let r = try w.passbox(["verify", "delivery", "--policy", "policy.yaml"])
            XCTAssertEqual(r.status, 2, yaml)
            XCTAssertTrue(r.stderr.contains("policy.yaml") && r.stderr.contains(word), r.stderr)
        }
    }

    /// limits.maxMemory caps the process (RLIMIT_DATA): normal work fits under the
    /// lowest cap allowed (the cap stopping a bomb: HostileArchiveTests, bomb-cpio-name).
    func testMaxMemoryLowestCapStillVerifies() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "m.dsse.json")
        try w.write("policy.yaml", "limits:\n  maxMemory: 512MiB\n")
        let r = try w.verify(["delivery", "--manifest", "m.dsse.json", "--policy", "policy.yaml"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
    }

    /// limits.maxSeconds stops the reading as bytes and entries pass: with a budget no
    /// reading can meet, a signed delivery is rejected, and the finding says why; the
    /// same delivery under the default budget is accepted.
    func testMaxSecondsStopsTheReading() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "m.dsse.json")
        XCTAssertEqual(try w.verify(["delivery", "--manifest", "m.dsse.json"]).status, 0)
        try w.write("policy.yaml", "limits:\n  maxSeconds: 0.000001\n")
        let r = try w.verify(["delivery", "--manifest", "m.dsse.json", "--policy", "policy.yaml"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.findingCodes.contains("archive.limit-exceeded"), r.stdout)
        let message = r.findings("archive.limit-exceeded").first?["message"] as? String ?? ""
        XCTAssertTrue(message.contains("limits.maxSeconds"), message)
    }

    /// Found by Fuzz/run.sh policy: Yams' untyped loader force-unwrapped on a mapping
    /// key that is not text (a crash); and YAML aliases can expand without end.
    func testHostilePolicyYAMLExits2() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try w.key("acme")
        for name in ["policy-non-text-mapping-key.yaml", "policy-billion-laughs.yaml"] {
            let policy = fixtureScripts.appendingPathComponent("fuzz-regressions/\(name)").path
            let r = try w.passbox(["verify", "delivery", "--policy", policy])
            XCTAssertEqual(r.status, 2, "\(name): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(name), r.stderr)
            try FileManager.default.copyItem(atPath: policy, toPath: w.url("ts/trust.yaml").path)
            let t = try w.passbox(["verify", "delivery"])
            XCTAssertEqual(t.status, 2, "\(name) as trust.yaml: \(t.stderr)")
            try FileManager.default.removeItem(at: w.url("ts/trust.yaml"))
        }
    }

    func testUnreadablePathAndUsageErrorsExit2() throws {
        let w = try Workspace()
        XCTAssertEqual(try w.passbox(["verify", "does-not-exist"]).status, 2)
        XCTAssertEqual(try w.passbox(["verify"]).status, 2)
        XCTAssertEqual(try w.passbox(["verify", ".", "--format", "yaml"]).status, 2)
        XCTAssertEqual(try w.passbox(["verify", ".", "--at", "yesterday"]).status, 2)
        XCTAssertEqual(try w.passbox(["--help"], trustStore: nil).status, 0)
        // Files that never end are refused, not read: a policy, a manifest, an SBOM.
        XCTAssertEqual(try w.passbox(["verify", ".", "--policy", "/dev/zero"]).status, 2)
        XCTAssertEqual(try w.passbox(["verify", ".", "--manifest", "/dev/zero"]).status, 2)
        XCTAssertEqual(try w.passbox(["sbom", "/dev/zero"], trustStore: nil).status, 2)
    }

    func testMissingTrustStoreExits2() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let r = try w.passbox(["verify", "delivery", "--trust-store", "nowhere"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("nowhere"), r.stderr)
    }

    // MARK: keygen and manifest create

    func testKeygenWritesPrivateKeyWith0600AndNeverOverwrites() throws {
        let w = try Workspace()
        let r = try w.passbox(["keygen", "-o", "station"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let attributes = try FileManager.default.attributesOfItem(atPath: w.url("station.key").path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        XCTAssertTrue(try String(decoding: w.read("station.pem"), as: UTF8.self).contains("BEGIN PUBLIC KEY"))
        XCTAssertEqual(try w.passbox(["keygen", "-o", "station"]).status, 2)
    }
}

/// A JSON report without what differs from run to run (its time and audit record).
private func stable(_ json: String) -> String {
    json.split(separator: "\n", omittingEmptySubsequences: false)
        .filter { !$0.hasPrefix("  \"time\" : ") && !$0.hasPrefix("  \"auditSeq\" : ") }
        .joined(separator: "\n")
}
