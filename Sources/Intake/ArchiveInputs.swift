import ArchiveIO
import CryptoIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Feeds an archive reader the pieces already read, then the rest of a stream.
final class StreamInput: CountingInput {
    /// The pieces read before, each in its own buffer, freed once the reader asked
    /// for the next one (it is done with a buffer when it reads again).
    private var prefix: [UnsafeMutableRawBufferPointer] = []
    private var next = 0
    let rest: any ByteStream
    private(set) var delivered: Int64 = 0

    /// Bytes at the end of the stream kept for the zip check (0: none).
    private let keepTail: Int
    private var tail: [[UInt8]] = []
    private var tailBytes = 0

    convenience init(prefix: [UInt8], rest: any ByteStream, keepTail: Int) {
        var pieces = [prefix]
        self.init(pieces: &pieces, rest: rest, keepTail: keepTail)
    }

    /// Takes the pieces (`pieces` is left empty).
    init(pieces: inout [[UInt8]], rest: any ByteStream, keepTail: Int) {
        self.keepTail = keepTail
        self.rest = rest
        for i in pieces.indices where !pieces[i].isEmpty {
            let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: pieces[i].count, alignment: 16)
            pieces[i].withUnsafeBytes { storage.copyMemory(from: $0) }
            pieces[i] = []
            prefix.append(storage)
        }
        pieces = []
    }

    deinit { for piece in prefix[max(0, next - 1)...] { piece.deallocate() } }
    var packed: Int64 { delivered }
    var length: Int64 { delivered }

    var isSeekable: Bool { false }
    func seek(offset: Int64, whence: Int32) throws -> Int64 { throw ArchiveError(.input, "not seekable") }

    /// The next piece read before, freeing the one handed out last.
    private func nextPiece() -> UnsafeRawBufferPointer? {
        if next > 0 && next <= prefix.count { prefix[next - 1].deallocate() }
        guard next < prefix.count else {
            next = prefix.count + 1
            return nil
        }
        next += 1
        return UnsafeRawBufferPointer(prefix[next - 1])
    }

    func read() throws -> UnsafeRawBufferPointer {
        if next <= prefix.count, let bytes = nextPiece() {
            passed(bytes)
            return bytes
        }
        do {
            guard let bytes = try rest.next() else { return UnsafeRawBufferPointer(start: nil, count: 0) }
            passed(bytes)
            return bytes
        } catch let error as IntakeStop {
            throw error
        } catch {
            throw UpstreamError(underlying: error)
        }
    }

    private func passed(_ bytes: UnsafeRawBufferPointer) {
        delivered += Int64(bytes.count)
        guard keepTail > 0, bytes.count > 0 else { return }
        tail.append(Array(bytes))
        tailBytes += bytes.count
        while let first = tail.first, tailBytes - first.count >= keepTail {
            tail.removeFirst()
            tailBytes -= first.count
        }
    }

    func drain() throws {
        while next <= prefix.count, let bytes = nextPiece() { passed(bytes) }
        while let bytes = try rest.next() { passed(bytes) }
    }

    /// Only the kept tail can be read: enough for the central directory, not the local headers.
    func zipAccess() -> (length: UInt64, read: ZipDirectory.Reader, localHeaders: Bool)? {
        guard keepTail > 0 else { return nil }
        let kept = tail.flatMap { $0 }
        let start = UInt64(delivered) - UInt64(kept.count)
        return (UInt64(delivered), { offset, count in
            guard offset >= start, count >= 0, offset - start + UInt64(count) <= UInt64(kept.count) else { return nil }
            let from = Int(offset - start)
            return Array(kept[from..<(from + count)])
        }, false)
    }
}

/// A nested zip or 7z held in memory, so the reader can seek.
final class MemoryInput: CountingInput {
    private let data: UnsafeMutableRawBufferPointer
    private var position = 0
    private(set) var delivered: Int64 = 0
    private(set) var packed: Int64 = 0
    var length: Int64 { Int64(count) }

