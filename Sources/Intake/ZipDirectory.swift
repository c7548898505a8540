import Foundation

/// passbox's own reading of a zip's central directory, cross-checked against the
/// local headers and against what libarchive listed. Extractors disagree about
/// which of the two structures is the truth; a zip where they differ could unpack
/// differently from what was checked. It also finds overlapping-entry zip bombs
/// (many central entries sharing one local file), which libarchive shows as one entry.
///
/// All numbers here come from the archive: every one is bounds-checked.
enum ZipDirectory {
    /// Reads `count` bytes at absolute `offset` of the zip; nil when not available.
    typealias Reader = (_ offset: UInt64, _ count: Int) -> [UInt8]?

    struct Entry {
        var nameBytes: [UInt8]
        var flags: UInt16
        var method: UInt16
        var compressedSize: UInt64
        var uncompressedSize: UInt64
        var localOffset: UInt64
        var name: String { String(decoding: nameBytes, as: UTF8.self) }
    }

    struct Problem: Equatable {
        var code: IntakeFinding.Code
        var message: String
    }

    static let maxCentralDirectoryBytes = 64 << 20

    /// Checks the zip of `length` bytes. `localHeaders`: the reader can reach the
    /// local headers (random access); false for a streamed zip, where only its tail
    /// was kept. `listed`: the entry names libarchive reported, in order.
    static func check(length: UInt64, read: Reader, localHeaders: Bool, listed: [String], maxEntries: Int) -> [Problem] {
        let entries: [Entry]
        let directoryOffset: UInt64
        do {
            (entries, directoryOffset) = try centralDirectory(length: length, read: read, maxEntries: maxEntries)
        } catch let problem as ProblemError {
            return [problem.problem]
        } catch {
            return [Problem(code: .corrupt, message: "zip central directory: \(error)")]
        }
        var problems: [Problem] = []
        // libarchive reads names as C strings: a NUL hides the rest of the name from it.
        if let bad = entries.first(where: { $0.nameBytes.contains(0) }) {
            problems.append(Problem(code: .pathTraversal,
                message: "NUL byte in the zip entry name \(bad.name.replacingOccurrences(of: "\u{0}", with: "\\0").prefix(200))"))
        }
        problems += layout(entries, directoryOffset: directoryOffset, read: read, localHeaders: localHeaders)
        if localHeaders {
            problems += localHeaderMismatches(entries, read: read)
        }
        problems += listingMismatches(entries, listed: listed)
        return problems
    }

    struct ProblemError: Error { let problem: Problem }

    /// Scans the tail backwards for the end-of-central-directory signature: the
    /// record whose comment ends the file, else the last signature seen (nearest the
    /// end). Byte-wise on a buffer pointer: a hostile tail of 64 KiB without the
    /// record is scanned whole on every input.
    private static func endRecordCandidates(_ tail: [UInt8]) -> (exact: Int?, last: Int?) {
        tail.withUnsafeBufferPointer { b in
            var last: Int?
            var i = b.count - 22
            while i >= 0 {
                if b[i] == 0x50, b[i + 1] == 0x4b, b[i + 2] == 0x05, b[i + 3] == 0x06 {
                    if last == nil { last = i }
                    if i + 22 + (Int(b[i + 20]) | Int(b[i + 21]) << 8) == b.count { return (i, last) }
                }
                i -= 1
            }
            return (nil, last)
        }
    }

    private static func corrupt(_ message: String) -> ProblemError {
        ProblemError(problem: Problem(code: .corrupt, message: message))
    }

