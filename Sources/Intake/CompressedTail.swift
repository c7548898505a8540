import ArchiveIO

extension IntakeRun {
    /// Reads a gzip stream on past the end of the archive inside it, to its last
    /// trailer: libarchive stops at the archive's end marker, and ISA-L checks a
    /// member's CRC32 and ISIZE only when it reaches them (a damaged end of the stream
    /// is `archive.corrupt`, thrown as the `ArchiveError` it is). What comes out there
    /// (tar's zero padding, or anything a stream hides after its archive) counts like
    /// every inflated byte: against `limits.maxTotalBytes`, the archive's ratio (and its
    /// parents'), and `limits.maxSeconds`.
    func readCompressedTail(_ decompressor: Decompressor, frame: Frame, path: String) throws {
        guard decompressor.readsGzip else { return }
        while case let bytes = try decompressor.read(), bytes.count > 0 {
            let n = Int64(bytes.count)
            budget.add(n)
            try budget.chargeTotal(path)
            try chargeArchives(n, from: frame)
        }
    }

    /// `n` bytes came out of the archive of `frame`: each enclosing archive's ratio
    /// (all bytes out of it, nested ones included, against its own packed size).
    func chargeArchives(_ n: Int64, from frame: Frame?) throws {
        var level: Frame? = frame
        while let f = level {
            f.out += n
            if f.out > limits.ratioFloorBytes, Double(f.out) > limits.maxRatio * Double(max(f.input.packed, 1)) {
                throw limitExceeded(items[f.item].path, "archive expands more than \(limits.maxRatio)x (limits.maxRatio)")
            }
            level = f.parent
        }
    }
}
