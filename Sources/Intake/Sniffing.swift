import ArchiveIO
import CryptoIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
