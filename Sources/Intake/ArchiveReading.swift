import ArchiveIO
import CryptoIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Archives, read in memory and recursively, entry by entry, within the limits.
extension IntakeRun {

    /// Reads one archive's entries. Returns false when the bytes turned out to be a
    /// single compressed file rather than an archive.
    @discardableResult
    func readArchive(input: any CountingInput, container: Int, sniffed: Sniffed, depth: Int, parent: Frame?, rootLevel: Bool,
                     declaredLength: UInt64? = nil) throws -> Bool {
        let containerPath = items[container].path
        if depth > limits.maxDepth {
            throw limitExceeded(containerPath, "archives nested deeper than \(limits.maxDepth) (limits.maxDepth)")
        }
        options.progress?.archive(containerPath)
        defer { options.progress?.archive(parent.map { items[$0.item].path }) }
        // A compressed stream is decompressed by one libarchive reader (gzip by ISA-L
        // ahead of it) and the archive inside read by another, through passbox: so
        // what one entry header pulls is seen and bounded (`entryHeaderBudget`),
        // instead of a header of gigabytes being filled inside libarchive up to
        // limits.maxMemory.
        let decompressor = sniffed == .compressed ? try Decompressor(input: input) : nil
        let reader = try ArchiveReader(input: decompressor ?? input, filters: decompressor == nil)
        if decompressor != nil { reader.headerBudget = entryHeaderBudget }
        func formatDescription() -> String {
            ([reader.formatDescription] + (decompressor?.filterNames ?? [])).filter { !$0.isEmpty }.joined(separator: " / ")
        }
        let frame = Frame(item: container, prefix: rootLevel ? "" : containerPath + "!/", depth: depth, parent: parent, input: input)
        var currentPath = containerPath
        var sawEntry = false
        var links = LinkGraph()
        var names = CollisionTracker()
        if rootLevel { names.reserve(min(max(options.expectedEntries, 0), 1_000_000)) }
        var listed: [String] = []
        var countedIndexTables = 0
        defer { reportEscapingLinks(links, prefix: frame.prefix) }
        do {
            while let entry = try reader.nextEntry() {
                sawEntry = true
                if items[container].format == nil { items[container].format = formatDescription() }
                // ar's index tables the reader skipped still count against maxEntries.
                while countedIndexTables < reader.skippedIndexTables {
                    countedIndexTables += 1
                    try countEntry(containerPath)
                }
                let shownName: String
                let checked = entry.nameTruncated
                    ? .failure(.init("name or link target longer than \(ArchiveReader.maxNameBytes) bytes"))
                    : safeRelativePath(entry.path, maxLength: limits.maxPathLength)
                switch checked {
                case .success(let clean):
                    shownName = clean
                case .failure(let reason):
                    // The first 512 characters only: a name can be a megabyte long.
                    let printable = String(entry.path.unicodeScalars.prefix(512).map { $0.value < 0x20 || $0.value == 0x7f ? "?" : Character($0) })
                    shownName = printable.isEmpty ? "(empty name)" : printable
                    finding(.pathTraversal, frame.prefix + shownName, "unsafe entry name: \(reason)")
                }
                let path = frame.prefix + shownName
                currentPath = path
                if sniffed == .zip { listed.append(entry.path) }
                try countEntry(path)
                let mode = entry.mode
                if entry.type != .directory {
                    switch names.record(shownName) {
                    case .new:
                        break
                    case .duplicate where reader.formatDescription.hasPrefix("ar"):
                        // A static library keeps members of the same name side by side (the
                        // object files of two source folders; the Swift toolchain's own
                        // libswiftCore.a has two Errors.cpp.o): normal for ar, and nothing
                        // extracts it to a folder. Judged like a name collision (policy
                        // archive.nameCollisions: a warning by default).
                        findings.append(IntakeFinding(code: .duplicateEntry, path: path,
                            message: "the member name appears more than once in \(containerPath) (usual in a static library; `ar x` would keep the later one)",
                            advisory: .nameCollision))
                    case .duplicate:
                        finding(.duplicateEntry, path, "the same path appears more than once in \(containerPath)")
                    case .collides(let earlier):
                        collision(path, earlier: frame.prefix + earlier)
                    }
                }
                checkMode(path, mode)
                if !links.isEmpty, case let resolution = links.resolve(shownName, followLast: false) {
                    switch resolution {
                    case .inside(_, let via?):
                        finding(.linkEscape, path, "would be written through the symbolic link \(frame.prefix + via) of the same archive")
                    case .escapes(let via):
                        finding(.linkEscape, path, "would be written through the symbolic link \(frame.prefix + (via ?? "?")) to outside the archive")
                    case .loops:
                        finding(.linkEscape, path, "its directory is a loop of symbolic links")
                    case .inside(_, nil):
                        break
                    }
                }
                switch entry.type {
                case .directory:
                    _ = addItem(Item(path: path, kind: .directory, size: 0, digests: Digests(), container: container, depth: depth, mode: mode, complete: true))
                case .symlink, .hardlink:
                    let target = entry.linkTarget ?? ""
                    // A hard link's data, if it has any, is read like a regular entry's (below).
                    let index = addItem(Item(path: path, kind: entry.type == .symlink ? .symlink : .hardlink, size: 0, digests: Digests(), linkTarget: target, container: container, depth: depth, mode: mode, complete: entry.type == .symlink))
                    if entry.type == .symlink {
                        links.add(path: shownName, target: target) // judged with all links at the end
                    } else if let clean = try? safeRelativePath(target, maxLength: limits.maxPathLength).get() {
                        if case .escapes = links.resolve(clean, followLast: false) {
                            finding(.linkEscape, path, "hard link to \(target), which a symbolic link of the archive leads outside")
                        } else {
                            hardLinkTargets[index] = frame.prefix + clean
                        }
                    } else {
                        finding(.linkEscape, path, "hard link to \(target) leaves the archive")
                    }
                    if entry.type == .hardlink {
                        // Every byte is hashed and seen by the policy: a link entry may carry
                        // data that extraction writes (into the file it names, too). Before,
                        // it was skipped, and an ELF hidden there passed `files.deny: [elf]`.
                        pipeline.expect(index, size: entry.declaredSize)
                        let stream = EntryStream(reader: reader, item: index, frame: frame, run: self, sparseSize: nil)
                        try processEntry(stream: stream, item: index, frame: frame)
                    }
                case .characterDevice, .blockDevice, .fifo, .socket, .unknown:
                    _ = addItem(Item(path: path, kind: .special, size: 0, digests: Digests(), container: container, depth: depth, mode: mode, complete: true))
                    finding(.specialFile, path, "\(entry.type.rawValue) entry in \(containerPath)")
                case .regular:
                    if entry.isEncrypted {
                        _ = addItem(Item(path: path, kind: .regular, size: 0, digests: Digests(), container: container, depth: depth, mode: mode, complete: false))
                        finding(.encrypted, path, "encrypted entry: it cannot be read, so it cannot be checked")
                        continue
                    }
                    let index = addItem(Item(path: path, kind: .regular, size: 0, digests: Digests(), container: container, depth: depth, mode: mode, complete: false))
                    if rootLevel, !shownName.utf8.contains(UInt8(ascii: "/")), options.captureRootFile(shownName) {
                        capturing[index] = options.captureLimit
                    }
                    pipeline.expect(index, size: entry.declaredSize)
                    let stream = EntryStream(reader: reader, item: index, frame: frame, run: self,
                                             sparseSize: entry.isSparse ? entry.declaredSize : nil)
                    try processEntry(stream: stream, item: index, frame: frame)
                }
            }
            if let decompressor { try readCompressedTail(decompressor, frame: frame, path: containerPath) }
            try input.drain()
            if let declaredLength, UInt64(input.delivered) < declaredLength {
                finding(.corrupt, containerPath, "truncated: the image declares \(declaredLength) bytes, \(input.delivered) are present")
            }
            if sniffed == .zip, let access = input.zipAccess() {
                for problem in ZipDirectory.check(length: access.length, read: access.read, localHeaders: access.localHeaders,
                                                  listed: listed, maxEntries: limits.maxEntries) {
                    finding(problem.code, containerPath, problem.message)
                }
            }
            return true
        } catch let upstream as UpstreamError {
            throw upstream.underlying
        } catch let error as ArchiveError {
            if stopped { throw IntakeStop() }
            try input.drain()
            if !sawEntry, sniffed == .compressed, error.message.contains("Unrecognized archive format") {
                return false // a compressed file that is not an archive: plain content
            }
            items[container].format = items[container].format ?? formatDescription()
            switch error.kind {
            case .encrypted:
                finding(.encrypted, currentPath, "\(error.message)")
            case .limit:
                throw limitExceeded(currentPath, "\(error.message) (a name or extended header of that size is a bomb, not a file)")
            case _ where error.message.contains("allocate"):
                // libarchive asked for more memory than limits.maxMemory leaves (a header
                // declaring a name of gigabytes): a limit, not a damaged file; like every
                // limit it stops the reading.
                throw limitExceeded(currentPath, "reading it needs more memory than limits.maxMemory allows (libarchive: \(error.message))")
            default:
                finding(.corrupt, error.wholeStream ? containerPath : currentPath, "\(error.message)")
            }
            return true
        }
    }

