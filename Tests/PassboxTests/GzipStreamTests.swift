import Foundation
@testable import InflateIO
import Intake
import Testing

/// gzip members built by hand (RFC 1952 framing around RFC 1951 stored blocks), so
/// every header field and trailer byte can be set and damaged.
enum GzipBuilder {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xedb8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xffff_ffff
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xff)] ^ (c >> 8) }
        return c ^ 0xffff_ffff
    }

    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

    /// One member holding `data` in stored deflate blocks.
    static func member(_ data: [UInt8], name: String? = nil, comment: String? = nil, extra: [UInt8]? = nil,
                       headerCRC: Bool = false) -> [UInt8] {
        var flags: UInt8 = 0
        if headerCRC { flags |= 0x02 }
        if extra != nil { flags |= 0x04 }
        if name != nil { flags |= 0x08 }
        if comment != nil { flags |= 0x10 }
        var out: [UInt8] = [0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 255]
        if let extra { out += [UInt8(extra.count & 0xff), UInt8(extra.count >> 8)] + extra }
        if let name { out += Array(name.utf8) + [0] }
        if let comment { out += Array(comment.utf8) + [0] }
        if headerCRC {
            let c = crc32(out)
            out += [UInt8(c & 0xff), UInt8((c >> 8) & 0xff)]
        }
        var rest = data[...]
        repeat {
            let block = rest.prefix(65535)
            rest = rest.dropFirst(block.count)
            let n = UInt16(block.count)
            out += [rest.isEmpty ? 1 : 0, UInt8(n & 0xff), UInt8(n >> 8), UInt8(~n & 0xff), UInt8(~n >> 8)] + block
        } while !rest.isEmpty
        return out + le32(crc32(data)) + le32(UInt32(truncatingIfNeeded: data.count))
    }

    static func text(_ lines: Int, seed: Int = 0) -> [UInt8] {
        Array((0..<lines).map { "step \($0 + seed): pressure 30 mTorr, rf 850 W\n" }.joined().utf8)
    }

    /// `data` compressed by the system's gzip (real deflate blocks, Huffman codes).
    static func gzipTool(_ data: [UInt8]) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("passbox-gz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("data")
        try Data(data).write(to: file)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -6 -n '\(file.path)'"]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return [UInt8](try Data(contentsOf: dir.appendingPathComponent("data.gz")))
    }
}

/// Inflates `stream` handed over in pieces of `chunk` bytes (the first piece given at
/// the start, as `Decompressor` does); all the output, or the error.
func inflate(_ stream: [UInt8], chunk: Int) -> Result<[UInt8], GzipError> {
    var pieces: [[UInt8]] = stride(from: 0, to: stream.count, by: chunk).map { Array(stream[$0..<min($0 + chunk, stream.count)]) }
    var current = pieces.isEmpty ? [] : pieces.removeFirst()
    let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(chunk, 1), alignment: 16)
    defer { storage.deallocate() }
    func view(_ bytes: [UInt8]) -> UnsafeRawBufferPointer {
        bytes.withUnsafeBytes { storage.copyBytes(from: $0) }
        return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[0..<bytes.count])
    }
    let gz = GzipStream(first: view(current), outputSize: 1 << 16) {
        guard !pieces.isEmpty else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        current = pieces.removeFirst()
        return view(current)
    }
    var out: [UInt8] = []
    do {
        while case let bytes = try gz.read(), bytes.count > 0 { out += bytes }
        return .success(out)
    } catch let error as GzipError {
        return .failure(error)
    } catch {
        return .failure(GzipError("unexpected \(error)"))
    }
}

@Suite struct GzipStreamTests {
    static let chunks = [1, 2, 3, 7, 8, 9, 13, 4096, 1 << 20]

    @Test(arguments: chunks)
    func storedMemberInflates(chunk: Int) throws {
        let data = GzipBuilder.text(3000)
        #expect(try inflate(GzipBuilder.member(data), chunk: chunk).get() == data)
    }

