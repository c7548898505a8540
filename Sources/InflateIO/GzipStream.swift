internal import CISAL

/// Why a gzip stream cannot be read: its bytes are damaged or cut short. The message
/// says which part (header, deflate data, CRC32, ISIZE) and which member.
public struct GzipError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The inflated bytes of a gzip stream (RFC 1952), inflated by ISA-L's igzip.
///
/// Pulls its compressed bytes from `pull` (each buffer valid until the next pull, an
/// empty one at the end) and hands out inflated bytes in its own buffer (valid until
/// the next `read`). Every member's CRC32 and ISIZE are checked (ISA-L compares the
/// trailer with what it inflated); members may follow one another (`cat a.gz b.gz`,
/// pigz); the header's FEXTRA, FNAME and FCOMMENT are skipped as they stream past
/// (never held: a name of gigabytes costs time, not memory) and FHCRC is checked.
///
/// After the last member: bytes that do not start another member (1f 8b 08 and a
/// flags byte with its reserved bits zero) are trailing data, left unread, as
/// libarchive's gzip reader and `gzip -d` ("trailing garbage ignored") do; a member
/// that has begun must be complete. One owner of one `struct inflate_state`.
public final class GzipStream {
    private let state: UnsafeMutablePointer<inflate_state>
    private let output: UnsafeMutableRawBufferPointer
    private let pull: () throws -> UnsafeRawBufferPointer

    /// The current compressed buffer and how far it was consumed.
    private var chunk: UnsafeRawBufferPointer
    private var position = 0
    private var inputEnded = false
    /// The last (up to 8) compressed bytes before `chunk`: a trailer can straddle buffers.
    private var history: [UInt8] = []

    private enum Phase { case header, body, between, done }
    private var phase = Phase.header

    /// Members begun so far (1 while the first is read).
    public private(set) var members = 0
    /// Inflated bytes handed out so far, all members.
    public private(set) var inflatedBytes: Int64 = 0

    /// `first`: bytes already read from the stream's start (valid until the first
    /// pull), handed over before `pull` is asked. `outputSize`: the most bytes one
    /// `read` returns (256 KiB stay in cache while they are parsed and copied on:
    /// about 2% less CPU than 1 MiB on a 1 GiB tar.gz).
    public init(first: UnsafeRawBufferPointer, outputSize: Int = 256 << 10,
                pull: @escaping () throws -> UnsafeRawBufferPointer) {
        state = .allocate(capacity: 1)
        isal_inflate_init(state)
        output = .allocate(byteCount: max(outputSize, 1 << 16), alignment: 64)
        chunk = first
        self.pull = pull
    }

    deinit {
        state.deallocate()
        output.deallocate()
    }

    /// The next inflated bytes (valid until the next call), or an empty buffer at the end.
    /// The buffer is filled across member boundaries (a member of a few bytes is not
    /// handed out alone: libarchive's read-ahead then sizes its buffers differently).
    /// An error found after some bytes came out is thrown by the next call.
    public func read() throws -> UnsafeRawBufferPointer {
        if let failure { throw failure }
        var filled = 0
        do {
            while filled < output.count {
                switch phase {
                case .done:
                    return handOut(filled)
                case .header:
                    try readHeader(start: [])
                    phase = .body
                case .between:
                    if let start = try anotherMember() {
                        try readHeader(start: start)
                        phase = .body
                    } else {
                        phase = .done
                    }
                case .body:
                    let produced = try inflate(into: filled)
                    filled += produced
                    // Full, or the input is spent for now: hand out what there is.
                    if produced > 0 && phase == .body { return handOut(filled) }
                }
            }
        } catch let error as GzipError {
            failure = error
            if filled == 0 { throw error }
        }
        return handOut(filled)
    }

    /// Set once the stream proved damaged: every later read throws it.
    private var failure: GzipError?

