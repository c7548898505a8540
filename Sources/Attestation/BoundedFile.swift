import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file passbox would not read: missing, not a regular file, or too large.
public struct FileReadError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let problem: String
    public var description: String { "\(path): \(problem)" }
}

/// Reads a whole regular file, at most `limit` bytes. The one reader for files
/// whose content or size someone else controls (manifests, keys, policies, SBOMs):
/// a FIFO or device never blocks or streams forever (O_NONBLOCK, regular files
/// only), and the limit counts the bytes actually read, not a size stat reported.
public func readFile(_ path: String, limit: Int) throws(FileReadError) -> Data {
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { throw FileReadError(path: path, problem: "cannot open: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
        throw FileReadError(path: path, problem: "not a regular file")
    }
    guard st.st_size <= off_t(limit) else {
        throw FileReadError(path: path, problem: "file is \(st.st_size) bytes; at most \(limit) are read")
    }
    var data = Data()
    data.reserveCapacity(Int(st.st_size)) // within the limit, checked above; a file that grows still counts below
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n == 0 { return data }
        guard n > 0 else {
            if errno == EINTR { continue }
            throw FileReadError(path: path, problem: "read failed: \(String(cString: strerror(errno)))")
        }
        guard data.count + n <= limit else {
            throw FileReadError(path: path, problem: "file grew past \(limit) bytes while being read")
        }
        data.append(contentsOf: buffer[0..<n])
    }
}
