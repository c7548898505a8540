import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the system says about the block device an input path lives on (audit record
/// field `medium`): the mount source, and the filesystem UUID and label when udev
/// published them. Informational: never a reason to fail a decision.
public struct MediumIdentity: Sendable, Codable, Equatable {
    /// The mount source, e.g. /dev/sdb1.
    public var device: String
    public var fsType: String?
    public var mountPoint: String?
    public var uuid: String?
    public var label: String?

    public init(device: String, fsType: String? = nil, mountPoint: String? = nil, uuid: String? = nil, label: String? = nil) {
        self.device = device
        self.fsType = fsType
        self.mountPoint = mountPoint
        self.uuid = uuid
        self.label = label
    }

    /// Canonical encoding (as the audit record's): keys in byte order, absent ones left out.
    public var canonical: String {
        var fields: [(String, String)] = [("device", jsonQuote(device))]
        if let fsType { fields.append(("fsType", jsonQuote(fsType))) }
        if let label { fields.append(("label", jsonQuote(label))) }
        if let mountPoint { fields.append(("mountPoint", jsonQuote(mountPoint))) }
        if let uuid { fields.append(("uuid", jsonQuote(uuid))) }
        fields.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        return "{" + fields.map { "\(jsonQuote($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    /// One line for `log show`: `/dev/sdb1 uuid=… label=…`.
    public var summary: String {
        var parts = [device]
        if let uuid { parts.append("uuid=\(uuid)") }
        if let label { parts.append("label=\(label)") }
        // Control characters (a label may hold any) would break the one-line format.
        return String(parts.joined(separator: " ").unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "?" : Character($0) })
    }
}

/// Which block device (and USB stick) a path is on, from /proc/self/mountinfo and /dev/disk.
public enum Medium {
    /// Longest value kept in a field.
    static let maxField = 512
    /// Most of /proc/self/mountinfo read.
    static let maxMountinfo = 4 << 20
    /// Most entries of a /dev/disk/by-* folder looked at.
    static let maxLinks = 4096

    /// The medium of `path` when it is on a mounted block device (mount source under
    /// /dev/), else nil. Reads only /proc/self/mountinfo and /dev/disk/by-{uuid,label}.
    public static func identify(path: String, mountinfo: String = "/proc/self/mountinfo", disks: String = "/dev/disk") -> MediumIdentity? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let dev = UInt64(st.st_dev)
        let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))
        let minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
        guard let text = readBounded(mountinfo, limit: maxMountinfo) else { return nil }
        let real = realPath(path) ?? path
        var best: (mountPoint: String, fsType: String, source: String)?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count >= 10, fields[2] == "\(major):\(minor)",
                  let dash = fields.firstIndex(of: "-"), dash + 2 < fields.count else { continue }
            let mountPoint = unescapeMountinfo(String(fields[4]))
            let covers = mountPoint == "/" || real == mountPoint || real.hasPrefix(mountPoint + "/")
            guard covers else { continue }
            if let b = best, b.mountPoint.count > mountPoint.count { continue }
            best = (mountPoint, unescapeMountinfo(String(fields[dash + 1])), unescapeMountinfo(String(fields[dash + 2])))
        }
        guard let best, best.source.hasPrefix("/dev/") else { return nil }
        var identity = MediumIdentity(device: clip(best.source), fsType: clip(best.fsType), mountPoint: clip(best.mountPoint))
        // udev's links name the device node; the one whose device number is the
        // filesystem's own is this medium's.
        identity.uuid = linkName(in: disks + "/by-uuid", rdev: dev)
        identity.label = linkName(in: disks + "/by-label", rdev: dev).map(unescapeUdev)
        return identity
    }

    private static func linkName(in folder: String, rdev: UInt64) -> String? {
        guard let dir = opendir(folder) else { return nil }
        defer { closedir(dir) }
        var seen = 0
        while let entry = readdir(dir), seen < maxLinks {
            seen += 1
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            var st = stat()
            guard stat(folder + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFBLK, UInt64(st.st_rdev) == rdev else { continue }
            return clip(name)
        }
        return nil
    }

    static func readBounded(_ path: String, limit: Int) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while data.count < limit {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            data += buffer.prefix(n)
        }
        return String(decoding: data.prefix(limit), as: UTF8.self)
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func clip(_ text: String) -> String {
        String(decoding: Array(text.utf8.prefix(maxField)), as: UTF8.self)
    }

    /// mountinfo escapes space, tab, newline and backslash as \ooo (octal).
    static func unescapeMountinfo(_ text: String) -> String {
        decodeEscapes(text) { bytes, i in
            guard i + 3 < bytes.count, let v = UInt8(String(decoding: bytes[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) else { return nil }
            return (v, 4)
        }
    }

    /// udev escapes unsafe characters of labels as \xHH.
    static func unescapeUdev(_ text: String) -> String {
        decodeEscapes(text) { bytes, i in
            guard i + 3 < bytes.count, bytes[i + 1] == UInt8(ascii: "x"),
                  let v = UInt8(String(decoding: bytes[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) else { return nil }
            return (v, 4)
        }
    }

    private static func decodeEscapes(_ text: String, _ escape: ([UInt8], Int) -> (UInt8, Int)?) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), let (v, width) = escape(bytes, i) {
                out.append(v)
                i += width
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