    private func handOut(_ count: Int) -> UnsafeRawBufferPointer {
        inflatedBytes += Int64(count)
        return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(output)[0..<count])
    }

    // MARK: input

    /// Moves to the next compressed buffer; false at the end of the input.
    private func refill() throws -> Bool {
        guard !inputEnded else { return false }
        if chunk.count >= 8 {
            history = Array(chunk[(chunk.count - 8)...])
        } else {
            history = Array((history + chunk).suffix(8))
        }
        chunk = try pull()
        position = 0
        if chunk.isEmpty { inputEnded = true }
        return !chunk.isEmpty
    }

    private func nextByte() throws -> UInt8? {
        while position >= chunk.count {
            guard try refill() else { return nil }
        }
        defer { position += 1 }
        return chunk[position]
    }

    // MARK: header

    /// Reads one member's header (RFC 1952 section 2.3), up to its deflate data;
    /// `start`: its first bytes, already read.
    private func readHeader(start: [UInt8]) throws {
        members += 1
        var crc = HeaderCRC()
        var known = start[...]
        func byte(_ what: String) throws -> UInt8 {
            if let b = known.popFirst() {
                crc.add(b)
                return b
            }
            guard let b = try nextByte() else {
                throw GzipError("gzip stream truncated in the header of member \(members) (\(what))")
            }
            crc.add(b)
            return b
        }
        let id1 = try byte("magic"), id2 = try byte("magic"), method = try byte("method"), flags = try byte("flags")
        guard id1 == 0x1f, id2 == 0x8b else { throw GzipError("gzip member \(members) does not start with the gzip magic") }
        guard method == 8 else { throw GzipError("gzip member \(members): compression method \(method) is not deflate") }
        guard flags & 0xe0 == 0 else { throw GzipError("gzip member \(members): reserved header flags are set") }
        for _ in 0..<6 { _ = try byte("MTIME, XFL, OS") }
        if flags & 0x04 != 0 { // FEXTRA: a little-endian length, then that many bytes
            let low = try byte("FEXTRA length"), high = try byte("FEXTRA length")
            // `start` (at most the 4 bytes up to the flags) is spent: the rest is in the stream.
            try skipHeaderBytes(Int(high) << 8 | Int(low), crc: &crc, what: "FEXTRA")
        }
        if flags & 0x08 != 0 { try skipThroughZero(crc: &crc, what: "FNAME") }
        if flags & 0x10 != 0 { try skipThroughZero(crc: &crc, what: "FCOMMENT") }
        if flags & 0x02 != 0 { // FHCRC: the low 16 bits of the CRC32 of the header so far
            let expected = crc.value & 0xffff
            let low = try byte("FHCRC"), high = try byte("FHCRC")
            guard UInt32(high) << 8 | UInt32(low) == expected else {
                throw GzipError("gzip header CRC16 mismatch in member \(members): the compressed stream is damaged")
            }
        }
        if members > 1 { isal_inflate_reset(state) }
        // Raw deflate; ISA-L keeps the CRC32 of the output and checks it and ISIZE
        // against the trailer, which it reads itself (even across buffers).
        state.pointee.crc_flag = UInt32(ISAL_GZIP_NO_HDR_VER)
    }

    /// Skips `count` header bytes of the stream, a buffer at a time (FEXTRA).
    private func skipHeaderBytes(_ count: Int, crc: inout HeaderCRC, what: String) throws {
        var remaining = count
        while remaining > 0 {
            if position >= chunk.count {
                guard try refill() else { throw GzipError("gzip stream truncated in the header of member \(members) (\(what))") }
                continue
            }
            let take = min(remaining, chunk.count - position)
            crc.add(UnsafeRawBufferPointer(rebasing: chunk[position..<(position + take)]))
            position += take
            remaining -= take
        }
    }

    /// Skips a zero-terminated header field (FNAME, FCOMMENT), its zero included,
    /// scanning each buffer once: a name as long as the stream costs one pass.
    private func skipThroughZero(crc: inout HeaderCRC, what: String) throws {
        while true {
            if position >= chunk.count {
                guard try refill() else { throw GzipError("gzip stream truncated in the header of member \(members) (\(what))") }
                continue
            }
            var end = position
            while end < chunk.count, chunk[end] != 0 { end += 1 }
            let found = end < chunk.count
            let stop = found ? end + 1 : end
            crc.add(UnsafeRawBufferPointer(rebasing: chunk[position..<stop]))
            position = stop
            if found { return }
        }
    }

    /// After a member: does another one begin? Reads the 4 bytes that would say so
    /// (they start its header); nil when what follows is the end or trailing data.
    private func anotherMember() throws -> [UInt8]? {
        guard let id1 = try nextByte(), id1 == 0x1f, let id2 = try nextByte(), id2 == 0x8b,
              let method = try nextByte(), method == 8,
              let flags = try nextByte(), flags & 0xe0 == 0 else { return nil }
        return [id1, id2, method, flags]
    }

    // MARK: body

    /// Inflates into `output` from `offset`; returns the bytes produced (`phase` is
    /// `.between` once the member ended, its trailer checked).
    private func inflate(into offset: Int) throws -> Int {
        while true {
            if position >= chunk.count, !inputEnded { _ = try refill() }
            let available = chunk.count - position
            let fed = min(available, 1 << 30)
            state.pointee.next_in = chunk.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: UInt8.self) + position) }
            state.pointee.avail_in = UInt32(fed)
            guard let out = output.baseAddress, offset < output.count else { return 0 }
            state.pointee.next_out = (out + offset).assumingMemoryBound(to: UInt8.self)
            state.pointee.avail_out = UInt32(output.count - offset)
            let status = isal_inflate(state)
            let consumed = fed - Int(state.pointee.avail_in)
            position += consumed
            let produced = output.count - offset - Int(state.pointee.avail_out)
            if status < 0 { throw error(status) }
            if state.pointee.block_state == ISAL_BLOCK_FINISH {
                phase = .between
                return produced
            }
            if produced > 0 { return produced }
            if position >= chunk.count, inputEnded {
                throw GzipError("gzip stream truncated in member \(members): the compressed stream ends before its data and trailer")
            }
            if consumed == 0, fed > 0 {
                throw GzipError("gzip member \(members): the inflater made no progress")
            }
        }
    }

    private func error(_ status: Int32) -> GzipError {
        switch status {
        case ISAL_INCORRECT_CHECKSUM:
            return trailerMismatch()
        case ISAL_INVALID_BLOCK:
            return GzipError("gzip member \(members): invalid deflate block: the compressed stream is damaged")
        case ISAL_INVALID_SYMBOL:
            return GzipError("gzip member \(members): invalid deflate code: the compressed stream is damaged")
        case ISAL_INVALID_LOOKBACK:
            return GzipError("gzip member \(members): deflate distance too far back: the compressed stream is damaged")
        default:
            return GzipError("gzip member \(members): inflate failed (ISA-L status \(status))")
        }
    }

    /// Which of the trailer's fields disagrees: the trailer is the 8 bytes just consumed.
    private func trailerMismatch() -> GzipError {
        let before = UnsafeRawBufferPointer(rebasing: chunk[0..<min(position, chunk.count)])
        let trailer = Array((history + before).suffix(8))
        let computedCRC = state.pointee.crc
        let computedSize = state.pointee.total_out
        if trailer.count == 8 {
            let storedCRC = UInt32(trailer[0]) | UInt32(trailer[1]) << 8 | UInt32(trailer[2]) << 16 | UInt32(trailer[3]) << 24
            let storedSize = UInt32(trailer[4]) | UInt32(trailer[5]) << 8 | UInt32(trailer[6]) << 16 | UInt32(trailer[7]) << 24
            if storedCRC != computedCRC {
                return GzipError("gzip CRC32 mismatch in member \(members): the compressed stream is damaged (trailer \(hex(storedCRC)), data \(hex(computedCRC)))")
            }
            if storedSize != computedSize {
                return GzipError("gzip ISIZE mismatch in member \(members): the compressed stream is damaged (trailer says \(storedSize) bytes mod 2^32, \(computedSize) inflated)")
            }
        }
        return GzipError("gzip CRC32/ISIZE mismatch in member \(members): the compressed stream is damaged")
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

/// The CRC32 of a gzip header as it streams past (ISA-L's CRC, fed in slices).
private struct HeaderCRC {
    private var crc: UInt32 = 0
    private var buffer: [UInt8] = []

    mutating func add(_ byte: UInt8) {
        buffer.append(byte)
        if buffer.count >= 4096 { flush() }
    }

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        flush()
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        crc = crc32_gzip_refl(crc, base.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
    }

    var value: UInt32 {
        mutating get {
            flush()
            return crc
        }
    }

    private mutating func flush() {
        guard !buffer.isEmpty else { return }
        crc = buffer.withUnsafeBytes { crc32_gzip_refl(crc, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64($0.count)) }
        buffer.removeAll(keepingCapacity: true)
    }
}
