import ArchiveIO
import CryptoIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct IntakeOptions: Sendable {
    public var limits = IntakeLimits()
    /// Digests computed for every item (spread over the hashing workers: see DigestPipeline).
    /// sha256 by default; others only when asked for (docs/usage.md "Digests").
    public var algorithms: [DigestAlgorithm] = [.sha256]
    /// Which files at the delivery root to keep in memory (manifests, signatures).
    public var captureRootFile: @Sendable (String) -> Bool = { _ in false }
    /// Which files anywhere on the medium (not inside archives) to keep, by path
    /// (detached signatures beside the files they sign).
    public var captureMediumFile: @Sendable (String) -> Bool = { _ in false }
    /// Largest file kept in memory by `captureRootFile` and `captureMediumFile`.
    public var captureLimit = 16 << 20
    /// Which other files to keep, judged on their first bytes (SBOMs, found by
    /// content); archives are never kept.
    public var captureContent: @Sendable (UnsafeRawBufferPointer) -> Bool = { _ in false }
    /// Also kept, whatever their first bytes: files whose name asks for it (named like
    /// an SBOM: such a file must be one), anywhere in the delivery.
    public var captureNamed: @Sendable (String) -> Bool = { _ in false }
    /// Told what is read as it goes; cancels the run when asked (`IntakeProgress`).
    public var progress: IntakeProgress?
    /// Largest file kept in memory by `captureContent`; a larger one is listed in `Inventory.tooLargeToCapture`.
    public var contentCaptureLimit = 64 << 20
    /// All kept files together: past this, a file being kept is dropped and listed in
    /// `Inventory.tooLargeToCapture` too (a medium of 200 files named `*.dsse.json`,
    /// 16 MB each, would otherwise be held whole: 3 GB). Room for the largest SBOM
    /// (64 MiB) beside a manifest of a million files.
    public var captureTotalLimit = 128 << 20
    /// False: archives are hashed as files, not opened (enough to list a delivery's files).
    public var openArchives = true

    public init() {}
}

/// Walks what arrived (a directory, a file, an archive), opens archives
/// recursively in memory, and hashes every byte once.
public enum Intake {
    public static func run(path: String, options: IntakeOptions = IntakeOptions()) throws -> Inventory {
        let run = IntakeRun(options: options)
        return try run.start(path: path)
    }

    /// Inspects a single file given as bytes (an archive is opened like one on a
    /// medium, as the delivery root). For fuzzing and for callers that already hold the bytes.
    public static func run(bytes: [UInt8], name: String, options: IntakeOptions = IntakeOptions()) -> Inventory {
        IntakeRun(options: options).start(bytes: bytes, name: name)
    }
}

/// Thrown inside intake when a limit stops the whole evaluation.
struct IntakeStop: Error {}

/// An error of the stream an inner archive is read from: it belongs to the outer level.
struct UpstreamError: Error { let underlying: any Error }

protocol ByteStream: AnyObject {
    /// The next bytes (valid until the next call), or nil at the end.
    func next() throws -> UnsafeRawBufferPointer?
}

protocol CountingInput: ArchiveInput {
    /// Bytes handed to the archive reader so far (re-reads after a seek count again).
    var delivered: Int64 { get }
    /// How much of the archive has been reached so far, each byte once: the packed
    /// side of the ratio limit (re-reading the same bytes must not raise it).
    var packed: Int64 { get }
    /// After `drain`: the archive's length (every byte was hashed once).
    var length: Int64 { get }
    /// Reads (and hashes) whatever the archive reader left unread.
    func drain() throws
    /// Random access for passbox's own zip checks, after `drain`: the zip's length,
    /// a reader, and whether local headers can be read (false: only a kept tail).
    func zipAccess() -> (length: UInt64, read: ZipDirectory.Reader, localHeaders: Bool)?
}

/// Enough for iso9660, whose primary volume descriptor starts at 32768.
private let sniffBytes = 32_768 + 136
// Read-only after initialisation.
nonisolated(unsafe) private let zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16).initializedZeros()

