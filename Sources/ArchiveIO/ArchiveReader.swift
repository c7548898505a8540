internal import CLibArchive
import Foundation

/// Where an archive reader gets its bytes. The reader pulls; the input decides
/// what each byte costs (Intake's inputs hash every byte that passes through).
public protocol ArchiveInput: AnyObject {
    /// The next bytes, or an empty buffer at the end. Valid until the next call.
    func read() throws -> UnsafeRawBufferPointer
    /// True when `seek` works; zip (central directory) and 7z need it.
    var isSeekable: Bool { get }
    /// Moves the read position like lseek(2); returns the new position.
    func seek(offset: Int64, whence: Int32) throws -> Int64
}

public struct ArchiveError: Error, CustomStringConvertible, Sendable {
    /// `limit`: an entry header pulled more bytes than the reader's `headerBudget`.
    public enum Kind: Sendable { case corrupt, encrypted, unsupported, input, limit }
    public let kind: Kind
    public let message: String
    /// The compressed stream as a whole is damaged (a gzip CRC32 or ISIZE mismatch,
    /// a stream cut short), not the entry being read when it showed.
    public let wholeStream: Bool
    public init(_ kind: Kind, _ message: String, wholeStream: Bool = false) {
        self.kind = kind
        self.message = message
        self.wholeStream = wholeStream
    }
    public var description: String { message }
}

public enum EntryType: String, Sendable {
    case regular, directory, symlink, hardlink, characterDevice, blockDevice, fifo, socket, unknown
}

/// What an archive says about one entry (all of it untrusted).
public struct ArchiveEntryInfo: Sendable {
    /// The name as UTF-8 (lossy when the archive's name bytes were not valid text).
    public var path: String
    /// False when the name could not be read as UTF-8 (then `path` is lossy).
    public var pathIsUTF8: Bool
    public var type: EntryType
    /// The size the header declares: never trusted for limits.
    public var declaredSize: Int64?
    public var linkTarget: String?
    public var mode: UInt32
    public var isEncrypted: Bool
    public var isSparse: Bool
    /// The name or link target was longer than `ArchiveReader.maxNameBytes`: `path`
    /// and `linkTarget` hold only their start (a header can declare a name of 4 GB).
    public var nameTruncated = false
}

/// Reads one archive (any format libarchive reads, with its compression filters),
/// entry by entry, without writing anything anywhere. One owner of one `struct archive`.
public final class ArchiveReader {
    private let handle: OpaquePointer
    private let context: CallbackContext
    private var opened = false
    private var finished = false
    /// ar's own tables that libarchive hands out as entries and `nextEntry` skips, so
    /// far; counted by callers against their entry limits.
    public internal(set) var skippedIndexTables = 0

    final class CallbackContext {
        let input: any ArchiveInput
        var error: (any Error)?
        /// Bytes the reader pulled since the current header began (when bounded).
        var inHeader = false
        var headerBytes = 0
        var headerBudget = 0
        init(_ input: any ArchiveInput) { self.input = input }
    }

    /// Archive formats passbox reads. Deliberately not: mtree (it names files on the
    /// host's disk) and raw (any bytes would pass for an archive).
    static let formats = [
        archive_read_support_format_tar, archive_read_support_format_zip,
        archive_read_support_format_7zip, archive_read_support_format_iso9660,
        archive_read_support_format_cpio, archive_read_support_format_ar,
        archive_read_support_format_cab, archive_read_support_format_rar,
        archive_read_support_format_rar5, archive_read_support_format_xar,
        archive_read_support_format_lha,
    ]
    /// Compression filters, none of them through an external program.
    static let filters = [
        archive_read_support_filter_gzip, archive_read_support_filter_bzip2,
        archive_read_support_filter_xz, archive_read_support_filter_lzma,
        archive_read_support_filter_lzip, archive_read_support_filter_zstd,
        archive_read_support_filter_lz4, archive_read_support_filter_compress,
        archive_read_support_filter_rpm,
    ]

