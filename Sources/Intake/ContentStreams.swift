import ArchiveIO
import CryptoIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Content read to its end: how far it got, and whether it is done.
protocol ContentStream: ByteStream {
    var ended: Bool { get }
    var logical: Int64 { get }
}

/// A delivery handed over as bytes in memory (what the fuzzer feeds in).
final class MemoryStream: ContentStream {
    private let bytes: UnsafeMutableRawBufferPointer
    let item: Int
    unowned let run: IntakeRun
    private(set) var logical: Int64 = 0
    private(set) var ended = false

    init(_ bytes: [UInt8], item: Int, run: IntakeRun) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { storage.copyMemory(from: $0) }
        self.bytes = UnsafeMutableRawBufferPointer(rebasing: storage[0..<bytes.count])
        self.storage = storage
        self.item = item
        self.run = run
    }
    private let storage: UnsafeMutableRawBufferPointer
    deinit { storage.deallocate() }

    func next() throws -> UnsafeRawBufferPointer? {
        let start = Int(logical)
        guard start < bytes.count else {
            ended = true
            return nil
        }
        let end = min(bytes.count, start + (1 << 20))
        logical = Int64(end)
        let chunk = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        run.pipeline.feed(item, chunk)
        return chunk
    }
}

/// The data of the current archive entry, with sparse holes filled with zeros.
/// Every byte it yields is hashed and counted against the limits.
final class EntryStream: ContentStream {
    let reader: ArchiveReader
    let item: Int
    let frame: Frame
    unowned let run: IntakeRun
    private(set) var logical: Int64 = 0
    private(set) var ended = false
    private var pending: (bytes: UnsafeRawBufferPointer, offset: Int64)?
    private let startDelivered: Int64
    /// A sparse entry's logical size: a hole at its end has no data block.
    private let sparseSize: Int64?

    init(reader: ArchiveReader, item: Int, frame: Frame, run: IntakeRun, sparseSize: Int64?) {
        self.sparseSize = sparseSize
        self.reader = reader
        self.item = item
        self.frame = frame
        self.run = run
        self.startDelivered = frame.input.packed
    }

    func next() throws -> UnsafeRawBufferPointer? {
        while !ended {
            let block: (bytes: UnsafeRawBufferPointer, offset: Int64)
            if let pending {
                block = pending
                self.pending = nil
            } else if let next = try reader.nextBlock() {
                block = next
            } else if let sparseSize, sparseSize > logical {
                // The trailing hole, as zeros (counted against the limits like any byte).
                block = (UnsafeRawBufferPointer(start: nil, count: 0), sparseSize)
            } else {
                ended = true
                return nil
            }
            if block.offset > logical {
                let n = Int(min(block.offset - logical, Int64(zeros.count)))
                pending = block
                return try yield(UnsafeRawBufferPointer(rebasing: zeros[0..<n]))
            }
            if block.offset < logical {
                throw ArchiveError(.corrupt, "entry data blocks overlap")
            }
            if block.bytes.count > 0 { return try yield(block.bytes) }
        }
        return nil
    }

    private func yield(_ bytes: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer {
        let n = Int64(bytes.count)
        logical += n
        run.pipeline.feed(item, bytes)
        run.capture(item, bytes)
        let budget = run.budget
        let path = run.items[item].path
        try budget.charge(n, entryTotal: logical, path: path)
        // The reader reads ahead (up to a MiB at a time), so an entry's compressed
        // share is judged with at least that much.
        let limits = budget.limits
        let consumed = max(frame.input.packed - startDelivered, 1 << 20)
        if logical > limits.ratioFloorBytes, Double(logical) > limits.maxRatio * Double(consumed) {
            throw budget.exceeded(path, "entry expands more than \(limits.maxRatio)x (limits.maxRatio)")
        }
        try run.chargeArchives(n, from: frame)
        return bytes
    }
}

/// A regular file on the medium read front to back into the hashers.
final class FileStream: ByteStream {
    let fd: Int32
    let item: Int
    unowned let run: IntakeRun
    private var atEnd = false

    init(fd: Int32, item: Int, run: IntakeRun) {
        self.fd = fd
        self.item = item
        self.run = run
    }

    /// Reads straight into the hash pipeline's batch; the archive reader parses the
    /// bytes there (they stay put until the next read), so they are copied only once.
    func next() throws -> UnsafeRawBufferPointer? {
        guard !atEnd else { return nil }
        var failure: Int32 = 0
        let (n, bytes) = run.pipeline.fillPinned(item) { space in
            let n = read(fd, space.baseAddress, min(space.count, 1 << 20))
            if n < 0 { failure = errno }
            return n
        }
        guard n >= 0 else { throw IntakeError("read failed: \(String(cString: strerror(failure)))") }
        if n == 0 {
            atEnd = true
            run.pipeline.releasePin()
            return nil
        }
        run.capture(item, bytes)
        run.options.progress?.read(n)
        try run.checkTime(run.items[item].path)
        return bytes
    }
}
