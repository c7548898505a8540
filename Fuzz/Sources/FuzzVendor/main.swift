// Vendor formats: checksum lists, and detached signatures of every kind (minisign,
// signify, OpenPGP packets, CMS/PKCS#7, raw) told apart by content, plus the key
// file parsers. The first byte chooses what the rest is fed to.
import Attestation
import Foundation
import FuzzSupport

nonisolated(unsafe) let verifier = DetachedSignatureVerifier(trust: VendorTrust(), time: Date(timeIntervalSince1970: 1_800_000_000))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVendor(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    guard let selector = input.first else { return 0 }
    let body = Data(input.dropFirst())
    let signedContent = Data("3b4c2a  fw.bin\n".utf8) // the bytes the signatures claim to sign
    switch selector % 4 {
    case 0: _ = try? ChecksumList.parse(body)
    case 1: _ = try? verifier.check(signature: body, content: signedContent)
    case 2: _ = try? OpenPGPCertificate.parseAll(body)
    default: _ = try? Ed25519KeyFile.parse(body)
    }
    return 0
}

runFuzzer(fuzzVendor)
