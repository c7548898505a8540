import CryptoIO
import Foundation
import SafeText

/// Bounds on what a delivery may make passbox read. Every one counts real bytes
/// as they come out of the decompressors, never a size an archive declares.
public struct IntakeLimits: Sendable, Equatable {
    /// Nested archive depth (the delivery archive itself is depth 1).
    public var maxDepth = 8
    /// All bytes read out of decompressors and files, nested levels counted at each level.
    public var maxTotalBytes: Int64 = 64 << 30
    /// Unpacked / packed, per archive (nested output included) and per entry.
    public var maxRatio: Double = 200
    /// Ratios are judged only once this many bytes came out (tiny files compress well).
    public var ratioFloorBytes: Int64 = 16 << 20
    /// Archive entries plus directory entries.
    public var maxEntries = 1_000_000
    /// Characters in one entry name.
    public var maxPathLength = 4096
    /// Bytes of one file or entry.
    public var maxEntryBytes: Int64 = 64 << 30
    /// A nested 7z up to this size is held in memory so it can be read by its header
    /// (at the end; 7z cannot be read as a stream); larger ones cannot be opened.
    public var maxInMemoryArchiveBytes = 64 << 20
    /// A nested zip up to this size is held in memory so it can be read by its central
    /// directory; a larger one is read as a stream, by its local headers, and its
    /// central directory checked from the kept end of the stream.
    public var maxInMemoryZipBytes = 32 << 20
    /// The end of a streamed nested zip kept for that check: a central directory
    /// larger than this (about 150,000 entries) is `archive.limit-exceeded`.
    public var maxStreamedZipDirectoryBytes = 16 << 20
    /// Nested directories in a delivery directory.
    public var maxDirectoryDepth = 128
    /// The process's data memory (heap and mappings, RLIMIT_DATA) while it reads a
    /// delivery: a header can make libarchive allocate and fill gigabytes (a cpio name
    /// of 3 GB from a 15 MB .cpio.gz); past this, its allocation fails and the archive
    /// is reported corrupt instead of the machine running out of memory.
    public var maxMemory: Int64 = 2 << 30
    /// Seconds the reading of one delivery may take (wall clock). Checked as bytes and
    /// entries pass; past it the delivery is `archive.limit-exceeded`. A USB stick at
    /// 30 MB/s gives 64 GiB (maxTotalBytes) in about 40 minutes.
    public var maxSeconds: Double = 3600

    public init() {}
}

public enum ItemKind: String, Sendable, Codable {
    case directory, regular, archive, symlink, hardlink, special
}

/// One thing in the delivery: a file on the medium, an archive, an entry inside one.
///
/// An inventory holds one per file (there can be millions), so the rarely set and
/// small fields are stored compactly (64 bytes in all, where plain optionals took
/// 112) behind the same properties.
public struct Item: Sendable {
    /// Relative to the delivery root; inside archives `outer.zip!/inner/fw.bin`.
    public var path: String
    /// Logical bytes read and hashed (sparse holes count as zeros).
    public var size: Int64
    /// Empty when the content was not read to the end.
    public var digests: Digests
    private var rare: Rare?
    private var containerIndex: Int32
    private var modeBits: UInt32
    private var archiveDepth: UInt8
    private var hasMode: Bool
    public var kind: ItemKind
    /// True when every byte was read and hashed.
    public var complete: Bool
    /// What the first bytes say the content is, when it is a program.
    public var program: ProgramKind?

    /// The fields only archives and links have.
    private final class Rare: Sendable {
        let format: String?
        let linkTarget: String?
        init(format: String?, linkTarget: String?) {
            self.format = format
            self.linkTarget = linkTarget
        }
    }

    init(path: String, kind: ItemKind, size: Int64, digests: Digests, format: String? = nil, linkTarget: String? = nil,
         container: Int?, depth: Int, mode: UInt32?, complete: Bool, program: ProgramKind? = nil) {
        self.path = path
        self.size = size
        self.digests = digests
        self.rare = format == nil && linkTarget == nil ? nil : Rare(format: format, linkTarget: linkTarget)
        // Entries are at most limits.maxEntries (≤ 100,000,000) and archives nest at
        // most limits.maxDepth (≤ 64) deep: both fit.
        self.containerIndex = container.map { Int32(clamping: $0) } ?? -1
        self.modeBits = mode ?? 0
        self.archiveDepth = UInt8(clamping: depth)
        self.hasMode = mode != nil
        self.kind = kind
        self.complete = complete
        self.program = program
    }

