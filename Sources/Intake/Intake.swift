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
    /// Hash on the calling thread instead of a worker pool: for many small inputs one
    /// after another (the fuzzer's), where starting the pool costs more than the hashing.
    public var hashOnCallingThread = false
    /// Largest file kept in memory by `captureContent`; a larger one is listed in `Inventory.tooLargeToCapture`.
    public var contentCaptureLimit = 64 << 20
    /// All kept files together: past this, a file being kept is dropped and listed in
    /// `Inventory.tooLargeToCapture` too (a medium of 200 files named `*.dsse.json`,
    /// 16 MB each, would otherwise be held whole: 3 GB). Room for the largest SBOM
    /// (64 MiB) beside a manifest of a million files.
    public var captureTotalLimit = 128 << 20
    /// False: archives are hashed as files, not opened (enough to list a delivery's files).
    public var openArchives = true
    /// How many entries the delivery is expected to hold (the subjects of the trusted
    /// manifests checked before it is read; 0 when unknown): the item list and the
    /// top-level name table are sized for them once, instead of growing by doubling
    /// (a list of 200,000 items held 262,144 slots, and the old and new list while
    /// growing). A hint only: capped at 1,000,000 entries, and exceeded freely.
    public var expectedEntries = 0

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
let sniffBytes = 32_768 + 136
// Read-only after initialisation.
nonisolated(unsafe) let zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16).initializedZeros()

extension UnsafeMutableRawBufferPointer {
    fileprivate func initializedZeros() -> UnsafeRawBufferPointer {
        initializeMemory(as: UInt8.self, repeating: 0)
        return UnsafeRawBufferPointer(self)
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