    /// Finds the end-of-central-directory record (zip64 too) and reads every entry.
    static func centralDirectory(length: UInt64, read: Reader, maxEntries: Int) throws -> (entries: [Entry], offset: UInt64) {
        let tailLength = Int(min(length, 22 + 65_535))
        guard tailLength >= 22, let tail = read(length - UInt64(tailLength), tailLength) else {
            throw corrupt("zip has no end-of-central-directory record (too short or unreadable end)")
        }
        let (eocd, fallback) = endRecordCandidates(tail)
        guard let at = eocd ?? fallback else {
            throw corrupt("zip has no end-of-central-directory record")
        }
        let eocdOffset = length - UInt64(tailLength) + UInt64(at)
        var count = UInt64(le16(tail, at + 10))
        var size = UInt64(le32(tail, at + 12))
        var offset = UInt64(le32(tail, at + 16))
        if count == 0xffff || size == 0xffff_ffff || offset == 0xffff_ffff {
            // Zip64: a locator stands just before the end record.
            guard eocdOffset >= 20, let locator = read(eocdOffset - 20, 20), le32(locator, 0) == 0x0706_4b50 else {
                throw corrupt("zip64 end-of-central-directory locator missing")
            }
            let recordOffset = le64(locator, 8)
            guard recordOffset < eocdOffset, let record = read(recordOffset, 56), le32(record, 0) == 0x0606_4b50 else {
                throw corrupt("zip64 end-of-central-directory record missing or out of place")
            }
            count = le64(record, 32)
            size = le64(record, 40)
            offset = le64(record, 48)
        }
        guard count <= UInt64(maxEntries) else {
            throw ProblemError(problem: Problem(code: .limitExceeded, message: "zip central directory lists \(count) entries (limits.maxEntries is \(maxEntries))"))
        }
        guard size <= UInt64(maxCentralDirectoryBytes) else {
            throw ProblemError(problem: Problem(code: .limitExceeded, message: "zip central directory of \(size) bytes (passbox reads at most \(maxCentralDirectoryBytes))"))
        }
        guard offset <= eocdOffset, size <= eocdOffset - offset else {
            throw corrupt("zip central directory (offset \(offset), \(size) bytes) lies outside the archive")
        }
        guard let cd = read(offset, Int(size)) else {
            throw ProblemError(problem: Problem(code: .limitExceeded, message: "zip central directory of \(size) bytes could not be kept for checking"))
        }
        var entries: [Entry] = []
        entries.reserveCapacity(Int(count))
        var p = 0
        while entries.count < Int(count) {
            guard p + 46 <= cd.count, le32(cd, p) == 0x0201_4b50 else {
                throw corrupt("zip central directory entry \(entries.count) is damaged")
            }
            let nameLength = Int(le16(cd, p + 28)), extraLength = Int(le16(cd, p + 30)), commentLength = Int(le16(cd, p + 32))
            let end = p + 46 + nameLength + extraLength + commentLength
            guard end <= cd.count else { throw corrupt("zip central directory entry \(entries.count) runs past its end") }
            var entry = Entry(
                nameBytes: Array(cd[(p + 46)..<(p + 46 + nameLength)]),
                flags: le16(cd, p + 8), method: le16(cd, p + 10),
                compressedSize: UInt64(le32(cd, p + 20)), uncompressedSize: UInt64(le32(cd, p + 24)),
                localOffset: UInt64(le32(cd, p + 42)))
            applyZip64(&entry, extra: cd[(p + 46 + nameLength)..<(p + 46 + nameLength + extraLength)], localOffset: true)
            entries.append(entry)
            p = end
        }
        if p != cd.count {
            throw corrupt("zip central directory holds \(cd.count - p) bytes beyond the \(count) entries it declares")
        }
        if let bad = entries.first(where: { $0.localOffset >= offset }) {
            throw corrupt("zip entry \(bad.name.prefix(200)) points into or past the central directory")
        }
        return (entries, offset)
    }