    /// Sets up a reader for `input`. Formats: tar (all variants), zip, 7z, iso9660,
    /// cpio, ar (deb), cab, rar, rar5, xar, lha; filters (unless `filters` is false:
    /// then `input` gives bytes already decompressed, see `Decompressor`): gzip,
    /// bzip2, xz, lzma, lzip, zstd, lz4, compress, rpm.
    public init(input: any ArchiveInput, filters: Bool = true) throws {
        guard let handle = archive_read_new() else {
            throw ArchiveError(.input, "archive_read_new failed: out of memory")
        }
        self.handle = handle
        self.context = CallbackContext(input)
        for enable in Self.formats + (filters ? Self.filters : []) {
            // ARCHIVE_WARN means "supported through an external program": not wanted.
            _ = enable(handle)
        }
    }

    deinit {
        archive_read_free(handle)
    }

    /// Most bytes the reader may pull from its input while it reads one entry's
    /// header (0: no bound). libarchive reads a name or an extended header as long
    /// as the header declares into one buffer; with this bound, a 1 GB name stops
    /// after this many bytes (`ArchiveError.Kind.limit`).
    public var headerBudget: Int {
        get { context.headerBudget }
        set { context.headerBudget = newValue }
    }

    private func open() throws {
        guard !opened else { return }
        opened = true
        let status = openArchive(handle, context)
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
            throw currentError()
        }
    }

    /// The input's own error when a callback failed (rethrown unchanged), else
    /// libarchive's message classified.
    private func currentError() -> any Error {
        archiveError(handle, context)
    }
}

/// Connects a `struct archive` to `context.input` and opens it.
private func openArchive(_ handle: OpaquePointer, _ context: ArchiveReader.CallbackContext) -> Int32 {
    let client = Unmanaged.passUnretained(context).toOpaque()
    archive_read_set_callback_data(handle, client)
    archive_read_set_read_callback(handle) { _, client, buffer in
        guard let client, let buffer else { return -1 }
        let context = Unmanaged<ArchiveReader.CallbackContext>.fromOpaque(client).takeUnretainedValue()
        do {
            let bytes = try context.input.read()
            if context.inHeader && context.headerBudget > 0 {
                context.headerBytes += bytes.count
                if context.headerBytes > context.headerBudget {
                    throw ArchiveError(.limit, "an entry header needs more than \(context.headerBudget >> 20) MiB")
                }
            }
            buffer.pointee = bytes.baseAddress.map { UnsafeRawPointer($0) }
            return bytes.count
        } catch {
            context.error = error
            return -1
        }
    }
    if context.input.isSeekable {
        archive_read_set_seek_callback(handle) { _, client, offset, whence in
            guard let client else { return -1 }
            let context = Unmanaged<ArchiveReader.CallbackContext>.fromOpaque(client).takeUnretainedValue()
            do {
                return try context.input.seek(offset: offset, whence: whence)
            } catch {
                context.error = error
                return -1
            }
        }
    }
    return archive_read_open1(handle)
}

/// The input's own error when a callback failed (rethrown unchanged), else
/// libarchive's message classified.
private func archiveError(_ handle: OpaquePointer, _ context: ArchiveReader.CallbackContext) -> any Error {
    if let error = context.error {
        context.error = nil
        return error
    }
    let text = archive_error_string(handle).map { String(cString: $0) } ?? "unreadable archive"
    let lower = text.lowercased()
    if lower.contains("encrypt") || lower.contains("passphrase") || lower.contains("password") {
        return ArchiveError(.encrypted, text)
    }
    if lower.contains("unsupported") || lower.contains("not supported") {
        return ArchiveError(.unsupported, text)
    }
    return ArchiveError(.corrupt, text)
}

extension ArchiveReader {
    /// A short name of the archive format and its filters, e.g. "GNU tar format / gzip".
    public var formatDescription: String {
        var parts: [String] = []
        if let name = archive_format_name(handle) { parts.append(String(cString: name)) }
        let filters = archive_filter_count(handle)
        if filters > 1 {
            for i in 0..<(filters - 1) {
                if let name = archive_filter_name(handle, i) { parts.append(String(cString: name)) }
            }
        }
        return parts.joined(separator: " / ")
    }

