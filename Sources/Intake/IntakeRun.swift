import ArchiveIO
import CryptoIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
    /// Entries, bytes, time and cancellation: what the reading may still spend.
    let budget: LimitBudget
    var stopped: Bool { budget.stopped }
    var cancelled: Bool { budget.cancelled }
    /// The medium's own links and names (a directory delivery is one namespace).
    var mediaLinks = LinkGraph()
    var mediaNames = CollisionTracker()

    /// `options.captureContent`, asked for every file: kept here, not fetched each time.
    private let captureContent: @Sendable (UnsafeRawBufferPointer) -> Bool

    init(options: IntakeOptions) {
        self.options = options
        self.captureContent = options.captureContent
        // Small inputs (the fuzzer's) are hashed on the calling thread: no worker pool
        // to start and stop for each one.
        self.pipeline = options.hashOnCallingThread
            ? DigestPipeline(algorithms: options.algorithms, workerCount: 0, batchCapacity: 64 << 10, sharing: .producerOnly)
            : DigestPipeline(algorithms: options.algorithms)
        self.budget = LimitBudget(limits: options.limits, progress: options.progress)
        let expected = min(max(options.expectedEntries, 0), 1_000_000)
        if expected > 0 { items.reserveCapacity(expected + 1) }
        budget.onStop = { [unowned self] path, message in finding(.limitExceeded, path, message) }
    }

    func start(path: String) throws -> Inventory {
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
                mediaNames.reserve(min(max(options.expectedEntries, 0), 1_000_000))
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
        giveDigests(pipeline.close(), final: true)
        resolveHardLinks()
    }

    /// Digests of streams finished but whose item was not complete yet when they came
    /// (an item is marked complete once its last byte is read; a stream cut short by a
    /// read error never is, and its digest is never given).
    private var digestsWaiting: [Int: Digests] = [:]

    /// Puts finished digests into their items (stream number = item index), as they
    /// come: held apart until the end, every file's digests were a second array as
    /// long as the items.
    private func giveDigests(_ finished: [Int: Digests], final: Bool) {
        var finished = finished
        if !digestsWaiting.isEmpty {
            finished.merge(digestsWaiting) { new, old in Self.merged(old, new) }
            digestsWaiting = [:]
        }
        for (stream, digests) in finished where stream < items.count {
            if items[stream].complete {
                if items[stream].digests.isEmpty {
                    items[stream].digests = digests // the usual case: all its digests at once
                } else {
                    items[stream].digests = Self.merged(items[stream].digests, digests)
                }
            } else if !final {
                digestsWaiting[stream] = digests
            }
        }
    }

    /// `base` with every digest `more` has (a stream hashed with several algorithms
    /// may finish them in different batches).
    private static func merged(_ base: Digests, _ more: Digests) -> Digests {
        var out = base
        for algorithm in DigestAlgorithm.allCases {
            _ = more.withBytes(algorithm) { out.set(algorithm, bytes: $0) }
        }
        return out
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
        if items.count & 4095 == 0 { giveDigests(pipeline.takeFinished(), final: false) }
        options.progress?.started(item.path)
        return items.count - 1
    }

    func finding(_ code: IntakeFinding.Code, _ path: String, _ message: String) {
        findings.append(IntakeFinding(code: code, path: path, message: message))
    }

    /// Stops everything: the verdict cannot be better than rejected now.
    func limitExceeded(_ path: String, _ message: String) -> IntakeStop {
        budget.exceeded(path, message)
    }

    func countEntry(_ path: String) throws { try budget.countEntry(path) }

    func checkTime(_ path: String) throws { try budget.checkTime(path) }

    /// Most decompressed bytes libarchive may read for one entry header of an archive
    /// inside a compressed stream (where a few MB can declare a header of gigabytes).
    /// Real headers are kilobytes (names up to limits.maxPathLength, pax records); the
    /// bound is generous for what a reader skips between entries (an ISO's unlisted
    /// areas). Archives not compressed as a whole are as large as they really are.
    var entryHeaderBudget: Int { 128 << 20 }

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

}
