import Attestation
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Something the station could not do (exit 2 at the command line).
public struct StationError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

func errnoText() -> String { String(cString: strerror(errno)) }

/// Writes all bytes to `fd`.
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, what: String) throws {
    var offset = 0
    while offset < bytes.count {
        let n = write(fd, bytes.baseAddress?.advanced(by: offset), bytes.count - offset)
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw StationError("cannot write \(what): \(errnoText())") }
        offset += n
    }
}

func writeAll(_ fd: Int32, _ data: Data, what: String) throws {
    try data.withUnsafeBytes { try writeAll(fd, $0, what: what) }
}

/// fsync a directory (so a rename or a new entry in it survives a crash).
func syncDirectory(_ path: String) throws {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw StationError("cannot open \(path) to sync it: \(errnoText())") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw StationError("cannot sync \(path): \(errnoText())") }
}

/// Replaces `path` atomically: writes `path.tmp-<random>` (O_EXCL|O_NOFOLLOW),
/// fsyncs it, renames it over `path` and fsyncs the directory.
public func replaceAtomically(_ path: String, _ data: Data, mode: mode_t = 0o644) throws {
    try replaceAtomically(path, mode: mode) { write in try data.withUnsafeBytes { try write($0) } }
}

/// The same, with the content written in pieces: `produce` gets a function that
/// appends bytes to the new file (so a large report is never whole in memory).
public func replaceAtomically(_ path: String, mode: mode_t = 0o644,
                              produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
    let dir = (path as NSString).deletingLastPathComponent
    let tmp = path + ".tmp-" + randomHex(8)
    let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
    guard fd >= 0 else { throw StationError("cannot create \(tmp): \(errnoText())") }
    do {
        _ = fchmod(fd, mode)
        try produce { try writeAll(fd, $0, what: tmp) }
        guard fsync(fd) == 0 else { throw StationError("cannot sync \(tmp): \(errnoText())") }
        close(fd)
    } catch {
        close(fd)
        unlink(tmp)
        throw error
    }
    guard rename(tmp, path) == 0 else {
        let text = errnoText()
        unlink(tmp)
        throw StationError("cannot rename \(tmp) to \(path): \(text)")
    }
    try syncDirectory(dir.isEmpty ? "." : dir)
}

/// Writes everything `produce` gives to standard output (a closed pipe is an error).
public func writeStandardOutput(produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
    try produce { try writeAll(STDOUT_FILENO, $0, what: "standard output") }
}

func randomHex(_ bytes: Int) -> String {
    var g = SystemRandomNumberGenerator()
    return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
}

/// This host's name.
public func stationName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The effective user's name (or uid).
public func userName() -> String {
    let uid = geteuid()
    if let pw = getpwuid(uid), let name = pw.pointee.pw_name {
        return String(cString: name)
    }
    return "uid:\(uid)"
}

/// RFC 3339 UTC with milliseconds (audit records, receipts).
public func rfc3339Milliseconds(_ date: Date) -> String { RFC3339.format(date, fractional: true) }

/// The state directory: `--state`, else `$PASSBOX_STATE_DIR`, else
/// `$XDG_STATE_HOME/passbox`, else `~/.local/state/passbox`.
public func resolveStateDirectory(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let option, !option.isEmpty { return option }
    if let dir = environment["PASSBOX_STATE_DIR"], !dir.isEmpty { return dir }
    if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty { return xdg + "/passbox" }
    let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    return home + "/.local/state/passbox"
}

/// Creates the state directory (mode 0700) if needed.
public func ensureStateDirectory(_ path: String) throws {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
        guard isDir.boolValue else { throw StationError("state directory \(path) is not a directory") }
        return
    }
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    } catch {
        throw StationError("cannot create state directory \(path): \(error.localizedDescription)")
    }
}

/// JSON string literal with the escapes RFC 8259 requires (and nothing else escaped
/// except control characters): the canonical form the audit log hashes.
func jsonQuote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7f {
                out += String(format: "\\u%04x", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