    /// Replaces 0xFFFFFFFF fields with their zip64 extra-field values.
    private static func applyZip64(_ entry: inout Entry, extra: ArraySlice<UInt8>, localOffset: Bool) {
        let bytes = Array(extra)
        var p = 0
        while p + 4 <= bytes.count {
            let id = le16(bytes, p), length = Int(le16(bytes, p + 2))
            guard p + 4 + length <= bytes.count else { return }
            if id == 0x0001 {
                var q = p + 4
                func next() -> UInt64? {
                    guard q + 8 <= p + 4 + length else { return nil }
                    defer { q += 8 }
                    return le64(bytes, q)
                }
                if entry.uncompressedSize == 0xffff_ffff, let v = next() { entry.uncompressedSize = v }
                if entry.compressedSize == 0xffff_ffff, let v = next() { entry.compressedSize = v }
                if localOffset, entry.localOffset == 0xffff_ffff, let v = next() { entry.localOffset = v }
                return
            }
            p += 4 + length
        }
    }

    /// Entries whose local data overlaps another's (the overlapping-entry zip bomb),
    /// and, when the local headers can be read, bytes between entries that no entry
    /// accounts for (where a local entry the central directory hides can sit).
    static func layout(_ entries: [Entry], directoryOffset: UInt64, read: Reader, localHeaders: Bool) -> [Problem] {
        let sorted = entries.sorted { $0.localOffset < $1.localOffset }
        var shared = 0
        var example: (String, String)?
        var previousEnd: UInt64 = 0
        var previousName = ""
        var previousDescriptor = false
        var gap: (UInt64, String)?
        for (n, entry) in sorted.enumerated() {
            if n > 0, entry.localOffset < previousEnd {
                shared += 1
                if example == nil { example = (previousName, entry.name) }
            }
            // A data descriptor (flag bit 3) takes up to 24 bytes after the data.
            if localHeaders, gap == nil, entry.localOffset > previousEnd + (previousDescriptor ? 24 : 0) {
                gap = (entry.localOffset - previousEnd, n == 0 ? "the start" : previousName)
            }
            previousDescriptor = entry.flags & 0x0008 != 0
            var header: UInt64 = 30
            if localHeaders, let local = read(entry.localOffset, 30), le32(local, 0) == 0x0403_4b50 {
                header += UInt64(le16(local, 26)) + UInt64(le16(local, 28))
            }
            let (end, overflow) = entry.localOffset.addingReportingOverflow(header &+ entry.compressedSize)
            previousEnd = max(previousEnd, overflow ? UInt64.max : end)
            previousName = entry.name
        }
        if localHeaders, gap == nil, !sorted.isEmpty, directoryOffset > previousEnd + (previousDescriptor ? 24 : 0) {
            gap = (directoryOffset - previousEnd, previousName)
        }
        var problems: [Problem] = []
        if let (bytes, after) = gap {
            problems.append(Problem(code: .corrupt,
                message: "\(bytes) bytes after \(after.prefix(120)) belong to no entry of the central directory (a hidden local entry?)"))
        }
        if shared > 0, let (a, b) = example {
            problems.append(Problem(code: .limitExceeded,
                message: "\(shared) zip entries overlap another entry's data (e.g. \(b.prefix(120)) inside \(a.prefix(120))): an overlapping-entry zip bomb"))
        }
        return problems
    }

