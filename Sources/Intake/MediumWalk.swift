import ArchiveIO
import CryptoIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The medium: a directory walked through file descriptors, and its regular files read
/// into the hash pipeline.
extension IntakeRun {

    /// Walks one directory of the medium through file descriptors: every name is
    /// looked up in the directory already open (openat, fstatat with no following of
    /// links), so a directory renamed or replaced by a link while passbox reads cannot
    /// send it elsewhere, and no path is resolved from / again for each of 50,000 files.
    func walkDirectory(_ directory: Int32, absolute: String, relative: String, depth: Int) throws {
        if depth > limits.maxDirectoryDepth {
            throw limitExceeded(relative, "directories nested deeper than \(limits.maxDirectoryDepth)")
        }
        let listing: [(name: String, raw: [CChar], type: UInt8)]
        do {
            // No more names than the entry limit leaves (one over, so that it trips):
            // a directory of ten million names is not listed into memory first.
            listing = try DirectoryListing.names(of: directory, atMost: budget.entriesLeft + 1)
                .sorted { $0.name < $1.name }
        } catch let error as IntakeError {
            throw IntakeError("cannot list \(absolute): \(error.message)")
        }
        for (name, raw, type) in listing {
            let rel = relative.isEmpty ? name : relative + "/" + name
            let abs = absolute + "/" + name
            try countEntry(rel)
            if case .failure(let reason) = safeRelativePath(name, maxLength: limits.maxPathLength) {
                finding(.pathTraversal, rel, "unsafe name on the medium: \(reason)")
            }
            if type == UInt8(DT_REG) {
                // A regular file by the directory's word: opened without following links
                // and without blocking, then checked by fstat on what was opened, so
                // the lstat before it would only repeat that (one system call of four).
                try processDiskFile(directory: directory, name: raw, absolute: abs, relative: rel, isDeliveryRoot: false) { st in
                    self.checkName(rel, mode: UInt32(st.st_mode), isDirectory: false, tracker: &self.mediaNames)
                }
                continue
            }
            var st = stat()
            guard fstatat(directory, raw, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw IntakeError("cannot read \(abs): \(String(cString: strerror(errno)))")
            }
            let mode = UInt32(st.st_mode)
            checkName(rel, mode: mode, isDirectory: st.st_mode & S_IFMT == S_IFDIR, tracker: &mediaNames)
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                _ = addItem(Item(path: rel, kind: .directory, size: 0, digests: Digests(), container: nil, depth: 0, mode: mode, complete: true))
                let child = openat(directory, raw, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else { throw IntakeError("cannot open \(abs): \(String(cString: strerror(errno)))") }
                defer { close(child) }
                var now = stat()
                guard fstat(child, &now) == 0, now.st_ino == st.st_ino, now.st_dev == st.st_dev else {
                    throw IntakeError("\(abs) changed while it was being read")
                }
                try walkDirectory(child, absolute: abs, relative: rel, depth: depth + 1)
            case S_IFLNK:
                let target = readLink(directory, raw)
                _ = addItem(Item(path: rel, kind: .symlink, size: 0, digests: Digests(), linkTarget: target, container: nil, depth: 0, mode: mode, complete: true))
                mediaLinks.add(path: rel, target: target ?? "/")
            case S_IFREG:
                try processDiskFile(directory: directory, name: raw, absolute: abs, relative: rel, isDeliveryRoot: false, expected: st) { _ in }
            default:
                _ = addItem(Item(path: rel, kind: .special, size: 0, digests: Digests(), container: nil, depth: 0, mode: mode, complete: true))
                finding(.specialFile, rel, "\(specialName(st.st_mode)) on the medium; it was not opened")
            }
        }
    }

    /// Name collisions (case folding, Unicode normalisation) and setuid/setgid bits:
    /// reported, with the severity left to the policy.
    func checkName(_ path: String, mode: UInt32, isDirectory: Bool, tracker: inout CollisionTracker) {
        if !isDirectory, let earlier = tracker.check(path) {
            collision(path, earlier: earlier)
        }
        checkMode(path, mode)
    }

    func collision(_ path: String, earlier: String) {
        findings.append(IntakeFinding(code: .duplicateEntry, path: path,
            message: "collides with \(earlier) under case folding or Unicode normalisation (one would overwrite the other on Windows or macOS)",
            advisory: .nameCollision))
    }

    func checkMode(_ path: String, _ mode: UInt32) {
        if mode & 0o6000 != 0 {
            let bits = [mode & 0o4000 != 0 ? "setuid" : nil, mode & 0o2000 != 0 ? "setgid" : nil].compactMap { $0 }
            findings.append(IntakeFinding(code: .deniedType, path: path,
                message: "\(bits.joined(separator: " and ")) bit set (mode \(String(mode & 0o7777, radix: 8))): the built-in policy forbids such files (policy archive.setuid: warn allows them)", advisory: .setuid))
        }
    }

    /// Links whose targets leave the root, resolved through the other links.
    func reportEscapingLinks(_ graph: LinkGraph, prefix: String) {
        for (path, reason, outside) in graph.escapingLinks() {
            if outside {
                // A link by itself (nothing written through it: that is judged where it
                // happens, always an error): the policy decides (archive.symlinksOutside).
                findings.append(IntakeFinding(code: .linkEscape, path: prefix + path, message: reason, advisory: .symlinkOutside))
            } else {
                finding(.linkEscape, prefix + path, reason)
            }
        }
    }

