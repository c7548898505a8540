import CryptoIO
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One file to admit: where it is on the medium and what it was verified to be.
public struct AdmitFile: Sendable {
    /// Path relative to the source root (components separated by `/`).
    public var source: String
    /// Path relative to the admitted folder.
    public var name: String
    public var size: Int64
    /// The digests the verifier computed (sha256 at least).
    public var digests: Digests

    public init(source: String, name: String, size: Int64, digests: Digests) {
        self.source = source
        self.name = name
        self.size = size
        self.digests = digests
    }
}

/// A file as copied: its digests computed from the bytes written.
public struct CopiedFile: Sendable {
    public var name: String
    public var size: Int64
    public var sha256: String
    /// Present when verification computed sha512 (`--digests`, the policy's `digests:`,
    /// or a manifest naming files by it): the copy is checked against every digest
    /// verification had.
    public var sha512: String?
    public var sha384: String?
}

/// The medium changed between verification and copy: nothing is admitted.
public struct FileChanged: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}

/// Admission: copying verified bytes into the production share, and `admit` itself (Admit.swift).
public enum Admission {
    public static let incomingPrefix = ".passbox-incoming-"

    /// Removes what interrupted admissions left in `destination` (`.passbox-incoming-*`).
    public static func removeStaleIncoming(in destination: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: destination) else { return }
        for name in names where name.hasPrefix(incomingPrefix) {
            // removeItem deletes links themselves, never what they point to.
            try? FileManager.default.removeItem(atPath: destination + "/" + name)
        }
    }

    /// Copies `files` from `sourceRoot` into a new `destination/.passbox-incoming-XXXX`,
    /// re-hashing every byte as it is copied and comparing with the verified digests.
    /// Files 0644, directories 0755, everything fsynced. On any failure the incoming
    /// folder is removed. Returns the incoming folder's name (inside `destination`).
    /// Each of `extract` is unpacked (its verified entries only) after the files are copied.
    public static func copyToIncoming(sourceRoot: String, files: [AdmitFile], extract: [ExtractArchive] = [],
                                      destination: String) throws -> (incoming: String, copied: [CopiedFile]) {
        let destFD = open(destination, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard destFD >= 0 else { throw StationError("cannot open --to \(destination): \(errnoText())") }
        defer { close(destFD) }
        let incoming = incomingPrefix + randomHex(8)
        guard mkdirat(destFD, incoming, 0o700) == 0 else {
            throw StationError("cannot create \(destination)/\(incoming): \(errnoText())")
        }
        do {
            let copied = try copyAll(sourceRoot: sourceRoot, files: files, extract: extract, destFD: destFD, incoming: incoming, destination: destination)
            return (incoming, copied)
        } catch {
            try? FileManager.default.removeItem(atPath: destination + "/" + incoming)
            _ = fsync(destFD)
            throw error
        }
    }

    private static func copyAll(sourceRoot: String, files: [AdmitFile], extract: [ExtractArchive], destFD: Int32, incoming: String, destination: String) throws -> [CopiedFile] {
        let rootFD = openat(destFD, incoming, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard rootFD >= 0 else { throw StationError("cannot open \(incoming): \(errnoText())") }
        defer { close(rootFD) }
        let sourceFD = open(sourceRoot, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard sourceFD >= 0 else { throw StationError("cannot open \(sourceRoot): \(errnoText())") }
        defer { close(sourceFD) }

        var createdDirs: [String] = []  // relative to the incoming folder, in creation order
        var copied: [CopiedFile] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for file in files {
            let input = try openSource(sourceFD, file.source, root: sourceRoot)
            defer { close(input) }
            let out = try createIncomingFile(rootFD: rootFD, name: file.name, incoming: incoming, createdDirs: &createdDirs)
            defer { close(out) }
            let hashes = EntryHashes(like: file.digests)
            let size = try copyHashing(from: input, reading: file.source, to: out, writing: "\(incoming)/\(file.name)",
                                       atMost: file.size, hashes: hashes, buffer: &buffer) {
                FileChanged(path: file.source, message: "the file on the medium grew after it was verified (more than \(file.size) bytes)")
            }
            guard size == file.size else {
                throw FileChanged(path: file.source, message: "the file on the medium changed after it was verified: \(size) bytes now, \(file.size) when verified")
            }
            guard file.digests.sha256 != nil else {
                throw StationError("\(file.source): no sha256 from verification (include sha256 in --digests)")
            }
            let differs = hashes.compare(with: file.digests)
            guard differs.isEmpty else {
                throw FileChanged(path: file.source, message: "the file on the medium changed after it was verified: \(differs.joined(separator: "; "))")
            }
            guard fsync(out) == 0 else { throw StationError("cannot sync \(file.name): \(errnoText())") }
            copied.append(CopiedFile(name: file.name, size: size, sha256: hashes.sha256Hex, sha512: hashes.sha512Hex, sha384: hashes.sha384Hex))
        }
        for archive in extract {
            copied += try Admission.extract(archive, sourceFD: sourceFD, sourceRoot: sourceRoot, rootFD: rootFD,
                                  incoming: incoming, createdDirs: &createdDirs)
        }
        // Directories: deepest first, then the incoming folder itself (0755 now that it is complete).
        for dir in createdDirs.reversed() {
            let fd = openat(rootFD, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { throw StationError("cannot open \(dir): \(errnoText())") }
            defer { close(fd) }
            guard fchmod(fd, 0o755) == 0, fsync(fd) == 0 else { throw StationError("cannot sync \(dir): \(errnoText())") }
        }
        guard fchmod(rootFD, 0o755) == 0, fsync(rootFD) == 0 else { throw StationError("cannot sync \(incoming): \(errnoText())") }
        return copied
    }

    /// Opens a regular file under `rootFD` without following any link on the way.
    static func openSource(_ rootFD: Int32, _ path: String, root: String) throws -> Int32 {
        let parts = path.split(separator: "/").map(String.init)
        guard !parts.isEmpty, !parts.contains("..") else { throw StationError("refusing the source path \(path)") }
        var dirFD = dup(rootFD)
        guard dirFD >= 0 else { throw StationError("cannot open \(root): \(errnoText())") }
        for part in parts.dropLast() where part != "." {
            let next = openat(dirFD, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            close(dirFD)
            guard next >= 0 else {
                throw FileChanged(path: path, message: "the medium changed after it was verified: \(part) is no longer a directory (\(errnoText()))")
            }
            dirFD = next
        }
        defer { close(dirFD) }
        let fd = openat(dirFD, parts[parts.count - 1], O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw FileChanged(path: path, message: "the medium changed after it was verified: cannot open the file (\(errnoText()))")
        }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw FileChanged(path: path, message: "the medium changed after it was verified: no longer a regular file")
        }
        return fd
    }

    /// Moves the complete incoming folder to its final name with one rename, then fsyncs
    /// `destination`. Refuses when the final name exists.
    public static func commit(incoming: String, destination: String, finalName: String) throws {
        let destFD = open(destination, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard destFD >= 0 else { throw StationError("cannot open --to \(destination): \(errnoText())") }
        defer { close(destFD) }
        var st = stat()
        guard fstatat(destFD, finalName, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT else {
            throw StationError("\(destination)/\(finalName) already exists; passbox never replaces an admitted delivery")
        }
        guard renameat(destFD, incoming, destFD, finalName) == 0 else {
            throw StationError("cannot rename \(incoming) to \(finalName): \(errnoText())")
        }
        guard fsync(destFD) == 0 else { throw StationError("cannot sync \(destination): \(errnoText())") }
    }

    /// Does `destination/name` exist (without following a link)?
    public static func exists(_ destination: String, _ name: String) -> Bool {
        var st = stat()
        return lstat(destination + "/" + name, &st) == 0
    }
}
