import Foundation
import Testing

/// Load on loopback (issue 18): the built `passbox serve` on 127.0.0.1, 20 concurrent API
/// verifications of a 100 MiB signed delivery (Benchmarks/kiosk_load.sh makes the
/// station, the delivery and its manifest with the CLI, as the demo does). Every verdict
/// must be right, the server must answer while it scans, and its peak memory must stay
/// under the bound written in docs/kiosk.md ("Load").
@Suite struct LoadTests {
    /// The bounds docs/kiosk.md states. Measured: ~80 MiB peak RSS, answers in well under
    /// a second (docs/benchmarks.md); the bounds leave room for a busy CI machine.
    static let peakRSSBoundMiB = 256
    static let answerBoundMs = 5_000

    @Test(.timeLimit(.minutes(3)))
    func twentyConcurrentVerificationsOfA100MiBDelivery() throws {
        #expect(FileManager.default.isExecutableFile(atPath: BrowserTests.passbox), "build passbox first (swift build --build-tests)")
        let script = repoRoot.appendingPathComponent("Benchmarks/kiosk_load.sh").path
        let started = Date()
        let result = try run(["bash", script, BrowserTests.passbox, "20", "100"])
        let seconds = Date().timeIntervalSince(started)
        #expect(result.status == 0, "\(result.output.suffix(2000))")
        let line = result.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        let load = try #require((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any], "no result line: \(result.output.suffix(2000))")
        print("kiosk load test (\(Int(seconds)) s with setup): \(line)")
        #expect(load["queued"] as? Int == 20, "every verification is queued (the queue holds them all)")
        #expect(load["accepted"] as? Int == 20, "every verdict is accepted")
        #expect((load["other"] as? [Any])?.isEmpty == true)
        let peak = try #require(load["peakRssMiB"] as? Int)
        #expect(peak > 0 && peak <= Self.peakRSSBoundMiB, "server peak RSS \(peak) MiB, bound \(Self.peakRSSBoundMiB) MiB")
        let answered = try #require(load["duringScan"] as? Int)
        #expect(answered >= 1, "the server answered while verifications ran")
        if let worst = load["duringScanMaxMs"] as? Int {
            #expect(worst <= Self.answerBoundMs, "slowest answer while scanning: \(worst) ms, bound \(Self.answerBoundMs) ms")
        }
    }
}
