import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Something the operator can scan: a medium mounted under a media root, or an entry
/// of a drop folder.
public struct DeliverySource: Sendable, Equatable {
    public enum Kind: String, Sendable { case medium, drop }
    public var kind: Kind
    /// The real path.
    public var path: String
    /// What the screen shows (the mount point's or entry's name, as found: escape it).
    public var name: String
    /// A medium that was not mounted when the kiosk started (or at the last look).
    public var isNew: Bool
}

/// Media detection and the one rule for paths: only under the allowed roots, symlinks
/// resolved (realpath) and checked again.
public final class SourceFinder: @unchecked Sendable {
    let mediaRoots: [String]
    let dropFolders: [String]
    let mountinfo: String
    private let lock = NSLock()
    private var known: Set<String>
    static let maxMountinfo = 4 << 20
    static let maxEntries = 200

    public init(mediaRoots: [String], dropFolders: [String], mountinfo: String = "/proc/self/mountinfo") {
        self.mediaRoots = mediaRoots.compactMap(SourceFinder.real)
        self.dropFolders = dropFolders.compactMap(SourceFinder.real)
        self.mountinfo = mountinfo
        known = []
        known = Set(mounts().map(\.path))
    }

    /// Mount points under the media roots (from mountinfo), then drop folder entries.
    public func sources() -> [DeliverySource] {
        let current = mounts()
        lock.lock()
        let sources = current.map { m -> DeliverySource in
            var m = m
            m.isNew = !known.contains(m.path)
            return m
        }
        lock.unlock()
        var out = sources.sorted { ($0.isNew ? 0 : 1, $0.path) < ($1.isNew ? 0 : 1, $1.path) }
        for folder in dropFolders {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted().prefix(Self.maxEntries)
            for name in names where !name.hasPrefix(".") {
                guard let real = allowed(folder + "/" + name) else { continue }
                out.append(DeliverySource(kind: .drop, path: real, name: name, isNew: false))
            }
        }
        return out
    }

    /// Parses mountinfo: field 5 is the mount point (octal escapes for space, tab, newline, backslash).
    func mounts() -> [DeliverySource] {
        guard let text = Self.readBounded(mountinfo) else { return [] }
        var out: [DeliverySource] = []
        var seen = Set<String>()
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count >= 10 else { continue }
            let point = Self.unescape(String(fields[4]))
            guard let root = mediaRoots.first(where: { point.hasPrefix($0 + "/") }), seen.insert(point).inserted,
                  let real = allowed(point) else { continue }
            out.append(DeliverySource(kind: .medium, path: real, name: String(point.dropFirst(root.count + 1)), isNew: false))
            if out.count >= Self.maxEntries { break }
        }
        return out
    }

    /// The real path of `path` when it is an allowed root or lies under one; nil otherwise.
    public func allowed(_ path: String) -> String? {
        guard let real = Self.real(path) else { return nil }
        for root in mediaRoots + dropFolders where real == root || real.hasPrefix(root == "/" ? "/" : root + "/") {
            return real
        }
        return nil
    }

    static func real(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var bytes: [UInt8] = []
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            if u[i] == UInt8(ascii: "\\"), i + 3 < u.count,
               let v = UInt8(String(decoding: u[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(v)
                i += 4
            } else {
                bytes.append(u[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func readBounded(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var data = Data()
        while data.count < maxMountinfo, let chunk = try? handle.read(upToCount: 65_536), !chunk.isEmpty { data += chunk }
        return String(decoding: data.prefix(maxMountinfo), as: UTF8.self)
    }
}