extension UnsafeMutableRawBufferPointer {
    fileprivate func initializedZeros() -> UnsafeRawBufferPointer {
        initializeMemory(as: UInt8.self, repeating: 0)
        return UnsafeRawBufferPointer(self)
    }
}

enum Sniffed: Equatable {
    case none
    /// zip: read by its central directory (seekable input), then cross-checked.
    case zip
    /// 7z: its header is at the end, so the reader must seek.
    case sevenZip
    /// Formats read front to back (tar, cpio, ar, cab, rar, xar, rpm).
    case streamable
    /// iso9660: read front to back; its volume descriptor says how long it must be.
    case iso9660
    /// A compression filter: may hold an archive or just one compressed file.
    case compressed

    var needsSeek: Bool { self == .zip || self == .sevenZip }
}

/// Recognises archive and compression formats by their magic numbers.
func sniff(_ head: UnsafeRawBufferPointer) -> Sniffed {
    func has(_ magic: [UInt8], at offset: Int = 0) -> Bool {
        guard head.count >= offset + magic.count else { return false }
        for i in 0..<magic.count where head[offset + i] != magic[i] { return false }
        return true
    }
    func has(_ magic: StaticString, at offset: Int = 0) -> Bool {
        magic.withUTF8Buffer { m in
            guard head.count >= offset + m.count else { return false }
            for i in 0..<m.count where head[offset + i] != m[i] { return false }
            return true
        }
    }
    if has([0x50, 0x4b, 0x03, 0x04]) || has([0x50, 0x4b, 0x05, 0x06]) || has([0x50, 0x4b, 0x07, 0x08]) {
        return .zip
    }
    if has([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]) { return .sevenZip }
    if has("ustar", at: 257) { return .streamable }
    if has("070701") || has("070702") || has("070707")
        || has([0xc7, 0x71]) && plausibleBinaryCpio(head, bigEndian: false)
        || has([0x71, 0xc7]) && plausibleBinaryCpio(head, bigEndian: true) { return .streamable }
    if has("!<arch>\n") { return .streamable }
    if has("MSCF") || has("Rar!\u{1a}\u{07}") || has("xar!") {
        return .streamable
    }
    if has("CD001", at: 32769) { return .iso9660 }
    if has([0xed, 0xab, 0xee, 0xdb]) { return .streamable } // rpm
    // Two- and three-byte magics are checked with what must follow them: random
    // content (an encrypted firmware image) starts with 1f 8b, 1f 9d or 71 c7 once in
    // every 16,000 files, and was then reported as a corrupt archive.
    // gzip (RFC 1952): compression method 8 (deflate), reserved flag bits zero, extra
    // flags 0, 2 or 4, and an operating system the RFC names (0-13) or 255 (unknown).
    if has([0x1f, 0x8b]) && head.count >= 10 && head[2] == 8 && head[3] & 0xe0 == 0
        && [0, 2, 4].contains(head[8]) && (head[9] <= 13 || head[9] == 255)
        || has([0x1f, 0x9d]) && plausibleCompressStream(head)
        // bzip2: block size 1-9, then a block (the digits of pi) or the end of the stream (of sqrt(pi)).
        || has("BZh") && head.count >= 4 && (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(head[3])
            && (has([0x31, 0x41, 0x59, 0x26, 0x53, 0x59], at: 4) || has([0x17, 0x72, 0x45, 0x38, 0x50, 0x90], at: 4))
        || has([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])
        || has([0x28, 0xb5, 0x2f, 0xfd]) || has([0x04, 0x22, 0x4d, 0x18]) || has("LZIP") {
        return .compressed
    }
    return .none
}

/// Does a compress (.Z) stream start here: a maximum code width of 9 to 16 bits, the
/// reserved bits zero, and first codes that name only dictionary entries that exist
/// (as libarchive's reader requires; a first code is a byte). Random bytes after the
/// magic pass about once in a billion times.
func plausibleCompressStream(_ head: UnsafeRawBufferPointer) -> Bool {
    guard head.count >= 3 else { return false }
    let flags = head[2]
    guard flags & 0x60 == 0, (9...16).contains(flags & 0x1f) else { return false }
    let blockMode = flags & 0x80 != 0
    var free = blockMode ? 257 : 256
    // Codes start 9 bits wide, packed least significant bit first, in sections of 9 bytes.
    var bit = 24
    var first = true
    for _ in 0..<32 {
        guard bit + 9 <= head.count * 8 else { break }
        var code = 0
        for b in 0..<9 where head[(bit + b) >> 3] >> UInt8((bit + b) & 7) & 1 == 1 { code |= 1 << b }
        bit += 9
        if first {
            guard code < 256 else { return false }
            first = false
        } else if blockMode && code == 256 {
            // CLEAR: the dictionary starts over at the next section.
            bit = 24 + (bit - 24 + 71) / 72 * 72
            free = 257
            first = true
        } else {
            guard code <= free else { return false }
            free += 1
        }
    }
    return true
}

/// Does a binary (old) cpio header start here: a name of the declared length, with
/// no NUL before the one that ends it, and a file type that exists (none only for the
/// trailer, as in an empty archive)? Random bytes after the two-byte magic pass about
/// once in a million times.
func plausibleBinaryCpio(_ head: UnsafeRawBufferPointer, bigEndian: Bool) -> Bool {
    guard head.count >= 26 else { return false }
    func u16(_ i: Int) -> Int {
        bigEndian ? Int(head[i]) << 8 | Int(head[i + 1]) : Int(head[i + 1]) << 8 | Int(head[i])
    }
    let mode = u16(6), nameSize = u16(20)
    guard nameSize >= 2, 26 + nameSize <= head.count, head[26 + nameSize - 1] == 0,
          !head[26..<(26 + nameSize - 1)].contains(0) else { return false }
    switch mode & 0o170000 {
    case 0: return head[26..<(26 + nameSize - 1)].elementsEqual("TRAILER!!!".utf8)
    case 0o100000, 0o040000, 0o120000, 0o020000, 0o060000, 0o010000, 0o140000: return true
    default: return false
    }
}

/// The length an iso9660 image declares (volume space size × logical block size).
func isoDeclaredLength(_ head: UnsafeRawBufferPointer) -> UInt64? {
    let pvd = 32768
    guard head.count >= pvd + 130, head[pvd] == 1 else { return nil }
    func le32(_ i: Int) -> UInt64 { (0..<4).reduce(0) { $0 | UInt64(head[i + $1]) << (8 * $1) } }
    let blocks = le32(pvd + 80)
    let blockSize = UInt64(head[pvd + 128]) | UInt64(head[pvd + 129]) << 8
    return blocks * blockSize
}

/// One archive being read.
final class Frame {
    let item: Int
    /// What entry names get in front: "" for the delivery archive, else "outer.zip!/".
    let prefix: String
    let depth: Int
    let parent: Frame?
    let input: any CountingInput
    var out: Int64 = 0
    init(item: Int, prefix: String, depth: Int, parent: Frame?, input: any CountingInput) {
        self.item = item
        self.prefix = prefix
        self.depth = depth
        self.parent = parent
        self.input = input
    }
}

final class IntakeRun {
    let options: IntakeOptions
    var limits: IntakeLimits { options.limits }
    let pipeline: DigestPipeline
    var items: [Item] = []
    var findings: [IntakeFinding] = []
    var captured: [Int: Data] = [:]
    /// Items being kept, with the most bytes each may have.
    var capturing: [Int: Int] = [:]
    var tooLarge: Set<Int> = []
    /// Bytes of all files being kept.
    var capturedTotal = 0
    var totalBytes: Int64 = 0
    var entries = 0
    var stopped = false
    /// Stopped because `options.progress` was cancelled (`run` then throws).
    var cancelled = false
    /// The medium's own links and names (a directory delivery is one namespace).
    var mediaLinks = LinkGraph()
    var mediaNames = CollisionTracker()

    /// `options.captureContent`, asked for every file: kept here, not fetched each time.
    private let captureContent: @Sendable (UnsafeRawBufferPointer) -> Bool

    init(options: IntakeOptions) {
        self.options = options
        self.captureContent = options.captureContent
        self.pipeline = DigestPipeline(algorithms: options.algorithms)
    }

    func start(path: String) throws -> Inventory {
        _ = deadline // the clock starts now
        var st = stat()
        guard stat(path, &st) == 0 else {
            _ = pipeline.close()
            throw IntakeError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        var kind: DeliveryKind
        var rootItem: Int?
        do {
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                kind = .directory
                defer { reportEscapingLinks(mediaLinks, prefix: "") }
                let root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard root >= 0 else { throw IntakeError("cannot open \(path): \(String(cString: strerror(errno)))") }
                defer { close(root) }
                try walkDirectory(root, absolute: path, relative: "", depth: 0)
            case S_IFREG:
                let name = URL(fileURLWithPath: path).lastPathComponent
                options.progress?.total(Int64(st.st_size))
                rootItem = 0
                try processDiskFile(absolute: path, relative: name, isDeliveryRoot: true)
                kind = items.first?.kind == .archive ? .archive : .file
            default:
                _ = pipeline.close()
                throw IntakeError("\(path) is neither a directory nor a regular file")
            }
        } catch is IntakeStop {
            kind = st.st_mode & S_IFMT == S_IFDIR ? .directory : (items.first?.kind == .archive ? .archive : .file)
        } catch {
            _ = pipeline.close()
            throw error
        }
        finishDigests()
        if cancelled { throw IntakeError("cancelled: \(path) was not read to the end") }
        return Inventory(
            deliveryPath: path, deliveryKind: kind, rootItem: rootItem, items: items,
            findings: findings, captured: captured, tooLargeToCapture: tooLarge, stoppedEarly: stopped)
    }

    func start(bytes: [UInt8], name: String) -> Inventory {
        _ = deadline
        let index = addItem(Item(path: name, kind: .regular, size: 0, digests: Digests(), container: nil, depth: 0, mode: nil, complete: false))
        do {
            try processContent(stream: MemoryStream(bytes, item: index, run: self), item: index, depth: 1, parent: nil, rootLevel: true)
        } catch is IntakeStop {
            // the limit finding says it
        } catch let error as ArchiveError {
            finding(error.kind == .encrypted ? .encrypted : .corrupt, name, error.message)
        } catch {
            finding(.corrupt, name, "\(error)")
        }
        finishDigests()
        return Inventory(deliveryPath: name, deliveryKind: items[index].kind == .archive ? .archive : .file, rootItem: index,
                         items: items, findings: findings, captured: captured, tooLargeToCapture: tooLarge, stoppedEarly: stopped)
    }

    private func finishDigests() {
        for (stream, digests) in pipeline.close().enumerated() where stream < items.count && items[stream].complete {
            items[stream].digests = digests
        }
        resolveHardLinks()
    }

    /// Hard links inside archives, by item: the path (with the archive's prefix) of the
    /// entry each names. Kept only for hard links, which are rare.
    var hardLinkTargets: [Int: String] = [:]

    /// Hard links are one file under several names, and what an extractor writes for
    /// them is what passbox reports: a link entry without data (tar) has the content of
    /// the entry it names (the latest of that path before it, in the same archive);
    /// a link entry with data (cpio keeps the data on the last name, with the earlier
    /// ones empty; pax may too) gives that data to every name of the group. So a
    /// manifest listing each name with its content (as `manifest create` does for the
    /// tree) verifies them, and a policy sees the bytes under every name. A name whose
    /// own data differs from what the group ends with would be replaced when extracted:
    /// `archive.duplicate-entry`. A link to nothing earlier keeps its own content.
    private func resolveHardLinks() {
        guard !hardLinkTargets.isEmpty else { return }
        let wanted = Set(hardLinkTargets.values)
        var latest: [String: Int] = [:]
        var groups: [Int: [Int]] = [:]
        for i in items.indices {
            if let target = hardLinkTargets[i] {
                if let t = latest[target], items[t].container == items[i].container, items[t].complete, items[i].complete {
                    groups[t, default: []].append(i)
                }
            } else if (items[i].kind == .regular || items[i].kind == .archive), wanted.contains(items[i].path) {
                latest[items[i].path] = i
            }
        }
        for (target, links) in groups.sorted(by: { $0.key < $1.key }) {
            let members = [target] + links
            // The content the file ends with: the last data written to it.
            let source = members.last(where: { items[$0].size > 0 }) ?? target
            for m in members where m != source {
                if items[m].size == 0 {
                    items[m].size = items[source].size
                    items[m].digests = items[source].digests
                    items[m].program = items[source].program
                } else if items[m].digests != items[source].digests {
                    finding(.duplicateEntry, items[m].path,
                            "hard-linked with \(items[source].path), whose later data replaces this content when the archive is extracted")
                }
            }
        }
    }

    // MARK: limits and bookkeeping

    func addItem(_ item: Item) -> Int {
        items.append(item)
        options.progress?.started(item.path)
        return items.count - 1
    }

    func finding(_ code: IntakeFinding.Code, _ path: String, _ message: String) {
        findings.append(IntakeFinding(code: code, path: path, message: message))
    }

    /// Stops everything: the verdict cannot be better than rejected now.
    func limitExceeded(_ path: String, _ message: String) -> IntakeStop {
        if !stopped {
            finding(.limitExceeded, path, message)
            stopped = true
        }
        return IntakeStop()
    }

    func countEntry(_ path: String) throws {
        entries += 1
        if entries > limits.maxEntries {
            throw limitExceeded(path, "more than \(limits.maxEntries) entries (limits.maxEntries)")
        }
        try checkTime(path)
    }

    /// Most decompressed bytes libarchive may read for one entry header of an archive
    /// inside a compressed stream (where a few MB can declare a header of gigabytes).
    /// Real headers are kilobytes (names up to limits.maxPathLength, pax records); the
    /// bound is generous for what a reader skips between entries (an ISO's unlisted
    /// areas). Archives not compressed as a whole are as large as they really are.
    var entryHeaderBudget: Int { 128 << 20 }

    /// When the reading must stop (monotonic clock, nanoseconds).
    lazy var deadline: UInt64 = {
        let now = DispatchTime.now().uptimeNanoseconds
        let budget = limits.maxSeconds * 1e9
        return budget >= Double(UInt64.max - now) ? UInt64.max : now + UInt64(max(0, budget))
    }()

    /// Stops the reading once `limits.maxSeconds` have passed (called as entries and
    /// bytes pass: a format parser that never calls back is the watchdog's to stop).
    func checkTime(_ path: String) throws {
        if let progress = options.progress, progress.isCancelled {
            cancelled = true
            throw IntakeStop()
        }
        if DispatchTime.now().uptimeNanoseconds > deadline {
            throw limitExceeded(path, "reading took longer than \(limits.maxSeconds) seconds (limits.maxSeconds)")
        }
    }

    func capture(_ item: Int, _ bytes: UnsafeRawBufferPointer) {
        guard let limit = capturing[item] else { return }
        let kept = captured[item]?.count ?? 0
        if kept + bytes.count > limit || capturedTotal + bytes.count > options.captureTotalLimit {
            capturing[item] = nil
            captured[item] = nil
            capturedTotal -= kept
            tooLarge.insert(item)
            return
        }
        captured[item, default: Data()].append(contentsOf: bytes)
        capturedTotal += bytes.count
    }

    /// Starts keeping a file judged by its first bytes (already read: `head`).
    func captureByContent(_ item: Int, head: [UInt8]) {
        guard capturing.isEmpty || capturing[item] == nil,
              head.withUnsafeBytes({ captureContent($0) }) || options.captureNamed(items[item].path) else { return }
        capturing[item] = options.contentCaptureLimit
        head.withUnsafeBytes { capture(item, $0) }
    }

    // MARK: the medium

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
            listing = try DirectoryListing.names(of: directory, atMost: max(0, limits.maxEntries - entries) + 1)
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

    // MARK: archives

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
        run.totalBytes += n
        let limits = run.limits
        if logical > limits.maxEntryBytes {
            throw run.limitExceeded(run.items[item].path, "entry larger than \(limits.maxEntryBytes) bytes (limits.maxEntryBytes)")
        }
        if run.totalBytes > limits.maxTotalBytes {
            throw run.limitExceeded(run.items[item].path, "delivery unpacks to more than \(limits.maxTotalBytes) bytes (limits.maxTotalBytes)")
        }
        try run.checkTime(run.items[item].path)
        // The reader reads ahead (up to a MiB at a time), so an entry's compressed
        // share is judged with at least that much.
        let consumed = max(frame.input.packed - startDelivered, 1 << 20)
        if logical > limits.ratioFloorBytes, Double(logical) > limits.maxRatio * Double(consumed) {
            throw run.limitExceeded(run.items[item].path, "entry expands more than \(limits.maxRatio)x (limits.maxRatio)")
        }
        var level: Frame? = frame
        while let f = level {
            f.out += n
            if f.out > limits.ratioFloorBytes, Double(f.out) > limits.maxRatio * Double(max(f.input.packed, 1)) {
                throw run.limitExceeded(run.items[f.item].path, "archive expands more than \(limits.maxRatio)x (limits.maxRatio)")
            }
            level = f.parent
        }
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

/// Feeds an archive reader the pieces already read, then the rest of a stream.
final class StreamInput: CountingInput {
    /// The pieces read before, each in its own buffer, freed once the reader asked
    /// for the next one (it is done with a buffer when it reads again).
    private var prefix: [UnsafeMutableRawBufferPointer] = []
    private var next = 0
    let rest: any ByteStream
    private(set) var delivered: Int64 = 0

    /// Bytes at the end of the stream kept for the zip check (0: none).
    private let keepTail: Int
    private var tail: [[UInt8]] = []
    private var tailBytes = 0

    convenience init(prefix: [UInt8], rest: any ByteStream, keepTail: Int) {
        var pieces = [prefix]
        self.init(pieces: &pieces, rest: rest, keepTail: keepTail)
    }

    /// Takes the pieces (`pieces` is left empty).
    init(pieces: inout [[UInt8]], rest: any ByteStream, keepTail: Int) {
        self.keepTail = keepTail
        self.rest = rest
        for i in pieces.indices where !pieces[i].isEmpty {
            let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: pieces[i].count, alignment: 16)
            pieces[i].withUnsafeBytes { storage.copyMemory(from: $0) }
            pieces[i] = []
            prefix.append(storage)
        }
        pieces = []
    }

    deinit { for piece in prefix[max(0, next - 1)...] { piece.deallocate() } }
    var packed: Int64 { delivered }
    var length: Int64 { delivered }

    var isSeekable: Bool { false }
    func seek(offset: Int64, whence: Int32) throws -> Int64 { throw ArchiveError(.input, "not seekable") }

    /// The next piece read before, freeing the one handed out last.
    private func nextPiece() -> UnsafeRawBufferPointer? {
        if next > 0 && next <= prefix.count { prefix[next - 1].deallocate() }
        guard next < prefix.count else {
            next = prefix.count + 1
            return nil
        }
        next += 1
        return UnsafeRawBufferPointer(prefix[next - 1])
    }

    func read() throws -> UnsafeRawBufferPointer {
        if next <= prefix.count, let bytes = nextPiece() {
            passed(bytes)
            return bytes
        }
        do {
            guard let bytes = try rest.next() else { return UnsafeRawBufferPointer(start: nil, count: 0) }
            passed(bytes)
            return bytes
        } catch let error as IntakeStop {
            throw error
        } catch {
            throw UpstreamError(underlying: error)
        }
    }

    private func passed(_ bytes: UnsafeRawBufferPointer) {
        delivered += Int64(bytes.count)
        guard keepTail > 0, bytes.count > 0 else { return }
        tail.append(Array(bytes))
        tailBytes += bytes.count
        while let first = tail.first, tailBytes - first.count >= keepTail {
            tail.removeFirst()
            tailBytes -= first.count
        }
    }

    func drain() throws {
        while next <= prefix.count, let bytes = nextPiece() { passed(bytes) }
        while let bytes = try rest.next() { passed(bytes) }
    }

    /// Only the kept tail can be read: enough for the central directory, not the local headers.
    func zipAccess() -> (length: UInt64, read: ZipDirectory.Reader, localHeaders: Bool)? {
        guard keepTail > 0 else { return nil }
        let kept = tail.flatMap { $0 }
        let start = UInt64(delivered) - UInt64(kept.count)
        return (UInt64(delivered), { offset, count in
            guard offset >= start, count >= 0, offset - start + UInt64(count) <= UInt64(kept.count) else { return nil }
            let from = Int(offset - start)
            return Array(kept[from..<(from + count)])
        }, false)
    }
}

/// A nested zip or 7z held in memory, so the reader can seek.
final class MemoryInput: CountingInput {
    private let data: UnsafeMutableRawBufferPointer
    private var position = 0
    private(set) var delivered: Int64 = 0
    private(set) var packed: Int64 = 0
    var length: Int64 { Int64(count) }

    /// Takes the pieces into one buffer, freeing each as it is copied (`pieces` is left empty).
    init(pieces: inout [[UInt8]], total: Int) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(total, 1), alignment: 16)
        var at = 0
        for i in pieces.indices {
            pieces[i].withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: storage[at..<(at + $0.count)]).copyMemory(from: $0) }
            at += pieces[i].count
            pieces[i] = []
        }
        pieces = []
        data = storage
        count = at
    }
    private let count: Int
    deinit { data.deallocate() }

    var isSeekable: Bool { true }

    func read() throws -> UnsafeRawBufferPointer {
        let n = min(1 << 20, count - position)
        guard n > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let start = position
        position += n
        delivered += Int64(n)
        packed = max(packed, Int64(position))
        return UnsafeRawBufferPointer(rebasing: data[start..<(start + n)])
    }

    func seek(offset: Int64, whence: Int32) throws -> Int64 {
        let base: Int64
        switch whence {
        case SEEK_SET: base = 0
        case SEEK_CUR: base = Int64(position)
        case SEEK_END: base = Int64(count)
        default: throw ArchiveError(.input, "bad whence")
        }
        let target = base + offset
        guard target >= 0, target <= Int64(count) else { throw ArchiveError(.corrupt, "seek outside the archive") }
        position = Int(target)
        return target
    }

    func drain() throws {}

    func zipAccess() -> (length: UInt64, read: ZipDirectory.Reader, localHeaders: Bool)? {
        (UInt64(count), { [data, count] offset, wanted in
            guard wanted >= 0, offset <= UInt64(count), UInt64(wanted) <= UInt64(count) - offset else { return nil }
            return Array(UnsafeRawBufferPointer(rebasing: data[Int(offset)..<(Int(offset) + wanted)]))
        }, true)
    }
}