    /// Takes the pieces into one buffer, freeing each as it is copied (`pieces` is left empty).
    init(pieces: inout [[UInt8]], total: Int) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(total, 1), alignment: 16)
        var at = 0
        for i in pieces.indices {
            pieces[i].withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: storage[at..<(at + $0.count)]).copyMemory(from: $0) }
            at += pieces[i].count
            pieces[i] = []
        }
        pieces = []
        data = storage
        count = at
    }
    private let count: Int
    deinit { data.deallocate() }

    var isSeekable: Bool { true }

    func read() throws -> UnsafeRawBufferPointer {
        let n = min(1 << 20, count - position)
        guard n > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let start = position
        position += n
        delivered += Int64(n)
        packed = max(packed, Int64(position))
        return UnsafeRawBufferPointer(rebasing: data[start..<(start + n)])
    }

    func seek(offset: Int64, whence: Int32) throws -> Int64 {
        let base: Int64
        switch whence {
        case SEEK_SET: base = 0
        case SEEK_CUR: base = Int64(position)
        case SEEK_END: base = Int64(count)
        default: throw ArchiveError(.input, "bad whence")
        }
        let target = base + offset
        guard target >= 0, target <= Int64(count) else { throw ArchiveError(.corrupt, "seek outside the archive") }
        position = Int(target)
        return target
    }

    func drain() throws {}

    func zipAccess() -> (length: UInt64, read: ZipDirectory.Reader, localHeaders: Bool)? {
        (UInt64(count), { [data, count] offset, wanted in
            guard wanted >= 0, offset <= UInt64(count), UInt64(wanted) <= UInt64(count) - offset else { return nil }
            return Array(UnsafeRawBufferPointer(rebasing: data[Int(offset)..<(Int(offset) + wanted)]))
        }, true)
    }
}

/// A zip or 7z on the medium, read with seeks; the bytes are hashed in file order
/// as the reader passes them (gaps it seeks over are read and hashed too), so the
/// file is still read essentially once and what was unpacked is what was hashed.
final class SeekableFileInput: CountingInput {
    let fd: Int32
    let fileSize: Int64
    let item: Int
    unowned let run: IntakeRun
    private(set) var hashedUpTo: Int64
    var length: Int64 { hashedUpTo }
    private var position: Int64 = 0
    private(set) var delivered: Int64 = 0
    private(set) var packed: Int64 = 0
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
    private let gapBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)

    init(fd: Int32, fileSize: Int64, hashedUpTo: Int64, item: Int, run: IntakeRun) {
        self.fd = fd
        self.fileSize = fileSize
        self.hashedUpTo = hashedUpTo
        self.item = item
        self.run = run
    }
    deinit {
        buffer.deallocate()
        gapBuffer.deallocate()
    }

    var isSeekable: Bool { true }

    func read() throws -> UnsafeRawBufferPointer {
        let n = pread(fd, buffer.baseAddress, buffer.count, off_t(position))
        guard n >= 0 else { throw IntakeError("read failed: \(String(cString: strerror(errno)))") }
        run.options.progress?.read(n)
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
        try hash(through: position, bytes)
        position += Int64(n)
        delivered += Int64(n)
        packed = max(packed, position)
        return bytes
    }

    /// Hashes file bytes up to the end of `bytes` (which start at `offset`).
    private func hash(through offset: Int64, _ bytes: UnsafeRawBufferPointer) throws {
        if offset > hashedUpTo { try hashGap(upTo: offset) }
        let end = offset + Int64(bytes.count)
        if end > hashedUpTo, offset <= hashedUpTo {
            let fresh = UnsafeRawBufferPointer(rebasing: bytes[Int(hashedUpTo - offset)...])
            run.pipeline.feed(item, fresh)
            run.capture(item, fresh)
            hashedUpTo = end
        }
    }

    private func hashGap(upTo end: Int64) throws {
        while hashedUpTo < end {
            let want = Int(min(Int64(gapBuffer.count), end - hashedUpTo))
            let n = pread(fd, gapBuffer.baseAddress, want, off_t(hashedUpTo))
            guard n > 0 else {
                if n == 0 { return }
                throw IntakeError("read failed: \(String(cString: strerror(errno)))")
            }
            let bytes = UnsafeRawBufferPointer(rebasing: gapBuffer[0..<n])
            run.pipeline.feed(item, bytes)
            run.capture(item, bytes)
            hashedUpTo += Int64(n)
        }
    }

    func seek(offset: Int64, whence: Int32) throws -> Int64 {
        let base: Int64
        switch whence {
        case SEEK_SET: base = 0
        case SEEK_CUR: base = position
        case SEEK_END: base = fileSize
        default: throw ArchiveError(.input, "bad whence")
        }
        let target = base + offset
        guard target >= 0 else { throw ArchiveError(.corrupt, "seek before the start of the archive") }
        position = target
        return target
    }

    /// Hashes the rest of the file (and anything it grew by while being read).
    func drain() throws {
        try hashGap(upTo: Int64.max)
    }

    func zipAccess() -> (length: UInt64, read: ZipDirectory.Reader, localHeaders: Bool)? {
        (UInt64(hashedUpTo), { [fd] offset, count in
            guard count >= 0, offset <= UInt64(Int64.max) else { return nil }
            var out = [UInt8](repeating: 0, count: count)
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            return n == count ? out : nil
        }, true)
    }
}