    /// Hashes one archive entry; opens it when it is an archive itself.
    func processEntry(stream: EntryStream, item: Int, frame: Frame) throws {
        try processContent(stream: stream, item: item, depth: frame.depth + 1, parent: frame, rootLevel: false)
    }

    /// Hashes one piece of content from `stream`; opens it when it is an archive,
    /// at nesting `depth` (its entries are the delivery root's when `rootLevel`).
    func processContent(stream: some ContentStream, item: Int, depth: Int, parent: Frame?, rootLevel: Bool) throws {
        var head: [UInt8] = []
        while head.count < sniffBytes, let bytes = try stream.next() {
            head.append(contentsOf: bytes)
        }
        let kind = head.withUnsafeBytes { sniff($0) }
        items[item].program = head.withUnsafeBytes { ProgramKind.sniff($0) }
        let declared = kind == .iso9660 ? head.withUnsafeBytes { isoDeclaredLength($0) } : nil
        if kind == .none { captureByContent(item, head: head) }
        if kind != .none {
            let input: any CountingInput
            if kind.needsSeek {
                // Held as the pieces it came in (no buffer doubling as it grows), then
                // moved into one buffer piece by piece: at most its size once, plus a piece.
                let cap = kind == .zip ? limits.maxInMemoryZipBytes : limits.maxInMemoryArchiveBytes
                var pieces = [head]
                var total = head.count
                head = []
                while total <= cap, let bytes = try stream.next() {
                    pieces.append(Array(bytes))
                    total += bytes.count
                }
                if stream.ended {
                    input = MemoryInput(pieces: &pieces, total: total)
                } else {
                    // Too large to hold: streamed; its end is kept for the central directory check.
                    input = StreamInput(pieces: &pieces, rest: stream,
                                        keepTail: kind == .zip ? limits.maxStreamedZipDirectoryBytes + (1 << 20) : 0)
                }
            } else {
                input = StreamInput(prefix: head, rest: stream, keepTail: 0)
            }
            if try readArchive(input: input, container: item, sniffed: kind, depth: depth, parent: parent,
                               rootLevel: rootLevel, declaredLength: declared) {
                items[item].kind = .archive
            }
        }
        while try stream.next() != nil {}
        pipeline.finish(item)
        items[item].size = stream.logical
        items[item].complete = true
    }
}