/// A zip or 7z on the medium, read with seeks; the bytes are hashed in file order
/// as the reader passes them (gaps it seeks over are read and hashed too), so the
/// file is still read essentially once and what was unpacked is what was hashed.
final class SeekableFileInput: CountingInput {
    let fd: Int32
    let fileSize: Int64
    let item: Int
    unowned let run: IntakeRun
    private(set) var hashedUpTo: Int64
    var length: Int64 { hashedUpTo }
    private var position: Int64 = 0
    private(set) var delivered: Int64 = 0
    private(set) var packed: Int64 = 0
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
    private let gapBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)

    init(fd: Int32, fileSize: Int64, hashedUpTo: Int64, item: Int, run: IntakeRun) {
        self.fd = fd
        self.fileSize = fileSize
        self.hashedUpTo = hashedUpTo
        self.item = item
        self.run = run
    }
    deinit {
        buffer.deallocate()
        gapBuffer.deallocate()
    }

    var isSeekable: Bool { true }

    func read() throws -> UnsafeRawBufferPointer {
        let n = pread(fd, buffer.baseAddress, buffer.count, off_t(position))
        guard n >= 0 else { throw IntakeError("read failed: \(String(cString: strerror(errno)))") }
        run.options.progress?.read(n)
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
        try hash(through: position, bytes)
        position += Int64(n)
        delivered += Int64(n)
        packed = max(packed, position)
        return bytes
    }

    /// Hashes file bytes up to the end of `bytes` (which start at `offset`).
    private func hash(through offset: Int64, _ bytes: UnsafeRawBufferPointer) throws {
        if offset > hashedUpTo { try hashGap(upTo: offset) }
        let end = offset + Int64(bytes.count)
        if end > hashedUpTo, offset <= hashedUpTo {
            let fresh = UnsafeRawBufferPointer(rebasing: bytes[Int(hashedUpTo - offset)...])
            run.pipeline.feed(item, fresh)
            run.capture(item, fresh)
            hashedUpTo = end
        }
    }

    private func hashGap(upTo end: Int64) throws {
        while hashedUpTo < end {
            let want = Int(min(Int64(gapBuffer.count), end - hashedUpTo))
            let n = pread(fd, gapBuffer.baseAddress, want, off_t(hashedUpTo))
            guard n > 0 else {
                if n == 0 { return }
                throw IntakeError("read failed: \(String(cString: strerror(errno)))")
            }
            let bytes = UnsafeRawBufferPointer(rebasing: gapBuffer[0..<n])
            run.pipeline.feed(item, bytes)
            run.capture(item, bytes)
            hashedUpTo += Int64(n)
        }
    }

    func seek(offset: Int64, whence: Int32) throws -> Int64 {
        let base: Int64
        switch whence {
        case SEEK_SET: base = 0
        case SEEK_CUR: base = position
        case SEEK_END: base = fileSize
        default: throw ArchiveError(.input, "bad whence")
        }
        let target = base + offset
        guard target >= 0 else { throw ArchiveError(.corrupt, "seek before the start of the archive") }
        position = target
        return target
    }

    /// Hashes the rest of the file (and anything it grew by while being read).
    func drain() throws {
        try hashGap(upTo: Int64.max)
    }

    func zipAccess() -> (length: UInt64, read: ZipDirectory.Reader, localHeaders: Bool)? {
        (UInt64(hashedUpTo), { [fd] offset, count in
            guard count >= 0, offset <= UInt64(Int64.max) else { return nil }
            var out = [UInt8](repeating: 0, count: count)
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            return n == count ? out : nil
        }, true)
    }
}

extension Intake {
    /// Caps the process's data memory (RLIMIT_DATA) at `bytes`, never raising a lower
    /// limit already set. Call before reading a delivery.
    public static func capMemory(_ bytes: Int64) throws {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_DATA.rawValue), &limit) == 0 else {
            throw IntakeError("cannot read the memory limit: \(String(cString: strerror(errno)))")
        }
        let wanted = rlim_t(max(bytes, 0))
        limit.rlim_cur = min(limit.rlim_cur, wanted)
        guard setrlimit(__rlimit_resource_t(RLIMIT_DATA.rawValue), &limit) == 0 else {
            throw IntakeError("cannot set the memory limit (limits.maxMemory): \(String(cString: strerror(errno)))")
        }
    }

    /// libarchive keeps UTF-8 entry names only in a UTF-8 locale: call once at start.
    public static func configureLocale() {
        configureArchiveLocale()
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
