import ArchiveIO
import CryptoIO
import Foundation
import Intake
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An archive to unpack into the admitted folder instead of copying it (policy
/// `admit: {extract: ...}`): only the entries verification passed are written.
public struct ExtractArchive: Sendable {
    /// The archive, relative to the source root.
    public var source: String
    /// The folder (relative to the admitted folder) the entries go into; "" for the folder itself.
    public var into: String
    /// The entries to write: `source` is the entry's path inside the archive as the
    /// report names it (after the `archive!/` prefix), `name` is ignored (the entry's
    /// path under `into` is used), `size` and `digests` are what verification computed.
    public var entries: [AdmitFile]
    /// The same limit verification used for entry names.
    public var maxPathLength: Int

    public init(source: String, into: String, entries: [AdmitFile], maxPathLength: Int) {
        self.source = source
        self.into = into
        self.entries = entries
        self.maxPathLength = maxPathLength
    }
}

extension Admission {
    /// Unpacks one archive into the incoming folder (`rootFD`): regular files only,
    /// 0644, each re-hashed while written and compared with the verified digests.
    /// Throws `FileChanged` when the archive is not what was verified.
    static func extract(_ archive: ExtractArchive, sourceFD: Int32, sourceRoot: String, rootFD: Int32, incoming: String,
                        createdDirs: inout [String]) throws -> [CopiedFile] {
        let where_ = archive.source
        var expected: [String: AdmitFile] = [:]
        for entry in archive.entries {
            guard case .success(let clean) = safeRelativePath(entry.source, maxLength: archive.maxPathLength), clean != "." else {
                throw FileChanged(path: where_, message: "refusing the entry name \(entry.source.prefix(200))")
            }
            guard expected[clean] == nil else { throw FileChanged(path: where_, message: "the entry \(clean) is listed twice") }
            expected[clean] = entry
        }
        let input = try openSource(sourceFD, archive.source, root: sourceRoot)
        defer { close(input) }
        let reader: ArchiveReader
        do {
            reader = try ArchiveReader(input: FileDescriptorInput(fd: input))
        } catch {
            throw StationError("\(where_): cannot read the archive: \(error)")
        }
        var written = Set<String>()
        var copied: [CopiedFile] = []
        func changed(_ message: String) -> FileChanged {
            FileChanged(path: where_, message: "the archive changed after it was verified: \(message)")
        }
        func destination(_ clean: String) -> String { archive.into.isEmpty ? clean : archive.into + "/" + clean }
        // Hard links are written as copies (the admitted folder holds regular files only).
        // Names still waiting for their content, by the name their link group's data
        // will be written under: newc cpio keeps a group's data on its last name.
        var waiting: [String: [String]] = [:]
        /// Writes the names waiting for `group`'s content, copied from `from` (written
        /// and verified just before).
        func release(_ group: String, from: String) throws {
            for name in waiting.removeValue(forKey: group) ?? [] {
                guard let want = expected[name], written.insert(name).inserted else { throw changed("\(name) appears twice") }
                copied.append(try copyWritten(rootFD: rootFD, from: destination(from), to: destination(name), want: want,
                                              incoming: incoming, createdDirs: &createdDirs, changed: changed))
            }
        }
        while true {
            let info: ArchiveEntryInfo?
            do { info = try reader.nextEntry() } catch { throw changed("cannot read it any more (\(error))") }
            guard let info else { break }
            guard info.pathIsUTF8 else { throw changed("an entry name is not UTF-8") }
            let clean: String
            switch safeRelativePath(info.path, maxLength: archive.maxPathLength) {
            case .failure(let reason): throw changed("unsafe entry name \(info.path.prefix(200)) (\(reason))")
            case .success(let c): clean = c
            }
            // Only what was verified or covered is written; everything else (symbolic
            // links, devices, unlisted entries, directories) is left out.
            guard clean != ".", let want = expected[clean] else { continue }
            let hasData = info.declaredSize.map { $0 > 0 } ?? true // unknown (a zip data descriptor): read it
            // The link group a name belongs to: a hard link's target, else the name itself.
            var group = clean
            switch info.type {
            case .regular:
                // A first name of a newc link group: empty here, its content comes later.
                if !hasData && want.size > 0 {
                    waiting[clean, default: []].append(clean)
                    continue
                }
            case .hardlink:
                guard let target = info.linkTarget, case .success(let t) = safeRelativePath(target, maxLength: archive.maxPathLength) else {
                    throw changed("\(clean) is a hard link to an unsafe name")
                }
                group = t
                if !hasData {
                    if written.contains(t) {
                        guard written.insert(clean).inserted else { throw changed("\(clean) appears twice") }
                        copied.append(try copyWritten(rootFD: rootFD, from: destination(t), to: destination(clean), want: want,
                                                      incoming: incoming, createdDirs: &createdDirs, changed: changed))
                    } else {
                        waiting[t, default: []].append(clean)
                    }
                    continue
                }
            default:
                throw changed("\(clean) is a \(info.type.rawValue) entry now")
            }
            guard written.insert(clean).inserted else { throw changed("\(clean) appears twice") }
            let name = destination(clean)
            let out = try createIncomingFile(rootFD: rootFD, name: name, incoming: incoming, createdDirs: &createdDirs)
            defer { close(out) }
            let hashes = EntryHashes(like: want.digests)
            var size: Int64 = 0
            func take(_ chunk: UnsafeRawBufferPointer) throws {
                size += Int64(chunk.count)
                if size > want.size { throw changed("\(clean) is longer than the \(want.size) bytes verified") }
                hashes.update(chunk)
                try writeAll(out, chunk, what: "\(incoming)/\(name)")
            }
            func zeros(_ count: Int64) throws {
                var left = count
                let block = [UInt8](repeating: 0, count: 1 << 16)
                while left > 0 {
                    let n = Int(min(left, Int64(block.count)))
                    try block.withUnsafeBytes { try take(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                    left -= Int64(n)
                }
            }
            while true {
                let block: (bytes: UnsafeRawBufferPointer, offset: Int64)?
                do { block = try reader.nextBlock() } catch { throw changed("cannot read \(clean) (\(error))") }
                guard let block else { break }
                guard block.offset >= size else { throw changed("\(clean): blocks out of order") }
                if block.offset > size { try zeros(block.offset - size) }  // a sparse hole
                try take(block.bytes)
            }
            if info.isSparse, let declared = info.declaredSize, declared > size { try zeros(declared - size) }
            guard size == want.size else { throw changed("\(clean) is \(size) bytes, \(want.size) when verified") }
            let problems = hashes.compare(with: want.digests)
            guard problems.isEmpty else { throw changed("\(clean): \(problems.joined(separator: "; "))") }
            guard fsync(out) == 0 else { throw StationError("cannot sync \(name): \(errnoText())") }
            copied.append(CopiedFile(name: name, size: size, sha256: hashes.sha256Hex, sha512: hashes.sha512Hex, sha384: hashes.sha384Hex))
            // Names of this link group that waited for its content.
            try release(group, from: clean)
            if group != clean { try release(clean, from: clean) }
        }
        let absent = expected.keys.filter { !written.contains($0) }.sorted()
        guard absent.isEmpty else {
            throw changed("verified entr\(absent.count == 1 ? "y" : "ies") no longer in it: \(absent.prefix(5).joined(separator: ", "))")
        }
        return copied
    }

    /// Copies `input` to `out` to its end, hashing every byte; more than `atMost` bytes
    /// throw `tooLong()`. Returns how many bytes were copied.
    static func copyHashing(from input: Int32, reading source: String, to out: Int32, writing target: String, atMost: Int64,
                            hashes: EntryHashes, buffer: inout [UInt8], tooLong: () -> Error) throws -> Int64 {
        var size: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw StationError("cannot read \(source): \(errnoText())") }
            if n == 0 { return size }
            size += Int64(n)
            if size > atMost { throw tooLong() }
            try buffer.withUnsafeBytes { raw in
                let chunk = UnsafeRawBufferPointer(rebasing: raw[0..<n])
                hashes.update(chunk)
                try writeAll(out, chunk, what: target)
            }
        }
    }

    /// Writes `to` as a copy of `from`, a file this admission wrote and verified in the
    /// incoming folder (a hard link's other name), hashing it again against `want`.
    static func copyWritten(rootFD: Int32, from: String, to: String, want: AdmitFile, incoming: String,
                            createdDirs: inout [String], changed: (String) -> FileChanged) throws -> CopiedFile {
        let input = openat(rootFD, from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard input >= 0 else { throw StationError("cannot open \(incoming)/\(from): \(errnoText())") }
        defer { close(input) }
        let out = try createIncomingFile(rootFD: rootFD, name: to, incoming: incoming, createdDirs: &createdDirs)
        defer { close(out) }
        let hashes = EntryHashes(like: want.digests)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let size = try copyHashing(from: input, reading: "\(incoming)/\(from)", to: out, writing: "\(incoming)/\(to)",
                                   atMost: want.size, hashes: hashes, buffer: &buffer) {
            changed("\(to) is longer than the \(want.size) bytes verified")
        }
        guard size == want.size else { throw changed("\(to) is \(size) bytes, \(want.size) when verified") }
        let problems = hashes.compare(with: want.digests)
        guard problems.isEmpty else { throw changed("\(to): \(problems.joined(separator: "; "))") }
        guard fsync(out) == 0 else { throw StationError("cannot sync \(to): \(errnoText())") }
        return CopiedFile(name: to, size: size, sha256: hashes.sha256Hex, sha512: hashes.sha512Hex, sha384: hashes.sha384Hex)
    }

    /// Creates `name` (0644, exclusive, no links followed) inside the incoming folder,
    /// making the directories on the way (0755); both admitted files and extracted entries.
    static func createIncomingFile(rootFD: Int32, name: String, incoming: String, createdDirs: inout [String]) throws -> Int32 {
        let parts = name.split(separator: "/").map(String.init)
        guard !parts.isEmpty, !parts.contains(where: { $0 == "." || $0 == ".." || $0.isEmpty }) else {
            throw StationError("refusing the file name \(name)")
        }
        var dirPath = ""
        for part in parts.dropLast() {
            dirPath = dirPath.isEmpty ? part : dirPath + "/" + part
            if createdDirs.contains(dirPath) { continue }
            guard mkdirat(rootFD, dirPath, 0o755) == 0 else {
                throw StationError("cannot create \(incoming)/\(dirPath): \(errnoText())")
            }
            createdDirs.append(dirPath)
        }
        let outParent: Int32 = dirPath.isEmpty ? dup(rootFD) : openat(rootFD, dirPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard outParent >= 0 else { throw StationError("cannot open \(incoming)/\(dirPath): \(errnoText())") }
        defer { close(outParent) }
        let out = openat(outParent, parts[parts.count - 1], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard out >= 0 else { throw StationError("cannot create \(incoming)/\(name): \(errnoText())") }
        guard fchmod(out, 0o644) == 0 else {
            close(out)
            throw StationError("cannot chmod \(name): \(errnoText())")
        }
        return out
    }
}

/// sha256, and sha384/sha512 when verification computed them, of bytes as they pass.
final class EntryHashes {
    let sha256 = Hasher(.sha256)
    let sha512: Hasher?, sha384: Hasher?
    private(set) var sha256Hex = ""
    private(set) var sha512Hex: String?, sha384Hex: String?

    /// Hashes with every algorithm `digests` (what verification computed) has.
    init(like digests: Digests) {
        sha512 = digests.sha512 != nil ? Hasher(.sha512) : nil
        sha384 = digests.sha384 != nil ? Hasher(.sha384) : nil
    }

    func update(_ chunk: UnsafeRawBufferPointer) {
        sha256.update(chunk)
        sha512?.update(chunk)
        sha384?.update(chunk)
    }

    /// What differs from the verified digests (empty: all the same). Finalises.
    func compare(with want: Digests) -> [String] {
        sha256Hex = Hex.encode(sha256.finalize())
        sha512Hex = sha512.map { Hex.encode($0.finalize()) }
        sha384Hex = sha384.map { Hex.encode($0.finalize()) }
        var differs: [String] = []
        guard let want256 = want.sha256 else { return ["no sha256 from verification"] }
        if sha256Hex != want256.lowercased() { differs.append("sha256 \(sha256Hex) now, \(want256) when verified") }
        if let want512 = want.sha512, sha512Hex != want512.lowercased() { differs.append("sha512 differs") }
        if let want384 = want.sha384, sha384Hex != want384.lowercased() { differs.append("sha384 differs") }
        return differs
    }
}