    /// FEXTRA, FNAME, FCOMMENT and FHCRC are skipped (and FHCRC checked) wherever the
    /// pieces cut them.
    @Test(arguments: chunks)
    func headerFieldsAreSkipped(chunk: Int) throws {
        let data = GzipBuilder.text(100)
        let member = GzipBuilder.member(data, name: "recipe.tar", comment: String(repeating: "long comment ", count: 500),
                                        extra: Array(repeating: 0x41, count: 3000), headerCRC: true)
        #expect(try inflate(member, chunk: chunk).get() == data)
    }

    @Test(arguments: chunks)
    func headerCRCMismatchIsDamage(chunk: Int) {
        var member = GzipBuilder.member(GzipBuilder.text(10), name: "recipe.tar", headerCRC: true)
        member[11] ^= 0x20 // a letter of FNAME
        guard case .failure(let error) = inflate(member, chunk: chunk) else {
            Issue.record("a damaged header was accepted")
            return
        }
        #expect(error.message.contains("header CRC16 mismatch"), "\(error)")
    }

    /// Concatenated members (`cat a.gz b.gz`, pigz), an empty one among them, are one stream.
    @Test(arguments: chunks)
    func membersFollowOneAnother(chunk: Int) throws {
        let a = GzipBuilder.text(500), b = GzipBuilder.text(700, seed: 9)
        let stream = GzipBuilder.member(a, name: "a") + GzipBuilder.member([]) + GzipBuilder.member(b, headerCRC: true)
        #expect(try inflate(stream, chunk: chunk).get() == a + b)
    }

    /// What follows the last member without starting another is left unread, as
    /// libarchive and `gzip -d` do (tape padding, appended data).
    @Test(arguments: chunks)
    func trailingDataIsIgnored(chunk: Int) throws {
        let data = GzipBuilder.text(200)
        for tail: [UInt8] in [Array(repeating: 0, count: 1000), Array("appended".utf8), [0x1f], [0x1f, 0x8b], [0x1f, 0x8b, 8],
                              [0x1f, 0x8b, 8, 0xe0, 0, 0], [0x1f, 0x8b, 9, 0]] {
            #expect(try inflate(GzipBuilder.member(data) + tail, chunk: chunk).get() == data, "\(tail)")
        }
    }

    @Test(arguments: chunks)
    func crcMismatchIsNamed(chunk: Int) {
        var stream = GzipBuilder.member(GzipBuilder.text(300))
        stream[stream.count - 8] ^= 0x01
        guard case .failure(let error) = inflate(stream, chunk: chunk) else {
            Issue.record("a damaged CRC32 was accepted")
            return
        }
        #expect(error.message.hasPrefix("gzip CRC32 mismatch in member 1"), "\(error)")
    }

    @Test(arguments: chunks)
    func isizeMismatchIsNamed(chunk: Int) {
        let first = GzipBuilder.member(GzipBuilder.text(10))
        var second = GzipBuilder.member(GzipBuilder.text(300))
        second[second.count - 1] ^= 0x80
        guard case .failure(let error) = inflate(first + second, chunk: chunk) else {
            Issue.record("a damaged ISIZE was accepted")
            return
        }
        #expect(error.message.hasPrefix("gzip ISIZE mismatch in member 2"), "\(error)")
    }

    /// Cut anywhere, a stream is truncated; except where the cut leaves whole members
    /// and at most three bytes that could not yet start another one.
    @Test func cutAnywhereIsTruncated() {
        let a = GzipBuilder.text(20), b = GzipBuilder.text(30, seed: 5)
        let first = GzipBuilder.member(a, name: "a", headerCRC: true)
        let stream = first + GzipBuilder.member(b, comment: "c", extra: [1, 2, 3])
        for cut in 1..<stream.count {
            let result = inflate(Array(stream[0..<cut]), chunk: 5)
            if (first.count...(first.count + 3)).contains(cut) {
                #expect((try? result.get()) == a, "cut at \(cut)")
            } else if case .failure(let error) = result {
                #expect(error.message.contains("truncated"), "cut at \(cut): \(error)")
            } else {
                Issue.record("cut at \(cut) of \(stream.count) was accepted")
            }
        }
    }

