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

    /// The payload decoded into the tail of the PAE is the same PAE and payload as the
    /// two made separately, for every length remainder and both alphabets.
    @Test func payloadDecodedIntoThePAE() throws {
        for length in 0..<40 {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 13) }
            let standard = Data(payload).base64EncodedString()
            let urlSafe = standard.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            for text in [standard, urlSafe] {
                let envelope = DSSEEnvelope(payloadType: "application/vnd.in-toto+json", payload: text, signatures: [])
                let (pae, start) = try envelope.authenticatedBytes()
                #expect(pae == preAuthenticationEncoding(payloadType: envelope.payloadType, payload: payload), "\(text)")
                #expect(Array(pae[start...]) == payload)
            }
        }
        let broken = DSSEEnvelope(payloadType: "t", payload: "QQ=A", signatures: [])
        #expect(throws: ManifestError.self) { try broken.authenticatedBytes() }
    }

    /// The envelope file read for verification: the payload decoded from where it
    /// lies in the file, or, when its JSON string has escapes (`\/`, as PHP writes
    /// it), from the decoded text; the same PAE either way. Keys in any order,
    /// unknown keys passed over; a key twice, a missing key or trailing data refused.
    @Test func envelopeFileReadForVerification() throws {
        let payload = Array(#"{"_type":"https://in-toto.io/Statement/v1","subject":[]}"#.utf8) + [0xfb, 0xff, 0xfe]
        let text = Data(payload).base64EncodedString()
        #expect(text.contains("/"))
        let type = "application/vnd.in-toto+json"
        let expected = preAuthenticationEncoding(payloadType: type, payload: payload)
        let plain = #"{"signatures":[{"keyid":null,"sig":"c2ln","x":[1,{"y":2}]}],"payloadType":"\#(type)","payload":"\#(text)","extra":true}"#
        let escapedText = text.replacingOccurrences(of: "/", with: "\\/")
        let escaped = #"{"payloadType":"\#(type)","payload":"\#(escapedText)","signatures":[{"keyid":"k1","sig":"c2ln"}]}"#
        for json in [plain, escaped] {
            let envelope = try DSSEEnvelope.authenticated(Data(json.utf8))
            #expect(envelope.pae == expected)
            #expect(Array(envelope.pae[envelope.payloadStart...]) == payload)
            #expect(envelope.payloadType == type && envelope.signatures.count == 1 && envelope.signatures[0].sig == "c2ln")
        }
        let refused: [(String, String)] = [
            (#"{"payloadType":"t","payload":"QQ==","payload":"QQ==","signatures":[{"sig":"c2ln"}]}"#, "twice"),
            (#"{"payloadType":"t","signatures":[{"sig":"c2ln"}]}"#, "missing key 'payload'"),
            (#"{"payloadType":"t","payload":"QQ==","signatures":[]}"#, "no signatures"),
            (#"{"payloadType":"t","payload":"QQ==","signatures":[{"keyid":"k"}]}"#, "missing key 'sig'"),
            (#"{"payloadType":"t","payload":"QQ==","signatures":[{"sig":"c2ln"}]} x"#, "data after the envelope"),
            (#"{"payloadType":"t","payload":"Q Q==","signatures":[{"sig":"c2ln"}]}"#, "not base64"),
            (#"{"payloadType":1,"payload":"QQ==","signatures":[{"sig":"c2ln"}]}"#, "wrong type at .payloadType"),
        ]
        for (json, message) in refused {
            #expect(throws: ManifestError.self, "\(json)") { try DSSEEnvelope.authenticated(Data(json.utf8)) }
            do {
                _ = try DSSEEnvelope.authenticated(Data(json.utf8))
            } catch let error as ManifestError {
                #expect(error.message.contains(message), "\(json): \(error)")
            }
        }
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

/// passbox's statement reader against Foundation's JSONDecoder (the reader it replaced).
@Suite struct StatementReaderTests {
    static func same(_ a: Statement, _ b: Statement) -> Bool {
        a.type == b.type && a.subjects == b.subjects && a.predicateType == b.predicateType && a.delivery == b.delivery
    }

    static let digest = String(repeating: "ab", count: 32)
    static let statements: [String] = [
        #"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"fw/a.bin","digest":{"sha256":"\#(digest)"}}]}"#,
        // Whitespace, unknown keys of every JSON type, keys in any order, a null predicate type.
        " \n{ \"subject\" : [ { \"uri\": \"x\", \"digest\" : { \"SHA256\" : \"\(digest.uppercased())\", \"gitCommit\": \"abc\" }, \"name\" : \"./a//b\", \"annotations\": {\"n\": [1, -2.5e+3, 0.0, true, false, null, {\"k\": []}]} } ],\r\n \"predicateType\": null, \"_type\": \"https://in-toto.io/Statement/v0.1\" }\t",
        // Escapes and non-ASCII names.
        #"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"d\u00e9j\u00E0/\ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t.bin","digest":{"sha256":"\#(digest)"}},{"name":"名前.bin","digest":{"sha512":"\#(digest + digest)"}}]}"#,
        // passbox's delivery predicate, before and after predicateType.
        #"{"_type":"https://in-toto.io/Statement/v1","predicate":{"vendor":"ACME","version":"1.2","sbom":[{"name":"s.json","digest":{"sha256":"\#(digest)"}}]},"predicateType":"https://passbox.dev/attestation/delivery/v1","subject":[{"name":"a","digest":{"sha256":"\#(digest)"}}]}"#,
        #"{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"x":[{"y":1}]}},"subject":[{"name":"a","digest":{"sha256":"\#(digest)"}}]}"#,
        #"{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://passbox.dev/attestation/delivery/v1","predicate":null,"subject":[{"name":"a","digest":{"sha256":"\#(digest)"}}]}"#,
    ]

    @Test(arguments: statements)
    func readsWhatFoundationReads(_ text: String) throws {
        let bytes = Array(text.utf8)
        let ours = try Statement.parse(bytes)
        let theirs = try Statement.parseWithFoundation(bytes)
        #expect(Self.same(ours, theirs))
    }

    @Test(arguments: [
        "", "null", "[]", #"{"_type":"https://in-toto.io/Statement/v1"}"#,
        #"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"\#(digest)"}}]} x"#,
        #"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"\#(digest)"}}],}"#,
        #"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"\#(digest)"}},]}"#,
        #"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a\ud800","digest":{"sha256":"\#(digest)"}}]}"#,
        #"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"\#(digest)"}}],"x":01}"#,
        #"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"\#(digest)"}}],"x":[1,]}"#,
        // Repeated keys: which would count? (JSONDecoder picks one.)
        #"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"\#(digest)"}}],"subject":[]}"#,
        #"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","name":"b","digest":{"sha256":"\#(digest)"}}]}"#,
        #"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"\#(digest)","sha256":"\#(digest)"}}]}"#,
        String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ])
    func rejects(_ text: String) {
        #expect(throws: ManifestError.self) { try Statement.parse(Array(text.utf8)) }
    }

    /// Repeats are found in objects of many keys too (past the short list).
    @Test func repeatedKeyAmongManyIsRejected() throws {
        func statement(_ keys: [String]) -> [UInt8] {
            let extra = keys.map { "\"\($0)\":1" }.joined(separator: ",")
            return Array(#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"\#(Self.digest)"}}],\#(extra)}"#.utf8)
        }
        let distinct = (0..<40).map { "k\($0)" }
        _ = try Statement.parse(statement(distinct))
        #expect(throws: ManifestError.self) { try Statement.parse(statement(distinct + ["k3"])) }
        #expect(throws: ManifestError.self) { try Statement.parse(statement(distinct + ["k30"])) }
    }

    @Test func invalidUTF8IsRejected() {
        var bytes = Array(#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a?","digest":{"sha256":"\#(Self.digest)"}}]}"#.utf8)
        bytes[bytes.firstIndex(of: UInt8(ascii: "?"))!] = 0xff
        #expect(throws: ManifestError.self) { try Statement.parse(bytes) }
    }

    /// Random damage to valid statements: whatever passbox's reader accepts, Foundation's
    /// accepts too, with the same result (it may reject more, never accept other things).
    @Test func damagedStatementsNeverReadDifferently() {
        var seed: UInt64 = 0x2545_f491_4f6c_dd1d
        func next() -> Int {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
            return Int(truncatingIfNeeded: seed & 0x7fff_ffff)
        }
        let alphabet = Array("{}[]\",:\\u0aA-+.eE \n".utf8) + [0xc3, 0xa9, 0xff]
        var acceptedByBoth = 0
        for round in 0..<4000 {
            var bytes = Array(Self.statements[round % Self.statements.count].utf8)
            for _ in 0...(next() % 3) {
                let at = next() % (bytes.count + 1)
                switch next() % 3 {
                case 0 where at < bytes.count: bytes[at] = alphabet[next() % alphabet.count]
                case 1 where at < bytes.count: bytes.remove(at: at)
                default: bytes.insert(alphabet[next() % alphabet.count], at: at)
                }
            }
            guard let ours = try? Statement.parse(bytes) else { continue }
            let theirs = try? Statement.parseWithFoundation(bytes)
            #expect(theirs.map { Self.same(ours, $0) } == true, "\(String(decoding: bytes, as: UTF8.self))")
            acceptedByBoth += 1
        }
        #expect(acceptedByBoth > 100)
    }
}