    /// The local header of each entry must name the same file, method and sizes.
    static func localHeaderMismatches(_ entries: [Entry], read: Reader) -> [Problem] {
        var problems: [Problem] = []
        for entry in entries {
            guard let local = read(entry.localOffset, 30), le32(local, 0) == 0x0403_4b50 else {
                problems.append(Problem(code: .corrupt, message: "no local header where the central directory puts \(entry.name.prefix(200))"))
                continue
            }
            let nameLength = Int(le16(local, 26)), extraLength = Int(le16(local, 28))
            let rest = read(entry.localOffset + 30, nameLength + extraLength) ?? []
            let name = Array(rest.prefix(nameLength))
            var differences: [String] = []
            if name != entry.nameBytes {
                differences.append("name \(String(decoding: name, as: UTF8.self).prefix(120))")
            }
            if le16(local, 8) != entry.method { differences.append("compression method \(le16(local, 8)) vs \(entry.method)") }
            if le16(local, 6) & 0x0008 == 0 { // sizes are in the local header (no data descriptor)
                var localEntry = Entry(nameBytes: name, flags: le16(local, 6), method: le16(local, 8),
                                       compressedSize: UInt64(le32(local, 18)), uncompressedSize: UInt64(le32(local, 22)), localOffset: 0)
                applyZip64(&localEntry, extra: rest.dropFirst(nameLength)[...], localOffset: false)
                if localEntry.compressedSize != entry.compressedSize || localEntry.uncompressedSize != entry.uncompressedSize {
                    differences.append("sizes \(localEntry.compressedSize)/\(localEntry.uncompressedSize) vs \(entry.compressedSize)/\(entry.uncompressedSize)")
                }
            }
            if !differences.isEmpty {
                problems.append(Problem(code: .corrupt,
                    message: "local header of \(entry.name.prefix(200)) disagrees with the central directory: \(differences.joined(separator: "; "))"))
            }
            if problems.count >= 20 { break }
        }
        return problems
    }

    /// A central-directory name as libarchive lists it: a name with backslashes and no
    /// slash is a Windows path (PowerShell's Compress-Archive writes `tools\setup.ini`),
    /// and libarchive reads its backslashes as slashes; a name with both keeps them.
    /// (Compared raw, every such zip was two `archive.corrupt` findings.)
    static func listedName(_ bytes: [UInt8]) -> String {
        guard !bytes.contains(UInt8(ascii: "/")), bytes.contains(UInt8(ascii: "\\")) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        return String(decoding: bytes.map { $0 == UInt8(ascii: "\\") ? UInt8(ascii: "/") : $0 }, as: UTF8.self)
    }

    /// The names libarchive listed must be the central directory's, no more, no fewer.
    static func listingMismatches(_ entries: [Entry], listed: [String]) -> [Problem] {
        // Names in another code page are converted by libarchive; compare counts only then.
        let comparable = entries.allSatisfy { $0.flags & 0x0800 != 0 || $0.nameBytes.allSatisfy { $0 < 0x80 } }
        if !comparable {
            return entries.count == listed.count ? [] : [Problem(code: .corrupt,
                message: "the central directory lists \(entries.count) entries, the local headers show \(listed.count)")]
        }
        var counts: [String: Int] = [:]
        for entry in entries { counts[listedName(entry.nameBytes), default: 0] += 1 }
        var hidden: [String] = []
        for name in listed {
            if let n = counts[name], n > 0 { counts[name] = n - 1 } else { hidden.append(name) }
        }
        let unseen = counts.filter { $0.value > 0 }.keys.sorted()
        var problems: [Problem] = []
        if !hidden.isEmpty {
            problems.append(Problem(code: .corrupt,
                message: "\(hidden.count) entr\(hidden.count == 1 ? "y" : "ies") in the local headers that the central directory does not list (e.g. \(hidden[0].prefix(200)))"))
        }
        if !unseen.isEmpty {
            problems.append(Problem(code: .corrupt,
                message: "\(unseen.count) central-directory entr\(unseen.count == 1 ? "y" : "ies") without matching local data (e.g. \(unseen[0].prefix(200)))"))
        }
        return problems
    }
}

@inline(__always) private func le16(_ b: [UInt8], _ i: Int) -> UInt16 {
    guard i >= 0, i + 2 <= b.count else { return 0 }
    return UInt16(b[i]) | UInt16(b[i + 1]) << 8
}

@inline(__always) private func le32(_ b: [UInt8], _ i: Int) -> UInt32 {
    guard i >= 0, i + 4 <= b.count else { return 0 }
    return UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
}

@inline(__always) private func le64(_ b: [UInt8], _ i: Int) -> UInt64 {
    UInt64(le32(b, i)) | UInt64(le32(b, i + 4)) << 32
}