    /// Real deflate (Huffman-coded blocks from gzip -6): the trailer is read from
    /// ISA-L's bit buffer and across pieces; damage in it is still named right.
    @Test(arguments: [1, 3, 8, 1000, 1 << 20])
    func gzipToolOutput(chunk: Int) throws {
        let data = GzipBuilder.text(20000)
        let gz = try GzipBuilder.gzipTool(data)
        #expect(try inflate(gz + gz, chunk: chunk).get() == data + data)
        var crc = gz
        crc[crc.count - 6] ^= 0x10
        #expect((try? inflate(crc, chunk: chunk).get()) == nil)
        if case .failure(let error) = inflate(crc, chunk: chunk) { #expect(error.message.contains("CRC32"), "\(error)") }
        var size = gz
        size[size.count - 2] ^= 0x10
        if case .failure(let error) = inflate(size, chunk: chunk) {
            #expect(error.message.contains("ISIZE"), "\(error)")
        } else {
            Issue.record("a damaged ISIZE was accepted")
        }
        var body = gz
        body[body.count / 2] ^= 0x5a
        #expect((try? inflate(body, chunk: chunk).get()) == nil, "damaged deflate data was accepted")
    }
}

/// The gzip path through Intake: what ISA-L inflates is counted like every byte.
@Suite struct GzipIntakeTests {
    private func shellBytes(_ script: String) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("passbox-gz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "cd '\(dir.path)' && printf 'recipe\\n' > a.txt && " + script + " > out"]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return [UInt8](try Data(contentsOf: dir.appendingPathComponent("out")))
    }

    /// libarchive stops at the tar's end marker; the stream is read on to its trailer,
    /// and 256 MiB of zeros hidden after the archive trip the ratio limit.
    @Test func whatFollowsTheArchiveIsCounted() throws {
        let bomb = try shellBytes("(tar cf - a.txt; head -c 256M /dev/zero) | gzip -1")
        let inventory = Intake.run(bytes: bomb, name: "d.tar.gz")
        let codes = inventory.findings.map(\.code)
        #expect(codes.contains(.limitExceeded), "\(inventory.findings)")
        #expect(inventory.findings.contains { $0.message.contains("limits.maxRatio") }, "\(inventory.findings)")
    }

    /// A damaged stream is the archive's finding, not the entry's that was being read
    /// when the last member's trailer came in (here the last of a 3 MB file's blocks).
    @Test func streamDamageIsTheArchivesFinding() throws {
        var gz = try shellBytes("head -c 3000000 /dev/urandom > big.bin && tar cf - a.txt big.bin | gzip -6")
        gz[gz.count - 8] ^= 0x01
        let inventory = Intake.run(bytes: gz, name: "d.tar.gz")
        let corrupt = inventory.findings.filter { $0.code == .corrupt }
        #expect(corrupt.map(\.path) == ["d.tar.gz"], "\(inventory.findings)")
        #expect(corrupt.first?.message.contains("gzip CRC32 mismatch") == true)
        #expect(inventory.items.contains { $0.path == "big.bin" }, "the entries before the damage showed are listed")
    }

    /// A damaged trailer after the tar's end is found too (libarchive never reads it).
    @Test func trailerAfterTheArchiveIsChecked() throws {
        var gz = try shellBytes("tar cf - a.txt | gzip -6")
        let clean = Intake.run(bytes: gz, name: "d.tar.gz")
        #expect(clean.findings.isEmpty, "\(clean.findings)")
        #expect(clean.items.contains { $0.path == "a.txt" })
        gz[gz.count - 7] ^= 0x01
        let damaged = Intake.run(bytes: gz, name: "d.tar.gz")
        #expect(damaged.findings.contains { $0.code == .corrupt && $0.message.contains("gzip CRC32 mismatch") }, "\(damaged.findings)")
    }
}