    /// For archives: the format libarchive found, e.g. "GNU tar format / gzip".
    public var format: String? {
        get { rare?.format }
        set { rare = newValue == nil && linkTarget == nil ? nil : Rare(format: newValue, linkTarget: linkTarget) }
    }

    public var linkTarget: String? {
        get { rare?.linkTarget }
        set { rare = newValue == nil && format == nil ? nil : Rare(format: format, linkTarget: newValue) }
    }

    /// The archive item this entry came out of; nil on the delivery's own level.
    public var container: Int? {
        get { containerIndex < 0 ? nil : Int(containerIndex) }
        set { containerIndex = newValue.map { Int32(clamping: $0) } ?? -1 }
    }

    /// Archive nesting depth of the item (0 on the medium itself).
    public var depth: Int {
        get { Int(archiveDepth) }
        set { archiveDepth = UInt8(clamping: newValue) }
    }

    /// Permission bits as the medium or the archive states them.
    public var mode: UInt32? {
        get { hasMode ? modeBits : nil }
        set {
            modeBits = newValue ?? 0
            hasMode = newValue != nil
        }
    }
}

/// Programs recognised by their first bytes (for the policy's `files.deny`).
public enum ProgramKind: String, Sendable, Codable {
    case elf, pe, machO = "mach-o", script

    /// Magic numbers of executables and the `#!` of scripts.
    public static func sniff(_ head: UnsafeRawBufferPointer) -> ProgramKind? {
        func has(_ magic: [UInt8]) -> Bool {
            head.count >= magic.count && zip(head, magic).allSatisfy { $0 == $1 }
        }
        if has([0x7f, 0x45, 0x4c, 0x46]) { return .elf }
        if has([0x4d, 0x5a]) { return .pe }
        if has([0xfe, 0xed, 0xfa, 0xce]) || has([0xfe, 0xed, 0xfa, 0xcf]) || has([0xce, 0xfa, 0xed, 0xfe])
            || has([0xcf, 0xfa, 0xed, 0xfe]) { return .machO }
        if has([0x23, 0x21]) { return .script }
        return nil
    }
}

/// Problems intake itself finds; codes are the contract's finding codes.
/// The stable finding codes of a report (docs/report.md): every reason passbox gives
/// is one of these. The raw value is what reports, SARIF, syslog and the audit log carry.
public enum FindingCode: String, Sendable, Codable, CaseIterable, Comparable {
    // Hostile media and archives (intake).
    case pathTraversal = "archive.path-traversal"
    case linkEscape = "archive.link-escape"
    case specialFile = "archive.special-file"
    case duplicateEntry = "archive.duplicate-entry"
    case limitExceeded = "archive.limit-exceeded"
    case corrupt = "archive.corrupt"
    case encrypted = "archive.encrypted"
    // Manifests and signatures.
    case manifestNone = "manifest.none"
    case manifestMalformed = "manifest.malformed"
    case signatureInvalid = "signature.invalid"
    case signatureUntrusted = "signature.untrusted"
    case signatureExpired = "signature.expired"
    case signatureRevoked = "signature.revoked"
    case signatureOutOfScope = "signature.out-of-scope"
    case signatureThreshold = "signature.threshold"
    // Files.
    case fileMismatch = "file.mismatch"
    case fileMissing = "file.missing"
    case fileUnlisted = "file.unlisted"
    /// A file type the policy forbids (setuid/setgid always, `files.deny` types).
    case deniedType = "file.denied-type"
    // SBOMs.
    case sbomMissing = "sbom.missing"
    case sbomMalformed = "sbom.malformed"
    case sbomUnsigned = "sbom.unsigned"
    case componentUnapproved = "sbom.component-unapproved"
    case componentDenied = "sbom.component-denied"
    case licenseDenied = "sbom.license-denied"
    case sbomHashMismatch = "sbom.hash-mismatch"
    // Vulnerabilities (docs/vulnerabilities.md).
    case vulnAffected = "vuln.affected"
    case vulnSuppressed = "vuln.suppressed"
    case vulnDatabaseStale = "vuln.database-stale"
    case vulnDatabaseMissing = "vuln.database-missing"
    // Station.
    case versionRollback = "version.rollback"

