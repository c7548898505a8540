@testable import Attestation
import CryptoIO
import Foundation
import Testing

@Suite struct DSSETests {
    @Test func paeMatchesTheSpecExample() {
        // From the DSSE v1 protocol document.
        let pae = preAuthenticationEncoding(payloadType: "http://example.com/HelloWorld", payload: Array("hello world".utf8))
        #expect(String(decoding: pae, as: UTF8.self) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
    }

    @Test func paeCountsBytesNotCharacters() {
        let pae = preAuthenticationEncoding(payloadType: "t", payload: Array("é".utf8))
        #expect(String(decoding: pae, as: UTF8.self) == "DSSEv1 1 t 2 é")
    }

    /// The table decoder agrees with Foundation's (after mapping the URL-safe alphabet
    /// and adding padding) on every short string over an alphabet with the edge cases,
    /// except that it is stricter about "=": only as the last quantum's padding
    /// (Foundation also takes "AA=A" and "====").
    @Test func base64AgreesWithFoundation() {
        func reference(_ text: String) -> [UInt8]? {
            var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            let remainder = s.utf8.count % 4
            if remainder == 1 { return nil }
            if remainder > 0 { s += String(repeating: "=", count: 4 - remainder) }
            return Data(base64Encoded: s).map { [UInt8]($0) }
        }
        let alphabet = Array("AQw+/-_=.")
        var checked = 0
        func all(_ prefix: String, _ depth: Int) {
            let decoded = decodeBase64(prefix)
            if !prefix.contains("=") {
                #expect(decoded == reference(prefix), "\(prefix)")
            } else if let decoded {
                #expect(decoded == reference(prefix), "\(prefix)")
                #expect(!prefix.drop { $0 != "=" }.contains { $0 != "=" }, "\(prefix): '=' inside")
            }
            checked += 1
            guard depth > 0 else { return }
            for c in alphabet { all(prefix + String(c), depth - 1) }
        }
        all("", 5)
        #expect(checked > 60_000)
        let long = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(decodeBase64(Data(long).base64EncodedString()) == long)
        #expect(decodeBase64("AA=A") == nil && decodeBase64("====") == nil && decodeBase64("QQ==") == [0x41])
    }

    @Test func base64AcceptsStandardAndURLSafe() {
        #expect(decodeBase64("+/8=") == [0xfb, 0xff])
        #expect(decodeBase64("-_8") == [0xfb, 0xff])
        #expect(decodeBase64("not base64!") == nil)
    }

    @Test func signedEnvelopeVerifiesAndTamperingFails() throws {
        let key = try PrivateKey.generate(.ed25519)
        let store = TrustStore(directory: "mem", keys: [TrustedKey(name: "k", file: "mem", key: key.publicKey)])
        let statement = #"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"\#(String(repeating: "0", count: 64))"}}],"predicateType":"x"}"#
        let envelope = try signEnvelope(payloadType: inTotoPayloadType, payload: Array(statement.utf8), keys: [key])
        let data = try JSONEncoder().encode(envelope)
        let verifier = ManifestVerifier(trustStore: store)
        let good = verifier.check(UnverifiedManifest(path: "m", origin: .explicit, bytes: data))
        #expect(good.verified?.statement.subjects.first?.name == "a")
        var tampered = envelope
        tampered.payload = Data(statement.replacingOccurrences(of: "\"a\"", with: "\"b\"").utf8).base64EncodedString()
        let bad = verifier.check(UnverifiedManifest(path: "m", origin: .explicit, bytes: try JSONEncoder().encode(tampered)))
        #expect(bad.verified == nil)
        #expect(bad.problems.contains { if case .invalidSignature = $0 { true } else { false } })
    }

    @Test func payloadIsNotParsedBeforeTheSignatureVerifies() throws {
        // Garbage payload with an untrusted signature: reported as untrusted, never as malformed.
        let key = try PrivateKey.generate(.ed25519)
        let envelope = try signEnvelope(payloadType: inTotoPayloadType, payload: Array("{garbage".utf8), keys: [key])
        let verifier = ManifestVerifier(trustStore: TrustStore(directory: "mem", keys: []))
        let check = verifier.check(UnverifiedManifest(path: "m", origin: .explicit, bytes: try JSONEncoder().encode(envelope)))
        #expect(check.problems.allSatisfy { if case .untrusted = $0 { true } else { false } })
    }

    @Test func statementRejectsWeakOrMalformedDigests() {
        func parse(_ digest: String) throws -> Statement {
            try Statement.parse(Array(#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":\#(digest)}]}"#.utf8))
        }
        #expect(throws: ManifestError.self) { try parse(#"{"md5":"d41d8cd98f00b204e9800998ecf8427e"}"#) }
        #expect(throws: ManifestError.self) { try parse(#"{"sha256":"xyz"}"#) }
        #expect(throws: ManifestError.self) { try parse(#"{}"#) }
        #expect((try? parse(#"{"sha256":"\#(String(repeating: "A", count: 64))","gitCommit":"abc"}"#))?.subjects.first?.digests[.sha256] == String(repeating: "a", count: 64))
        // Two spellings of one algorithm: they must agree.
        let a = String(repeating: "a", count: 64), b = String(repeating: "b", count: 64)
        #expect(throws: ManifestError.self) { try parse(#"{"sha256":"\#(a)","SHA256":"\#(b)"}"#) }
        #expect((try? parse(#"{"sha256":"\#(a)","SHA256":"\#(a.uppercased())"}"#))?.subjects.first?.digests == [.sha256: a])
        // DigestSet values are strings.
        #expect(throws: (any Error).self) { try parse(#"{"sha256":"\#(a)","size":12}"#) }
    }

    @Test func subjectNamesNormaliseAsBefore() {
        func reference(_ name: String) -> String {
            name.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }.joined(separator: "/")
        }
        let parts = ["a", ".", "..", "", ".x", "b.bin", "...", "名"]
        for x in parts { for y in parts { for z in parts {
            for name in [x, x + "/" + y, x + "/" + y + "/" + z, "/" + x + "/" + y, x + "/" + y + "/"] {
                #expect(normalizeSubjectName(name) == reference(name), "\(name)")
            }
        }}}
    }

    @Test func distinctSignersCountsKeysOnce() throws {
        let key = try PrivateKey.generate(.ed25519)
        let trusted = TrustedKey(name: "k", file: "f", key: key.publicKey)
        let checks = [SignatureCheck(keyid: "1", status: .valid, signer: trusted),
                      SignatureCheck(keyid: "2", status: .valid, signer: trusted),
                      SignatureCheck(keyid: nil, status: .untrusted, signer: nil)]
        #expect(distinctSigners(checks).count == 1)
    }
}
