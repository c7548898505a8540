// Intake on arbitrary bytes: sniffing, every libarchive format and filter, nested
// archives, gzip through ISA-L (CRC32, ISIZE, members), the zip central-directory
// checks, the ISO length check, the limits.
import FuzzSupport
import Intake

Intake.configureLocale()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIntake(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var options = IntakeOptions()
    // Small limits so that each input is quick; the limit code paths still run.
    options.limits.maxTotalBytes = 4 << 20
    options.limits.ratioFloorBytes = 1 << 20
    options.limits.maxEntries = 10_000
    // No worker pool per input: one input costs little more than reading it.
    options.hashOnCallingThread = true
    let inventory = Intake.run(bytes: bytes(data, size), name: "input", options: options)
    // Invariants: an item read to its end has its digests; paths are never empty.
    for item in inventory.items {
        precondition(!item.path.isEmpty, "empty item path")
        if item.complete && (item.kind == .regular || item.kind == .archive) {
            precondition(item.digests.sha256 != nil, "complete item without its sha256")
        }
    }
    return 0
}

runFuzzer(fuzzIntake)
