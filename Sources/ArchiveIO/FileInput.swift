import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An archive read from an open file descriptor (seekable, so zip and 7z work too).
/// Used by the station to unpack an admitted archive: the reader pulls the bytes,
/// the caller owns (and closes) the descriptor.
public final class FileDescriptorInput: ArchiveInput {
    private let fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    /// Total bytes read from the descriptor (re-reads after a seek count again).
    public private(set) var bytesRead: Int64 = 0
    /// Stops a runaway reader: at most this many bytes are read in all.
    private let readLimit: Int64

    public init(fd: Int32, readLimit: Int64 = Int64.max, bufferSize: Int = 1 << 20) {
        self.fd = fd
        self.readLimit = readLimit
        self.buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bufferSize, 4096), alignment: 16)
    }

    deinit { buffer.deallocate() }

    public func read() throws -> UnsafeRawBufferPointer {
        while true {
            let n = readBytes(fd, buffer.baseAddress, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw ArchiveError(.input, "cannot read the archive: \(String(cString: strerror(errno)))") }
            bytesRead += Int64(n)
            guard bytesRead <= readLimit else { throw ArchiveError(.input, "the archive reader read more than \(readLimit) bytes") }
            return UnsafeRawBufferPointer(rebasing: buffer[0..<n])
        }
    }

    public var isSeekable: Bool { true }

    public func seek(offset: Int64, whence: Int32) throws -> Int64 {
        let position = lseek(fd, off_t(offset), whence)
        guard position >= 0 else { throw ArchiveError(.input, "cannot seek in the archive: \(String(cString: strerror(errno)))") }
        return Int64(position)
    }
}

private func readBytes(_ fd: Int32, _ base: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, base, count)
}
