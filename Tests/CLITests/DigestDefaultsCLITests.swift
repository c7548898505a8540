import Foundation
import XCTest

/// sha256 by default; other digests only when something asks (docs/usage.md "Digests").
final class DigestDefaultsCLITests: XCTestCase {
    private func algorithms(_ r: RunResult, _ path: String) -> [String] {
        ((r.file(path)?["digests"] as? [String: Any]) ?? [:]).keys.sorted()
    }

    func testSHA256AloneUnlessAsked() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json")
        let plain = try w.verify(["delivery"])
        XCTAssertEqual(plain.status, 0, "\(plain.findingCodes)")
        XCTAssertEqual(algorithms(plain, "fw/etcher-2.4.bin"), ["sha256"])
        // The manifest names sha256 only (manifest create's default).
        let envelope = try XCTUnwrap(try JSONSerialization.jsonObject(with: w.read("delivery/delivery.dsse.json")) as? [String: Any])
        let payload = try XCTUnwrap(Data(base64Encoded: envelope["payload"] as? String ?? ""))
        let statement = try XCTUnwrap(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
        let subjects = try XCTUnwrap(statement["subject"] as? [[String: Any]])
        XCTAssertTrue(subjects.allSatisfy { ($0["digest"] as? [String: String])?.keys.sorted() == ["sha256"] }, "\(subjects)")

        let flag = try w.verify(["delivery", "--digests", "sha512"])
        XCTAssertEqual(algorithms(flag, "fw/etcher-2.4.bin"), ["sha256", "sha512"])
        try w.write("policy.yaml", "digests: [sha384]\n")
        let policy = try w.verify(["delivery", "--policy", "policy.yaml"])
        XCTAssertEqual(policy.status, 0)
        XCTAssertEqual(algorithms(policy, "fw/etcher-2.4.bin"), ["sha256", "sha384"])
        let sha = try shell("sha384sum delivery/fw/etcher-2.4.bin | cut -d' ' -f1", cwd: w.dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual((policy.file("fw/etcher-2.4.bin")?["digests"] as? [String: String])?["sha384"], sha)
    }

    /// A manifest in the root of a tar.gz that names the entries by sha512 alone is read
    /// after the entries went by: passbox reads them again for sha512, and verifies.
    func testManifestNamingEntriesBySHA512AloneGetsASecondPass() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json", extra: ["--digests", "sha512"])
        try shell("tar czf delivery.tar.gz -C delivery .", cwd: w.dir)
        let r = try w.verify(["delivery.tar.gz"])
        XCTAssertEqual(r.status, 0, "\(r.findingCodes) \(r.stdout.prefix(1500))")
        XCTAssertEqual(r.file("fw/etcher-2.4.bin")?["status"] as? String, "verified")
        XCTAssertEqual(algorithms(r, "fw/etcher-2.4.bin"), ["sha256", "sha512"])

        // A changed entry is still caught by its sha512.
        try w.write("delivery/recipes/oxide.recipe", "recipe: oxide\nsteps: 4\n")
        try shell("tar czf changed.tar.gz -C delivery .", cwd: w.dir)
        let changed = try w.verify(["changed.tar.gz"])
        XCTAssertEqual(changed.status, 1)
        XCTAssertEqual(changed.file("recipes/oxide.recipe")?["status"] as? String, "mismatch", "\(changed.findingCodes)")
    }

    /// admit with the default digests: the receipt carries sha256 (and no empty sha512).
    func testAdmitWithDefaultDigests() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json", extra: ["--vendor", "Acme", "--product", "etcher", "--version", "2.4", "--kind", "firmware"])
        try w.key("station", trusted: false)
        try FileManager.default.createDirectory(at: w.url("prod"), withIntermediateDirectories: true)
        let r = try w.passbox(["admit", "delivery", "--to", "prod", "--station-key", "keys/station.key", "--trust-store", "ts"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let receipt = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: w.url("prod").path).first { $0.hasSuffix(".receipt.dsse.json") })
        let envelope = try XCTUnwrap(try JSONSerialization.jsonObject(with: w.read("prod/\(receipt)")) as? [String: Any])
        let payload = try XCTUnwrap(Data(base64Encoded: envelope["payload"] as? String ?? ""))
        let statement = try XCTUnwrap(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
        let subjects = try XCTUnwrap(statement["subject"] as? [[String: Any]])
        XCTAssertFalse(subjects.isEmpty)
        XCTAssertTrue(subjects.allSatisfy { ($0["digest"] as? [String: String])?.keys.sorted() == ["sha256"] }, "\(subjects)")
    }
}
