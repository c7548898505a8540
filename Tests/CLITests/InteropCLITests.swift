import Foundation
import XCTest

/// passbox against a second DSSE implementation: PAE built by hand in
/// Tests/Fixtures/dsse_openssl.py, signatures made and checked by `openssl`.
final class InteropCLITests: XCTestCase {
    private let script = fixtureScripts.appendingPathComponent("dsse_openssl.py").path

    /// openssl key generation for each algorithm the other implementation uses.
    private func opensslKey(_ w: Workspace, _ name: String, _ alg: String) throws {
        let gen: String
        switch alg {
        case "ed25519": gen = "openssl genpkey -algorithm ed25519"
        case "ecdsa-sha256": gen = "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256"
        case "ecdsa-sha384": gen = "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384"
        default: gen = "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
        }
        try shell("\(gen) -out keys/\(name).key 2>/dev/null && openssl pkey -in keys/\(name).key -pubout -out ts/keys/\(name).pem", cwd: w.dir)
    }

    /// A statement written by hand (not by passbox) for the standard delivery.
    private func handWrittenStatement(_ w: Workspace) throws {
        try shell("""
            python3 - <<'PY'
            import hashlib, json
            names = ["fw/etcher-2.4.bin", "recipes/oxide.recipe", "README.txt"]
            subjects = [{"name": n, "digest": {"sha256": hashlib.sha256(open("delivery/" + n, "rb").read()).hexdigest()}} for n in names]
            json.dump({"_type": "https://in-toto.io/Statement/v1", "subject": subjects,
                       "predicateType": "https://example.com/some-other-predicate/v1", "predicate": {"note": "any predicate is fine"}},
                      open("statement.json", "w"))
            PY
            """, cwd: w.dir)
    }

    func testEnvelopeFromAnotherImplementationVerifies() throws {
        for alg in ["ed25519", "ecdsa-sha256", "ecdsa-sha384", "rsa-pss-sha256", "rsa-pkcs1-sha512"] {
            let w = try Workspace()
            try w.standardDelivery()
            try opensslKey(w, "vendor", alg)
            try handWrittenStatement(w)
            try shell("python3 '\(script)' sign --key keys/vendor.key --alg \(alg) --payload statement.json --out other.dsse.json", cwd: w.dir)
            let r = try w.verify(["delivery", "--manifest", "other.dsse.json"])
            XCTAssertEqual(r.status, 0, "\(alg): \(r.stdout)")
            XCTAssertEqual(r.statuses["fw/etcher-2.4.bin"], "verified", alg)

            // Changing one byte of the signed statement breaks it.
            try shell("sed -i 's/oxide/oxidE/' statement.json && python3 '\(script)' sign --key keys/vendor.key --alg \(alg) --payload statement.json --out resigned.dsse.json", cwd: w.dir)
            var envelope = try XCTUnwrap(JSONSerialization.jsonObject(with: w.read("other.dsse.json")) as? [String: Any])
            let resigned = try XCTUnwrap(JSONSerialization.jsonObject(with: w.read("resigned.dsse.json")) as? [String: Any])
            envelope["payload"] = resigned["payload"] // new payload, old signature
            try w.write("spliced.dsse.json", try JSONSerialization.data(withJSONObject: envelope))
            let bad = try w.verify(["delivery", "--manifest", "spliced.dsse.json"])
            XCTAssertEqual(bad.status, 1, alg)
            XCTAssertTrue(bad.findingCodes.contains("manifest.none"), "\(alg): \(bad.findingCodes)")
        }
    }

    func testEnvelopeFromPassboxVerifiesWithOpenSSL() throws {
        for (algorithm, alg) in [("ed25519", "ed25519"), ("ecdsa-p256", "ecdsa-sha256"), ("rsa-3072", "rsa-pss-sha256")] {
            let w = try Workspace()
            try w.standardDelivery()
            let key = try w.key("station", algorithm: algorithm)
            try w.manifest("delivery", keys: [key], output: "m.dsse.json")
            let ok = try runProcess(["python3", script, "verify", "--pub", "keys/station.pem", "--alg", alg, "--envelope", "m.dsse.json"], cwd: w.dir)
            XCTAssertEqual(ok.status, 0, "\(algorithm): \(ok.stderr)")
            // And the in-toto statement inside is what any consumer expects.
            let envelope = try XCTUnwrap(JSONSerialization.jsonObject(with: w.read("m.dsse.json")) as? [String: Any])
            XCTAssertEqual(envelope["payloadType"] as? String, "application/vnd.in-toto+json")
            let payload = try XCTUnwrap(Data(base64Encoded: envelope["payload"] as? String ?? ""))
            let statement = try XCTUnwrap(JSONSerialization.jsonObject(with: payload) as? [String: Any])
            XCTAssertEqual(statement["_type"] as? String, "https://in-toto.io/Statement/v1")
            // A wrong public key does not verify it.
            try w.key("other", algorithm: algorithm, trusted: false)
            let wrong = try runProcess(["python3", script, "verify", "--pub", "keys/other.pem", "--alg", alg, "--envelope", "m.dsse.json"], cwd: w.dir)
            XCTAssertEqual(wrong.status, 1, algorithm)
        }
    }

    func testKeyidIsOnlyAHint() throws {
        let w = try Workspace()
        try w.standardDelivery()
        try opensslKey(w, "vendor", "ed25519")
        try opensslKey(w, "other", "ed25519")
        try handWrittenStatement(w)
        // Signed by "vendor" but claiming to be "other": still verifies, as vendor.
        try shell("python3 '\(script)' sign --key keys/vendor.key --alg ed25519 --keyid other --payload statement.json --out m.dsse.json", cwd: w.dir)
        let r = try w.verify(["delivery", "--manifest", "m.dsse.json"])
        XCTAssertEqual(r.status, 0, r.stdout)
        let signer = ((r.json["manifests"] as? [[String: Any]])?.first?["signatures"] as? [[String: Any]])?.first?["signer"] as? String
        XCTAssertEqual(signer, "vendor")
    }
}