    /// The next entry's header, or nil after the last one.
    public func nextEntry() throws -> ArchiveEntryInfo? {
        try open()
        while true {
            context.inHeader = true
            context.headerBytes = 0
            defer { context.inHeader = false }
            guard !finished else { return nil }
            var entry: OpaquePointer?
            let status = archive_read_next_header(handle, &entry)
            if status == ARCHIVE_EOF {
                finished = true
                return nil
            }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                finished = true
                throw currentError()
            }
            let info = Self.describe(entry)
            // GNU/SVR4 ar's symbol index ("/" in every static library, "/SYM64/") and
            // long-name table ("//"): not members (ar x does not write them; their bytes
            // belong to the archive), though libarchive lists them. Taken for entries,
            // they were absolute paths: every .a was archive.path-traversal, and admit
            // could not unpack one.
            if info.path == "/" || info.path == "//" || info.path == "/SYM64/", formatDescription.hasPrefix("ar") {
                skippedIndexTables += 1
                continue
            }
            return info
        }
    }

    /// Longest name or link target turned into a string; longer ones are cut and flagged.
    public static let maxNameBytes = 1 << 20

    private static func describe(_ entry: OpaquePointer) -> ArchiveEntryInfo {
        var pathIsUTF8 = true
        var truncated = false
        /// At most `maxNameBytes` of a C string, as text.
        func text(_ raw: UnsafePointer<CChar>) -> String {
            let length = strnlen(raw, maxNameBytes + 1)
            if length > maxNameBytes { truncated = true }
            let bytes = UnsafeRawBufferPointer(start: raw, count: min(length, maxNameBytes))
            return String(decoding: bytes, as: UTF8.self)
        }
        let path: String
        if let (name, isUTF8) = readable(archive_entry_pathname(entry), utf8: { archive_entry_pathname_utf8(entry) }) {
            path = text(name)
            pathIsUTF8 = isUTF8
        } else {
            pathIsUTF8 = false
            path = ""
        }
        let filetype = UInt32(archive_entry_filetype(entry))
        let type: EntryType
        let hardlink = readable(archive_entry_hardlink(entry), utf8: { archive_entry_hardlink_utf8(entry) })?.name
        if let _ = hardlink {
            type = .hardlink
        } else {
            switch filetype {
            case passbox_ae_ifreg(): type = .regular
            case passbox_ae_ifdir(): type = .directory
            case passbox_ae_iflnk(): type = .symlink
            case passbox_ae_ifchr(): type = .characterDevice
            case passbox_ae_ifblk(): type = .blockDevice
            case passbox_ae_ififo(): type = .fifo
            case passbox_ae_ifsock(): type = .socket
            // ar (deterministic mode) and some cpio writers leave the type bits at 0: plain data.
            case 0: type = .regular
            default: type = .unknown
            }
        }
        var linkTarget: String?
        if let hardlink {
            linkTarget = text(hardlink)
        } else if type == .symlink {
            let target = readable(archive_entry_symlink(entry), utf8: { archive_entry_symlink_utf8(entry) })?.name
            linkTarget = target.map { text($0) }
        }
        return ArchiveEntryInfo(
            path: path, pathIsUTF8: pathIsUTF8, type: type,
            declaredSize: archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil,
            linkTarget: linkTarget,
            mode: UInt32(archive_entry_mode(entry)),
            isEncrypted: archive_entry_is_encrypted(entry) != 0,
            isSparse: archive_entry_sparse_count(entry) > 0, nameTruncated: truncated)
    }

    /// The next block of the current entry's data and its offset within the entry
    /// (offsets skip sparse holes, which are zeros), or nil at the entry's end.
    /// The bytes are valid until the next call.
    public func nextBlock() throws -> (bytes: UnsafeRawBufferPointer, offset: Int64)? {
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: Int64 = 0
        let status = archive_read_data_block(handle, &buffer, &size, &offset)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
            throw currentError()
        }
        return (UnsafeRawBufferPointer(start: buffer, count: size), offset)
    }

    /// Bytes consumed from the input so far (compressed side).
    public var compressedBytesRead: Int64 { archive_filter_bytes(handle, -1) }
}

/// The decompressed bytes of a compressed stream (gzip, bzip2, xz, lzma, lzip, zstd,
/// lz4, compress; stacked layers too), read with libarchive's filters and its "raw"
/// format. An `ArchiveReader` made with `filters: false` then reads the archive
/// inside through its callback, where passbox sees (and bounds, `headerBudget`)
/// what each entry header pulls: inside libarchive a 3 MB `.cpio.gz` could make one
/// header read gigabytes. One owner of one `struct archive`.
///
/// A gzip stream (the outermost layer) is inflated by ISA-L before libarchive sees
/// it (`GzipFront`): about twice as fast, and its CRC32s and ISIZEs are checked, when
/// it is read to its end (`readsGzip`: read what is left after the archive's end).
public final class Decompressor: ArchiveInput {
    private let handle: OpaquePointer
    private let context: ArchiveReader.CallbackContext
    private let front: GzipFront
    private var started = false
    private var ended = false

