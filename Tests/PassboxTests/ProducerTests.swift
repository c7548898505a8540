import Attestation
import CryptoIO
import Foundation
@testable import PassboxKit
import Testing

/// `passbox manifest create` never writes a manifest that `passbox verify` would refuse.
@Suite struct ProducerTests {
    @Test func manifestLargerThanVerifyReadsIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("passbox-producer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for i in 0..<20 { try Data("file \(i)\n".utf8).write(to: dir.appendingPathComponent("f\(i).bin")) }
        let key = try PrivateKey.generate(.ed25519)
        let made = try Producer.createManifest(path: dir.path, keys: [key], predicate: nil)
        #expect(made.subjects.count == 20)
        // The same delivery against a bound smaller than its envelope.
        do {
            _ = try Producer.createManifest(path: dir.path, keys: [key], predicate: nil, maxEnvelopeBytes: made.envelope.count)
            Issue.record("an envelope as large as the bound was written")
        } catch let error as EvaluationError {
            #expect(error.message.contains("the manifest of 20 files would be \(made.envelope.count) bytes"), "\(error.message)")
        }
        #expect(maxManifestBytes == 64 << 20)
    }
}