    public static func < (a: FindingCode, b: FindingCode) -> Bool { a.rawValue < b.rawValue }

    /// One line saying what the code means (SARIF rule descriptions, the HTML report).
    public var summary: String {
        switch self {
        case .pathTraversal: "An entry name climbs out of its root"
        case .linkEscape: "A symlink or hard link points outside the delivery"
        case .specialFile: "Device node, FIFO or socket"
        case .duplicateEntry: "The same path twice in one archive"
        case .limitExceeded: "Depth, total bytes, ratio or entry count over the policy"
        case .corrupt: "Unreadable or truncated archive"
        case .encrypted: "An entry that cannot be read without a password"
        case .manifestNone: "No manifest signed by a trusted key covers the delivery"
        case .manifestMalformed: "A manifest or signature file that does not parse"
        case .signatureInvalid: "A signature that does not verify"
        case .signatureUntrusted: "Valid signature by a key or chain not in the trust store"
        case .signatureExpired: "Key or certificate outside its validity"
        case .signatureRevoked: "Key or certificate revoked"
        case .signatureOutOfScope: "Trusted key used for a vendor/product/kind it is not trusted for"
        case .signatureThreshold: "Fewer distinct trusted signers than required"
        case .fileMismatch: "Digest or size differs from the manifest"
        case .fileMissing: "Named by the manifest, absent from the delivery"
        case .fileUnlisted: "Present in the delivery, named by no trusted manifest"
        case .deniedType: "A file type the policy forbids"
        case .sbomMissing: "Policy requires an SBOM and there is none"
        case .sbomMalformed: "An SBOM that does not parse"
        case .sbomUnsigned: "An SBOM not covered by a trusted manifest"
        case .componentUnapproved: "A component that no allow rule matches"
        case .componentDenied: "A component that a deny rule matches"
        case .licenseDenied: "A component whose license expression the policy does not allow"
        case .sbomHashMismatch: "An SBOM component hash that contradicts the delivered file"
        case .vulnAffected: "A component affected by a known vulnerability"
        case .vulnSuppressed: "A known vulnerability suppressed by VEX or a policy ignore"
        case .vulnDatabaseStale: "The vulnerability database is older than the policy allows"
        case .vulnDatabaseMissing: "No vulnerability database to check components against"
        case .versionRollback: "An older version of a product than the station already admitted"
        }
    }
}

public struct IntakeFinding: Sendable, Equatable {
    public typealias Code = FindingCode
    public var code: Code
    public var path: String
    public var message: String
    /// Findings whose severity is the policy's to decide, and which setting decides it.
    public enum Advisory: Sendable, Equatable {
        /// `archive.nameCollisions` (warning by default).
        case nameCollision
        /// `archive.setuid` (error by default).
        case setuid
        /// `archive.symlinksOutside`: a symbolic link whose target leaves the delivery,
        /// by itself (error by default). Writing through a link and hard links to the
        /// outside are always errors.
        case symlinkOutside
    }
    public var advisory: Advisory?
    public var isAdvisory: Bool { advisory != nil }

    public init(code: Code, path: String, message: String, advisory: Advisory? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.advisory = advisory
    }
}

public enum DeliveryKind: String, Sendable, Codable {
    case directory, file, archive
}

/// Everything intake found, hashed once.
public struct Inventory: Sendable {
    public var deliveryPath: String
    public var deliveryKind: DeliveryKind
    /// For a single-file or archive delivery, its own item (index 0).
    public var rootItem: Int?
    public var items: [Item]
    public var findings: [IntakeFinding]
    /// Bytes of small files at the delivery root that the caller asked to keep
    /// (manifests, signatures), by item index.
    public var captured: [Int: Data]
    /// Items the caller asked to keep that were larger than the limit.
    public var tooLargeToCapture: Set<Int>
    /// True when a limit stopped intake early: the inventory is partial.
    public var stoppedEarly: Bool
}

