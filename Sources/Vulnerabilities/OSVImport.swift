import ArchiveIO
import CryptoIO
import Foundation

/// What one import source gave: counts, skip reasons, and the source's digest.
public struct OSVImportSummary: Sendable, Equatable {
    public var source: String
    /// SHA-256 (hex) of the file, or for a directory of the sorted list of
    /// "<sha256 of file>  <relative path>" lines of the record files read.
    public var digest: String
    public var importedAt: Date
    /// Record files (.json, .yaml, .yml) read.
    public var files = 0
    public var accepted = 0
    /// Accepted records that are withdrawn (kept, never matched).
    public var withdrawn = 0
    /// Other entries (directories, README, non-record files): not read.
    public var ignored = 0
    public var skipped: [OSVRejection: Int] = [:]
    /// The first few skip messages ("file: reason"), for the operator.
    public var skipSamples: [String] = []

    public var skippedTotal: Int { skipped.values.reduce(0, +) }
}

public struct OSVImportError: Error, Sendable, CustomStringConvertible {
    public var source: String
    public var message: String
    /// The file was over `OSVLimits.maxRecordBytes`.
    public var tooLarge = false
    public init(source: String, message: String, tooLarge: Bool = false) {
        self.source = source
        self.message = message
        self.tooLarge = tooLarge
    }
    public var description: String { "\(source): \(message)" }
}

/// Reads OSV records from osv.dev's per-ecosystem `all.zip` exports (or any zip of
/// records), from directories of `.json`/`.yaml`/`.yml` records (the PyPA advisory
/// database keeps YAML), and from single record files. A bad record is skipped and
/// counted with its reason; only a source that cannot be read at all throws.
public struct OSVImporter: Sendable {
    public var limits: OSVLimits
    /// Most record files read from one source.
    public var maxFiles = 5_000_000
    /// Skip messages kept in a summary.
    public var maxSamples = 20

    public init(limits: OSVLimits = .default) {
        self.limits = limits
    }