    private func readLink(_ directory: Int32, _ name: [CChar]) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlinkat(directory, name, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func specialName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "FIFO"
        case S_IFCHR: "character device"
        case S_IFBLK: "block device"
        case S_IFSOCK: "socket"
        default: "special file"
        }
    }

    /// Reads a regular file of the medium once: its bytes go to the hashers and,
    /// when it is an archive, through the archive reader.
    /// `opened` gets the file's status once it is open (before it is read).
    func processDiskFile(directory: Int32 = AT_FDCWD, name: [CChar]? = nil, absolute: String, relative: String,
                         isDeliveryRoot: Bool, expected: stat? = nil, opened: (stat) -> Void = { _ in }) throws {
        // O_NOFOLLOW and O_NONBLOCK: a link or FIFO swapped in since lstat never blocks us.
        let flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC
        let fd = name.map { openat(directory, $0, flags) } ?? open(absolute, flags)
        guard fd >= 0 else { throw IntakeError("cannot open \(absolute): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            throw IntakeError("\(absolute) is no longer a regular file")
        }
        if let expected, expected.st_ino != st.st_ino || expected.st_dev != st.st_dev {
            throw IntakeError("\(absolute) changed while it was being read")
        }
        opened(st)
        let index = addItem(Item(path: relative, kind: .regular, size: 0, digests: Digests(), container: nil, depth: 0, mode: UInt32(st.st_mode), complete: false))
        if !isDeliveryRoot, !relative.utf8.contains(UInt8(ascii: "/")) && options.captureRootFile(relative)
            || options.captureMediumFile(relative) {
            capturing[index] = options.captureLimit
        }
        var firstChunk: [UInt8] = []
        var size: Int64 = 0
        var failure: Int32 = 0
        pipeline.expect(index, size: Int64(st.st_size))
        var atEnd = false
        let first = pipeline.fill(index) { space in
            let asked = min(space.count, 1 << 20)
            let n = read(fd, space.baseAddress, asked)
            if n < 0 { failure = errno; return -1 }
            // A regular file reads short only at its end: with all the bytes fstat
            // counted, there is no need to ask again to be told so (one call in four
            // for a small file). A file that grew since is read on as usual.
            atEnd = n < asked && Int64(n) == Int64(st.st_size)
            firstChunk = Array(UnsafeRawBufferPointer(rebasing: space[0..<n]))
            return n
        }
        guard first >= 0 else { throw IntakeError("cannot read \(absolute): \(String(cString: strerror(failure)))") }
        size = Int64(first)
        options.progress?.read(first)
        firstChunk.withUnsafeBytes { capture(index, $0) }
        items[index].program = firstChunk.withUnsafeBytes { ProgramKind.sniff($0) }
        let kind = options.openArchives ? firstChunk.withUnsafeBytes { sniff($0) } : .none
        if kind != .none, first > 0 {
            let input: any CountingInput
            if kind.needsSeek {
                input = SeekableFileInput(fd: fd, fileSize: Int64(st.st_size), hashedUpTo: size, item: index, run: self)
            } else {
                input = StreamInput(prefix: firstChunk, rest: FileStream(fd: fd, item: index, run: self), keepTail: 0)
            }
            let declared = kind == .iso9660 ? firstChunk.withUnsafeBytes { isoDeclaredLength($0) } : nil
            let isArchive = try readArchive(input: input, container: index, sniffed: kind, depth: 1, parent: nil,
                                            rootLevel: isDeliveryRoot, declaredLength: declared)
            size = input.length
            if isArchive { items[index].kind = .archive }
        } else if first > 0 {
            captureByContent(index, head: firstChunk)
            while !atEnd {
                let n = pipeline.fill(index) { space in
                    let n = read(fd, space.baseAddress, space.count)
                    if n < 0 { failure = errno; return -1 }
                    if n > 0 { capture(index, UnsafeRawBufferPointer(rebasing: space[0..<n])) }
                    return n
                }
                if n == 0 { break }
                guard n > 0 else { throw IntakeError("cannot read \(absolute): \(String(cString: strerror(failure)))") }
                size += Int64(n)
                options.progress?.read(n)
                try checkTime(relative)
            }
        }
        pipeline.finish(index)
        items[index].size = size
        items[index].complete = true
    }

}

/// The names in an open directory (not "." and ".."), as text and as the bytes the
/// system uses for them (a name that is not UTF-8 is still opened by its own bytes).
enum DirectoryListing {
    /// The names in `directory` (not "." and ".."), with the type readdir reports
    /// (DT_UNKNOWN where the file system does not say).
    static func names(of directory: Int32, atMost limit: Int) throws -> [(name: String, raw: [CChar], type: UInt8)] {
        // fdopendir owns the descriptor it is given: give it a duplicate.
        let fd = dup(directory)
        guard fd >= 0 else { throw IntakeError(String(cString: strerror(errno))) }
        guard let stream = fdopendir(fd) else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw IntakeError(message)
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var out: [(name: String, raw: [CChar], type: UInt8)] = []
        while out.count < limit {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw IntakeError(String(cString: strerror(errno))) }
                break
            }
            let raw: [CChar] = withUnsafeBytes(of: &entry.pointee.d_name) { bytes in
                let chars = bytes.bindMemory(to: CChar.self)
                let length = chars.firstIndex(of: 0) ?? chars.count
                return Array(chars[0..<length]) + [0]
            }
            if raw == [46, 0] || raw == [46, 46, 0] { continue } // "." and ".."
            let name = String(decoding: raw.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
            out.append((name, raw, entry.pointee.d_type))
        }
        return out
    }
}
