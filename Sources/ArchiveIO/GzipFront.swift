import InflateIO

/// What `Decompressor`'s libarchive reader pulls: the input itself, or, when the
/// input starts as gzip (1f 8b 08), the input inflated by ISA-L (`GzipStream`), at
/// about twice zlib's speed and with every member's CRC32 and ISIZE checked (libarchive
/// 3.6 checks neither). libarchive then sees the inflated bytes and stacks its own
/// filters on them only if they are compressed again (a .gz inside the .gz).
final class GzipFront: ArchiveInput {
    private let input: any ArchiveInput
    private enum Source { case undecided, plain, gzip(GzipStream) }
    private var source = Source.undecided

    init(_ input: any ArchiveInput) { self.input = input }

    /// The ISA-L stream, once the input turned out to be gzip.
    var gzip: GzipStream? {
        if case .gzip(let stream) = source { return stream }
        return nil
    }

    func read() throws -> UnsafeRawBufferPointer {
        switch source {
        case .plain:
            return try input.read()
        case .gzip(let stream):
            return try inflated(stream)
        case .undecided:
            let first = try input.read()
            // The first buffer holds the sniffed head (at least 10 bytes for gzip); a
            // shorter one is left to libarchive's own gzip filter.
            guard first.count >= 3, first[0] == 0x1f, first[1] == 0x8b, first[2] == 8 else {
                source = .plain
                return first
            }
            let stream = GzipStream(first: first) { [input] in try input.read() }
            source = .gzip(stream)
            return try inflated(stream)
        }
    }

    /// A damaged gzip stream is a corrupt archive; the input's own errors pass unchanged.
    private func inflated(_ stream: GzipStream) throws -> UnsafeRawBufferPointer {
        do {
            return try stream.read()
        } catch let error as GzipError {
            throw ArchiveError(.corrupt, error.message, wholeStream: true)
        }
    }

    var isSeekable: Bool { false }

    func seek(offset: Int64, whence: Int32) throws -> Int64 {
        throw ArchiveError(.input, "a decompressed stream cannot seek")
    }
}
