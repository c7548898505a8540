// DSSE envelopes and in-toto statements. The first byte chooses: even → the whole
// envelope check against a trust store of two keys; odd → the statement parser
// directly (the fuzzer cannot forge signatures, so it would never reach it otherwise).
import Attestation
import CryptoIO
import Foundation
import FuzzSupport

// Keys are generated once per process (the DSSEv1 PAE signing path is exercised too).
nonisolated(unsafe) let signingKey = try? PrivateKey.generate(.ed25519)
nonisolated(unsafe) let verifier: ManifestVerifier? = signingKey.map { key in
    ManifestVerifier(trustStore: TrustStore(directory: "fuzz", keys: [
        TrustedKey(name: "fuzz", file: "fuzz", key: key.publicKey),
    ]))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    guard let selector = input.first, let verifier, let signingKey else { return 0 }
    let body = Array(input.dropFirst())
    if selector & 1 == 0 {
        _ = verifier.check(UnverifiedManifest(path: "fuzz.dsse.json", origin: .explicit, bytes: Data(body)))
        _ = manifests(in: Data(body), path: "fuzz.intoto.jsonl", origin: .registered)
    } else {
        // Differential: what passbox's reader accepts, Foundation's reads the same.
        if let ours = try? Statement.parse(body) {
            let theirs = try? Statement.parseWithFoundation(body)
            precondition(theirs.map { ours.type == $0.type && ours.subjects == $0.subjects && ours.predicateType == $0.predicateType
                && ours.delivery == $0.delivery } == true, "passbox's statement reader and Foundation's disagree")
        }
        // The same bytes, properly signed: the full path from envelope to statement.
        if let envelope = try? signEnvelope(payloadType: inTotoPayloadType, payload: body, keys: [signingKey]),
           let encoded = try? JSONEncoder().encode(envelope) {
            let check = verifier.check(UnverifiedManifest(path: "signed.dsse.json", origin: .explicit, bytes: encoded))
            precondition(check.signatures.first?.status == .valid, "a fresh signature did not verify")
        }
    }
    return 0
}

runFuzzer(fuzzManifest)