public struct IntakeError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Checks one name from an archive: returns the normalised relative path, or why
/// it is unsafe (climbs out, absolute, drive letter, backslash, control characters).
public func safeRelativePath(_ name: String, maxLength: Int) -> Result<String, IntakeFinding.Code.Reason> {
    let bytes = name.utf8
    if bytes.count > maxLength { return .failure(.init("name longer than \(maxLength) bytes")) }
    if bytes.isEmpty { return .failure(.init("empty name")) }
    // One pass over the bytes: control characters and backslashes are ASCII, so a
    // byte test is exact for UTF-8.
    // Also notes whether the name is already normal: no empty, "." or ".."
    // component (no leading, doubled or trailing slash), so nothing to rewrite.
    var normal = true
    var componentLength = 0
    var onlyDots = true
    for b in bytes {
        if b < 0x20 || b == 0x7f {
            return .failure(.init("control character 0x\(String(b, radix: 16, uppercase: true)) in name"))
        }
        if b == UInt8(ascii: "\\") { return .failure(.init("backslash in name")) }
        if b == UInt8(ascii: "/") {
            if componentLength == 0 || onlyDots && componentLength <= 2 { normal = false }
            componentLength = 0
            onlyDots = true
        } else {
            componentLength += 1
            if b != UInt8(ascii: ".") { onlyDots = false }
        }
    }
    if componentLength == 0 || onlyDots && componentLength <= 2 { normal = false }
    var start = bytes.makeIterator()
    if let letter = start.next(), start.next() == UInt8(ascii: ":"),
       (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(letter | 0x20) {
        return .failure(.init("drive letter"))
    }
    if normal { return .success(name) }
    if bytes.first == UInt8(ascii: "/") { return .failure(.init("absolute path")) }
    var parts: [Substring] = []
    for part in name.split(separator: "/", omittingEmptySubsequences: true) {
        if part == "." { continue }
        if part == ".." { return .failure(.init("'..' component")) }
        parts.append(part)
    }
    if parts.isEmpty { return .success(".") }
    if parts.count == 1 { return .success(String(parts[0])) }
    return .success(parts.joined(separator: "/"))
}

extension IntakeFinding.Code {
    public struct Reason: Error, Sendable, Equatable, CustomStringConvertible {
        public let text: String
        public init(_ text: String) { self.text = text }
        public var description: String { text }
    }
}

/// The symbolic links of one archive (or one medium), as an extractor would
/// create them, so that link targets and entry paths can be resolved the way the
/// filesystem would resolve them: through chains of links, with a hop limit.
public struct LinkGraph: Sendable {
    public enum Resolution: Equatable, Sendable {
        /// Stays inside; `via` is the first link passed through, if any.
        case inside(path: String, via: String?)
        /// Climbs out of the root (or is absolute); `via` names the link that led out.
        case escapes(via: String?)
        /// More than `maxHops` links: a loop, or a chain too long to trust.
        case loops
    }

    public static let maxHops = 40
    public private(set) var links: [String: String] = [:]

    public init() {}

    public var isEmpty: Bool { links.isEmpty }

    public mutating func add(path: String, target: String) {
        links[path] = target
    }

    /// Resolves `path` (normalised, relative to the root). With `followLast` the
    /// last component is followed too (a link's own target); without, only the
    /// parents are (where an extractor would write the entry).
    public func resolve(_ path: String, followLast: Bool) -> Resolution {
        var pending: [Substring] = path.split(separator: "/", omittingEmptySubsequences: true).reversed()
        var stack: [Substring] = []
        var hops = 0
        var via: String?
        while let component = pending.popLast() {
            if component == "." { continue }
            if component == ".." {
                if stack.isEmpty { return .escapes(via: via) }
                stack.removeLast()
                continue
            }
            stack.append(component)
            guard !links.isEmpty, followLast || !pending.isEmpty else { continue }
            let current = stack.joined(separator: "/")
            guard let target = links[current] else { continue }
            hops += 1
            if hops > Self.maxHops { return .loops }
            if via == nil { via = current }
            stack.removeLast()
            if target.hasPrefix("/") || target.utf8.contains(UInt8(ascii: "\\")) { return .escapes(via: via) }
            pending.append(contentsOf: target.split(separator: "/", omittingEmptySubsequences: true).reversed())
        }
        return .inside(path: stack.joined(separator: "/"), via: via)
    }

    /// Every link whose target leaves the root or loops, with the reason.
    /// `outside`: the link leads out of the delivery (else: a loop).
    public func escapingLinks() -> [(path: String, reason: String, outside: Bool)] {
        var out: [(String, String, Bool)] = []
        for (path, target) in links.sorted(by: { $0.key < $1.key }) {
            if target.hasPrefix("/") || target.utf8.contains(UInt8(ascii: "\\")) {
                out.append((path, "symbolic link to \(target) leaves the delivery (absolute target)", true))
                continue
            }
            let parent = path.split(separator: "/").dropLast().joined(separator: "/")
            switch resolve(parent.isEmpty ? target : parent + "/" + target, followLast: true) {
            case .inside:
                continue
            case .escapes(let via):
                let chain = via.map { $0 == path ? "" : " (through the link \($0))" } ?? ""
                out.append((path, "symbolic link to \(target) leaves the delivery\(chain)", true))
            case .loops:
                out.append((path, "symbolic link to \(target): more than \(Self.maxHops) links deep (a loop)", false))
            }
        }
        return out
    }
}

/// Names that an extractor on a case-insensitive or normalising filesystem
/// (Windows, macOS) would write to the same file.
struct CollisionTracker {
    /// The first name seen per folded form, by 32 bits of the folded form's hash: an
    /// index into `firstNames` (8 bytes per slot). At 200,000 names, a table holding
    /// the names as Strings took 19 MB, and each name above 15 bytes another 64-byte
    /// String (32 MB in all); now 4 MB and the names back to back. A hit is confirmed
    /// by folding the earlier name again.
    private var seen: [UInt32: Int32] = [:]
    private var firstNames = PackedStrings()
    /// Folded forms whose hash a different folded form took first (a few in 200,000
    /// names with 32 bits, at random: the hash is seeded per process), kept exactly.
    private var spill: [String: String] = [:]
    /// Names that folded onto an earlier, different name (kept to spot their exact repeats).
    private var others: Set<String> = []
    private let hashOf: (String) -> Int

    /// `hash` is replaced only by tests (a poor hash makes every folded form collide).
    init(hash: @escaping (String) -> Int = { $0.hashValue }) {
        hashOf = hash
    }

    /// Sizes the table for `count` names (a hint: it grows past them).
    mutating func reserve(_ count: Int) {
        guard count > 0 else { return }
        seen.reserveCapacity(count)
        firstNames.reserve(count)
    }

    enum Outcome: Equatable {
        case new
        /// Exactly this name was seen before.
        case duplicate
        /// Folds onto this earlier, different name.
        case collides(String)
    }

    /// Records `name`; says whether it or a name it folds onto came before.
    mutating func record(_ name: String) -> Outcome {
        let folded = Self.fold(name)
        let hash = UInt32(truncatingIfNeeded: hashOf(folded))
        let earlier: String
        if let index = seen[hash] {
            let first = firstNames[Int(index)]
            if Self.fold(first) == folded {
                earlier = first
            } else if let first = spill[folded] {
                earlier = first
            } else {
                spill[folded] = name
                return .new
            }
        } else {
            seen[hash] = Int32(clamping: firstNames.count)
            firstNames.append(name)
            return .new
        }
        if earlier == name { return .duplicate }
        return others.insert(name).inserted ? .collides(earlier) : .duplicate
    }

    /// Returns the earlier name `name` collides with, if any (exact repeats are not collisions).
    mutating func check(_ name: String) -> String? {
        if case .collides(let earlier) = record(name) { return earlier }
        return nil
    }

    static func fold(_ name: String) -> String {
        // Plain lower-case ASCII folds to itself; skip Foundation for it.
        if name.utf8.allSatisfy({ $0 < 0x80 && !(0x41...0x5a).contains($0) }) { return name }
        return name.precomposedStringWithCanonicalMapping.lowercased()
    }
}