    /// Imports one path; every accepted record is handed to `accept`, in source order.
    public func importPath(_ url: URL, now: Date = Date(), accept: (OSVRecord) -> Void) throws(OSVImportError) -> OSVImportSummary {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw OSVImportError(source: url.path, message: "no such file or directory")
        }
        var summary = OSVImportSummary(source: url.path, digest: "", importedAt: now)
        if isDirectory.boolValue {
            try importDirectory(url, into: &summary, accept: accept)
        } else if let format = Self.format(of: url.lastPathComponent) {
            summary.digest = try fileDigest(url)
            let data = try readFile(url, source: url.path)
            summary.files = 1
            decode(data, format: format, name: url.lastPathComponent, into: &summary, accept: accept)
        } else {
            summary.digest = try fileDigest(url)
            try importArchive(url, into: &summary, accept: accept)
        }
        return summary
    }

    static func format(of name: String) -> OSVDecoder.Format? {
        let lower = name.lowercased()
        if lower.hasSuffix(".json") { return .json }
        if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") { return .yaml }
        return nil
    }

    private func decode(_ data: Data, format: OSVDecoder.Format, name: String, into summary: inout OSVImportSummary,
                        accept: (OSVRecord) -> Void) {
        do {
            let record = try OSVDecoder.decode(data, format: format, limits: limits)
            summary.accepted += 1
            if record.isWithdrawn { summary.withdrawn += 1 }
            accept(record)
        } catch {
            skip(error.reason, "\(name): \(error)", into: &summary)
        }
    }

    private func skip(_ reason: OSVRejection, _ message: String, into summary: inout OSVImportSummary) {
        summary.skipped[reason, default: 0] += 1
        if summary.skipSamples.count < maxSamples { summary.skipSamples.append(String(message.prefix(300))) }
    }

    // MARK: - Zip (any archive libarchive reads)

    private func importArchive(_ url: URL, into summary: inout OSVImportSummary, accept: (OSVRecord) -> Void) throws(OSVImportError) {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw OSVImportError(source: url.path, message: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        do {
            let reader = try ArchiveReader(input: FileDescriptorInput(fd: fd))
            reader.headerBudget = 16 << 20
            while let entry = try reader.nextEntry() {
                guard entry.type == .regular, let format = Self.format(of: entry.path) else {
                    summary.ignored += 1
                    continue
                }
                guard summary.files < maxFiles else {
                    throw OSVImportError(source: url.path, message: "more than \(maxFiles) record files")
                }
                summary.files += 1
                var data = Data()
                var tooLarge = false
                while let block = try reader.nextBlock() {
                    guard data.count + block.bytes.count <= limits.maxRecordBytes else {
                        tooLarge = true
                        break
                    }
                    data.append(contentsOf: block.bytes)
                }
                if tooLarge {
                    skip(.limit, "\(entry.path): record over \(limits.maxRecordBytes) bytes", into: &summary)
                    continue
                }
                decode(data, format: format, name: entry.path, into: &summary, accept: accept)
            }
        } catch let error as OSVImportError {
            throw error
        } catch {
            throw OSVImportError(source: url.path, message: "cannot read the archive: \(error)")
        }
    }

    // MARK: - Directories

    private func importDirectory(_ url: URL, into summary: inout OSVImportSummary, accept: (OSVRecord) -> Void) throws(OSVImportError) {
        let keys: [URLResourceKey] = [.isRegularFileKey, .isSymbolicLinkKey]
        guard let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: keys) else {
            throw OSVImportError(source: url.path, message: "cannot list the directory")
        }
        var files: [(relative: String, url: URL)] = []
        let base = url.standardizedFileURL.path
        for case let file as URL in walker {
            let values = try? file.resourceValues(forKeys: Set(keys))
            // Symbolic links are not followed: a record database is plain files.
            guard values?.isSymbolicLink != true, values?.isRegularFile == true, Self.format(of: file.lastPathComponent) != nil else {
                if values?.isRegularFile == true || values?.isSymbolicLink == true { summary.ignored += 1 }
                continue
            }
            guard files.count < maxFiles else { throw OSVImportError(source: url.path, message: "more than \(maxFiles) record files") }
            var relative = file.standardizedFileURL.path
            if relative.hasPrefix(base + "/") { relative.removeFirst(base.count + 1) }
            files.append((relative, file))
        }
        files.sort { $0.relative < $1.relative }
        var listing = ""
        for (relative, file) in files {
            summary.files += 1
            let data: Data
            do {
                data = try readFile(file, source: relative)
            } catch {
                skip(error.tooLarge ? .limit : .unreadable, "\(relative): \(error.message)", into: &summary)
                continue
            }
            listing += hex(Hasher.digest(.sha256, data)) + "  " + relative + "\n"
            if let format = Self.format(of: relative) {
                decode(data, format: format, name: relative, into: &summary, accept: accept)
            }
        }
        summary.digest = hex(Hasher.digest(.sha256, Data(listing.utf8)))
    }

    // MARK: - Files

    /// A record file's bytes, refused past `maxRecordBytes` (`tooLarge`).
    private func readFile(_ url: URL, source: String) throws(OSVImportError) -> Data {
        guard let handle = try? FileHandle(forReadingFrom: url) else { throw OSVImportError(source: source, message: "cannot open") }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: limits.maxRecordBytes + 1) ?? Data()
        } catch {
            throw OSVImportError(source: source, message: "cannot read: \(error.localizedDescription)")
        }
        guard data.count <= limits.maxRecordBytes else {
            throw OSVImportError(source: source, message: "record over \(limits.maxRecordBytes) bytes", tooLarge: true)
        }
        return data
    }

    /// SHA-256 of a whole file, streamed.
    private func fileDigest(_ url: URL) throws(OSVImportError) -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else { throw OSVImportError(source: url.path, message: "cannot open") }
        defer { try? handle.close() }
        let hasher = Hasher(.sha256)
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 1 << 20)
            } catch {
                throw OSVImportError(source: url.path, message: "cannot read: \(error.localizedDescription)")
            }
            // nil or empty: end of file.
            guard let chunk, !chunk.isEmpty else { break }
            hasher.update(chunk)
        }
        return hex(hasher.finalize())
    }
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}