    public init(input: any ArchiveInput) throws {
        guard let handle = archive_read_new() else {
            throw ArchiveError(.input, "archive_read_new failed: out of memory")
        }
        self.handle = handle
        self.front = GzipFront(input)
        self.context = ArchiveReader.CallbackContext(front)
        _ = archive_read_support_format_raw(handle)
        for enable in ArchiveReader.filters { _ = enable(handle) }
    }

    deinit {
        archive_read_free(handle)
    }

    public func read() throws -> UnsafeRawBufferPointer {
        if !started {
            started = true
            let status = openArchive(handle, context)
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN else { throw archiveError(handle, context) }
            var entry: OpaquePointer?
            let next = archive_read_next_header(handle, &entry)
            if next == ARCHIVE_EOF { ended = true }
            guard next == ARCHIVE_OK || next == ARCHIVE_WARN || next == ARCHIVE_EOF else { throw archiveError(handle, context) }
        }
        guard !ended else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: Int64 = 0
        let status = archive_read_data_block(handle, &buffer, &size, &offset)
        if status == ARCHIVE_EOF {
            ended = true
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else { throw archiveError(handle, context) }
        return UnsafeRawBufferPointer(start: buffer, count: size)
    }

    public var isSeekable: Bool { false }

    public func seek(offset: Int64, whence: Int32) throws -> Int64 {
        throw ArchiveError(.input, "a decompressed stream cannot seek")
    }

    /// The filters found, outermost last, e.g. "gzip" (empty before the first read).
    public var filterNames: [String] {
        let count = archive_filter_count(handle)
        let inner = count > 1
            ? (0..<(count - 1)).compactMap { archive_filter_name(handle, $0).map { String(cString: $0) } } : []
        return inner + (readsGzip ? ["gzip"] : [])
    }

    /// True once the stream turned out to be gzip, inflated by ISA-L: its CRC32s and
    /// ISIZEs are checked as each member ends, so a caller reads it to its end.
    public var readsGzip: Bool { front.gzip != nil }
}

/// libarchive keeps UTF-8 names only in a UTF-8 locale. Call once at start.
public func configureArchiveLocale() {
    _ = setlocale(LC_CTYPE, "C.UTF-8")
}

/// Which form of a name to read: as stored, whenever libarchive has it. passbox runs
/// in a UTF-8 locale, so the stored form is the UTF-8 text (or the archive's own bytes
/// when they are not text: `isUTF8` false, read lossily). libarchive's UTF-8 form is
/// asked for only when there is no stored form: converting, it can ask for gigabytes
/// on a damaged name and then end the process (`archive_entry_pathname_utf8`
/// allocating 4 GiB for a short cpio name: found by the intake fuzzer), and it
/// converts through wide characters (a tenth of the time of a tar of small files).
private func readable(_ stored: UnsafePointer<CChar>?, utf8: () -> UnsafePointer<CChar>?)
    -> (name: UnsafePointer<CChar>, isUTF8: Bool)? {
    if let stored { return (stored, isASCII(stored) || isUTF8(stored)) }
    return utf8().map { ($0, true) }
}

/// True when the first `maxNameBytes` bytes of the C string are valid UTF-8.
private func isUTF8(_ text: UnsafePointer<CChar>) -> Bool {
    let length = min(strnlen(text, ArchiveReader.maxNameBytes + 1), ArchiveReader.maxNameBytes)
    let bytes = UnsafeRawBufferPointer(start: text, count: length).bindMemory(to: UInt8.self)
    return String(validating: bytes, as: UTF8.self) != nil
}

/// True when the C string holds only ASCII bytes (1...0x7f); looks at most
/// `maxNameBytes` + 1 bytes.
private func isASCII(_ text: UnsafePointer<CChar>) -> Bool {
    var p = text
    var n = 0
    while p.pointee != 0, n <= ArchiveReader.maxNameBytes {
        if p.pointee < 0 { return false } // CChar is signed: bytes >= 0x80 are negative
        p += 1
        n += 1
    }
    return true
}
