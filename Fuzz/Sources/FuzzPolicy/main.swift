// The YAML the station reads: policy files and trust.yaml.
import Attestation
import Foundation
import FuzzSupport
import PassboxKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPolicy(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Data(bytes(data, size))
    _ = try? Policy.parse(input, file: "fuzz-policy.yaml")
    _ = try? parseTrustConfig(input, file: "fuzz-trust.yaml")
    return 0
}

runFuzzer(fuzzPolicy)
