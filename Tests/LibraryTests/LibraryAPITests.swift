import Attestation
import CryptoIO
import Foundation
import PassboxKit
import Station
import Testing

/// The bundled demo, verified and admitted through the library alone (no CLI): what
/// the kiosk service and any other front end call.
@Suite struct LibraryAPITests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func demoOptions() -> VerifyOptions {
        var options = VerifyOptions(trustStoreDirectory: repo.appendingPathComponent("TrustStore").path)
        options.manifestsDirectory = repo.appendingPathComponent("Manifests").path
        return options
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("passbox-library-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func verifyTheDemoWithProgress() throws {
        let progress = VerificationProgress()
        let report = try Verifier.verify(path: Self.repo.appendingPathComponent("Demo/delivery").path, options: Self.demoOptions(),
                                         progress: progress)
        #expect(report.verdict == .accepted, "\(report.findings)")
        #expect(report.manifests.contains { $0.status == .verified && $0.product == "etcher-ctrl" })
        let seen = progress.snapshot()
        #expect(seen.stage == .done)
        #expect(seen.items >= 7)
        #expect(seen.bytesRead > 0)
    }

    @Test func cancelledVerificationThrows() throws {
        let progress = VerificationProgress()
        progress.cancel()
        #expect(throws: EvaluationError.self) {
            try Verifier.verify(path: Self.repo.appendingPathComponent("Demo/delivery").path, options: Self.demoOptions(), progress: progress)
        }
    }

    @Test func admitTheDemoAndCheckItsReceipt() throws {
        let work = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let production = work.appendingPathComponent("production")
        let state = work.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: production, withIntermediateDirectories: true)
        let stationKey = try PrivateKey.generate(.ed25519)
        let recorder = DecisionRecorder(stateDirectory: state.path, siem: nil, version: passboxVersion)
        let request = AdmitRequest(path: Self.repo.appendingPathComponent("Demo/delivery").path, destination: production.path,
                                   stationKey: stationKey, verify: Self.demoOptions(), recorder: recorder, stateDirectory: state.path)
        let outcome = try Admission.admit(request)
        let folder = try #require(outcome.folder, "\(outcome.report.findings)")
        let receiptPath = try #require(outcome.receipt)
        #expect(folder.hasPrefix("etcher-ctrl-2.4.1-"))
        #expect(outcome.auditSeq == 1)
        #expect(outcome.files >= 5)

        // The receipt verifies with the station's key and names exactly the admitted content.
        let stationTrust = work.appendingPathComponent("station-trust/keys")
        try FileManager.default.createDirectory(at: stationTrust, withIntermediateDirectories: true)
        try Data(try stationKey.publicKey.pem().utf8).write(to: stationTrust.appendingPathComponent("station.pem"))
        let store = try TrustStore.load(directory: stationTrust.deletingLastPathComponent().path)
        let check = try Receipt.verify(try Data(contentsOf: URL(fileURLWithPath: receiptPath)), path: receiptPath, trustStore: store,
                                       content: production.appendingPathComponent(folder).path)
        #expect(check.valid, "\(check.problems)")

        // The audit log holds the decision, and a replay of the same delivery is refused.
        #expect(try recorder.log.verify().records.map(\.command) == ["admit"])
        #expect(throws: StationError.self) { try Admission.admit(request) }
    }
}
