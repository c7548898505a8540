import CryptoIO
import Foundation
@testable import Intake
import Testing

@Suite struct SafePathTests {
    @Test(arguments: [
        ("fw/a.bin", "fw/a.bin"), ("./fw//a.bin", "fw/a.bin"), ("dir/", "dir"), ("ünïcode/名前.bin", "ünïcode/名前.bin"),
        ("a/./b", "a/b"), ("a/.", "a"), (".", "."), ("./", "."), (".hidden/.x", ".hidden/.x"), ("...", "..."), ("a/...b/..c", "a/...b/..c"),
    ])
    func safeNames(_ name: String, _ expected: String) {
        #expect((try? safeRelativePath(name, maxLength: 4096).get()) == expected)
    }

    @Test(arguments: ["../etc/passwd", "a/../../b", "/etc/passwd", "C:\\Windows\\x", "c:/x", "a\\..\\b", "a\u{0}b", "a\nb", "", "..", "a/..", "a/../b", "//etc"])
    func unsafeNames(_ name: String) {
        #expect((try? safeRelativePath(name, maxLength: 4096).get()) == nil)
    }

    @Test func overlongName() {
        #expect((try? safeRelativePath(String(repeating: "a", count: 5000), maxLength: 4096).get()) == nil)
    }

    @Test func linkTargets() {
        var g = LinkGraph()
        g.add(path: "a/b/link", target: "../c")
        g.add(path: "a/out", target: "../../etc")
        g.add(path: "abs", target: "/etc/passwd")
        #expect(Set(g.escapingLinks().map(\.path)) == ["a/out", "abs"])
    }

    @Test func linkChains() {
        var g = LinkGraph()
        g.add(path: "one", target: "two/x")      // inside only if two stays inside
        g.add(path: "two", target: "three/..")
        g.add(path: "three", target: "../../host") // leads out
        #expect(Set(g.escapingLinks().map(\.path)) == ["one", "two", "three"])
        #expect(g.resolve("two/file", followLast: false) == .escapes(via: "two"))
    }

    @Test func linkLoops() {
        var g = LinkGraph()
        g.add(path: "a", target: "b")
        g.add(path: "b", target: "a")
        #expect(g.resolve("a", followLast: true) == .loops)
        #expect(g.escapingLinks().count == 2)
    }

    @Test func writingThroughALink() {
        var g = LinkGraph()
        g.add(path: "etc", target: "/etc")
        g.add(path: "docs", target: "share/doc")
        #expect(g.resolve("etc/passwd", followLast: false) == .escapes(via: "etc"))
        #expect(g.resolve("docs/readme", followLast: false) == .inside(path: "share/doc/readme", via: "docs"))
        #expect(g.resolve("plain/file", followLast: false) == .inside(path: "plain/file", via: nil))
    }
}

@Suite struct DigestTests {
    @Test func knownAnswers() {
        #expect(Hex.encode(Hasher.digest(.sha256, Data("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(Hasher.digest(.sha384, Data())).hasPrefix("38b060a751ac9638"))
        #expect(Hex.encode(Hasher.digest(.sha512, Data("abc".utf8))).hasPrefix("ddaf35a193617aba"))
    }

    @Test func hexRoundTrip() {
        #expect(Hex.decode("00ffA0") == [0, 255, 160])
        #expect(Hex.decode("0g") == nil)
        #expect(Hex.decode("abc") == nil)
    }

    @Test func constantTimeCompare() {
        #expect(constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEqual([1, 2], [1, 2, 3]))
    }

    @Test func intakeHashesAFileOnce() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("passbox-intake-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) })
        try bytes.write(to: dir.appendingPathComponent("big.bin"))
        var options = IntakeOptions()
        options.algorithms = [.sha256, .sha512]
        let inventory = try Intake.run(path: dir.path, options: options)
        let item = try #require(inventory.items.first { $0.path == "big.bin" })
        #expect(item.size == 3_000_000)
        #expect(item.digests[.sha256] == Hex.encode(Hasher.digest(.sha256, bytes)))
        #expect(item.digests[.sha512] == Hex.encode(Hasher.digest(.sha512, bytes)))
    }

    /// Digests go into the items as their streams finish (every 4,096 items), not at
    /// the end: in a folder of 9,000 files each file still gets its own digests, of
    /// both algorithms, with the list sized by a hint or grown.
    @Test(arguments: [0, 9_000])
    func manyFilesEachGetTheirOwnDigests(expectedEntries: Int) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("passbox-many-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        func content(_ n: Int) -> Data { Data("file \(n) ".utf8 + [UInt8](repeating: UInt8(truncatingIfNeeded: n), count: n % 700)) }
        for folder in 0..<3 {
            let sub = dir.appendingPathComponent("d\(folder)")
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            for n in (folder * 3000)..<((folder + 1) * 3000) {
                try content(n).write(to: sub.appendingPathComponent(String(format: "f%05d", n)))
            }
        }
        var options = IntakeOptions()
        options.algorithms = [.sha256, .sha384]
        options.expectedEntries = expectedEntries
        let inventory = try Intake.run(path: dir.path, options: options)
        let files = inventory.items.filter { $0.kind == .regular }
        #expect(files.count == 9000)
        var wrong = 0
        for item in files {
            guard let n = Int(item.path.suffix(5)) else { wrong += 1; continue }
            let bytes = content(n)
            if !item.complete || item.digests[.sha256] != Hex.encode(Hasher.digest(.sha256, bytes))
                || item.digests[.sha384] != Hex.encode(Hasher.digest(.sha384, bytes)) { wrong += 1 }
        }
        #expect(wrong == 0)
    }
}

@Suite struct PipelineTests {
    /// Streams interleave (an archive's bytes and its entries'), each (stream, algorithm)
    /// goes to one hasher of several (workers, or the producer itself, which may hand a
    /// stream to a worker midway), some streams are empty and some span many batches:
    /// every digest must still equal the one-shot digest of the stream's bytes.
    @Test(arguments: [1, 2, 3, 5], [[DigestAlgorithm.sha256], [.sha256, .sha512], [.sha512, .sha384, .sha256]])
    func interleavedStreamsGiveTheOneShotDigests(workers: Int, algorithms: [DigestAlgorithm]) {
        for sharing in [DigestPipeline.Sharing.adaptive, .workersOnly, .producerOnly, .handOffAfterFirstPiece] {
            interleavedStreams(workers: workers, algorithms: algorithms, sharing: sharing)
        }
    }

    private func interleavedStreams(workers: Int, algorithms: [DigestAlgorithm], sharing: DigestPipeline.Sharing) {
        let pipeline = DigestPipeline(algorithms: algorithms, workerCount: workers, batchCapacity: 64 << 10, maxPendingBytes: 256 << 10,
                                      sharing: sharing)
        var contents: [[UInt8]] = [[]]
        var seed: UInt64 = 0x9e37_79b9_7f4a_7c15
        func next() -> UInt64 {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
            return seed
        }
        for stream in 1...150 {
            let size = stream % 10 == 0 ? 0 : Int(next() % (stream % 7 == 0 ? 300_000 : 5_000))
            let bytes = (0..<size).map { _ in UInt8(truncatingIfNeeded: next()) }
            contents.append(bytes)
            // The container's bytes around each entry's, as a tar reader would feed them.
            let header = (0..<512).map { _ in UInt8(truncatingIfNeeded: next()) }
            contents[0] += header
            header.withUnsafeBytes { pipeline.feed(0, $0) }
            if stream % 3 != 0 { pipeline.expect(stream, size: Int64(size)) } // some announced, as entries are
            var offset = 0
            while offset < bytes.count {
                let n = min(bytes.count - offset, 1 + Int(next() % 70_000))
                if stream % 4 == 1 {
                    // Read straight into the batch, as a file on disk is.
                    var done = 0
                    while done < n {
                        done += pipeline.fill(stream) { space in
                            let k = min(space.count, n - done)
                            bytes[(offset + done)..<(offset + done + k)].withUnsafeBytes { space.copyMemory(from: $0) }
                            return k
                        }
                    }
                } else {
                    bytes[offset..<offset + n].withUnsafeBytes { pipeline.feed(stream, $0) }
                }
                bytes[offset..<offset + n].withUnsafeBytes { pipeline.feed(0, $0) }
                contents[0] += bytes[offset..<offset + n]
                offset += n
            }
            pipeline.finish(stream)
        }
        pipeline.finish(0)
        let digests = byStream(pipeline.close())
        #expect(digests.count == contents.count)
        for (stream, bytes) in contents.enumerated() where stream < digests.count {
            #expect(digests[stream].algorithms == algorithms.sorted())
            for algorithm in algorithms {
                #expect(digests[stream][algorithm] == Hex.encode(Hasher.digest(algorithm, bytes)), "\(algorithm) stream \(stream) \(sharing)")
            }
        }
    }

    /// Bytes read with `fillPinned` stay where they are while many batches pass
    /// through the pool (an archive reader is still parsing them), and parts of them fed
    /// again as another stream are hashed in place, giving the same digests.
    @Test(arguments: [DigestPipeline.Sharing.adaptive, .workersOnly, .producerOnly, .handOffAfterFirstPiece])
    func pinnedBytesStayPutAndHashInPlace(sharing: DigestPipeline.Sharing) {
        let pipeline = DigestPipeline(algorithms: [.sha256, .sha512], workerCount: 2, batchCapacity: 128 << 10, maxPendingBytes: 256 << 10,
                                      sharing: sharing)
        let chunk = (0..<(100 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        let (n, bytes) = pipeline.fillPinned(0) { space in
            chunk.withUnsafeBytes { space.copyMemory(from: $0) }
            return chunk.count
        }
        #expect(n == chunk.count)
        // Entries inside the pinned bytes, fed in place (same batch).
        pipeline.feed(1, UnsafeRawBufferPointer(rebasing: bytes[512..<4608]))
        pipeline.finish(1)
        // Plenty of other data: without the pin, the batch would be recycled and overwritten.
        let other = [UInt8](repeating: 0xee, count: 3 << 20)
        for _ in 0..<4 { other.withUnsafeBytes { pipeline.feed(2, $0) } }
        pipeline.finish(2)
        let unchanged = Array(bytes) == chunk // (a Bool: a failure would print 100 KiB of bytes)
        #expect(unchanged)
        // Fed again after the batch moved on: copied, same content.
        pipeline.feed(3, UnsafeRawBufferPointer(rebasing: bytes[8192..<20480]))
        pipeline.finish(3)
        pipeline.releasePin()
        pipeline.finish(0)
        let digests = byStream(pipeline.close())
        #expect(digests.count == 4)
        for algorithm in [DigestAlgorithm.sha256, .sha512] where digests.count == 4 {
            #expect(digests[0][algorithm] == Hex.encode(Hasher.digest(algorithm, chunk)))
            #expect(digests[1][algorithm] == Hex.encode(Hasher.digest(algorithm, chunk[512..<4608])))
            #expect(digests[2][algorithm] == Hex.encode(Hasher.digest(algorithm, [UInt8](repeating: 0xee, count: 12 << 20))))
            #expect(digests[3][algorithm] == Hex.encode(Hasher.digest(algorithm, chunk[8192..<20480])))
        }
    }

    /// The fuzzer found a worker → thread → worker cycle that leaked every batch of
    /// every verification; a long-running kiosk would have grown without end.
    @Test func workersAreFreedAfterClose() async throws {
        var pipeline: DigestPipeline? = DigestPipeline(algorithms: [.sha256, .sha512])
        weak let worker = pipeline?.workers.first
        pipeline?.feed(0, UnsafeRawBufferPointer(start: nil, count: 0))
        pipeline?.finish(0)
        _ = pipeline?.close()
        pipeline = nil
        for _ in 0..<100 where worker != nil {
            try await Task.sleep(nanoseconds: 10_000_000) // the thread lets go just after close returns
        }
        #expect(worker == nil)
    }
}

@Suite struct FuzzRegressionTests {
    /// Inputs the intake fuzzer once crashed on (Tests/Fixtures/fuzz-regressions/intake-*):
    /// each must now give an inventory whose items all have a path and, when read
    /// to the end, their digests.
    @Test func intakeRegressions() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fuzz-regressions")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("intake-") }
        #expect(!names.isEmpty)
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
            let inventory = Intake.run(bytes: bytes, name: name)
            for item in inventory.items {
                #expect(!item.path.isEmpty, "\(name)")
                if item.complete && (item.kind == .regular || item.kind == .archive) {
                    #expect(item.digests.sha256 != nil, "\(name): \(item.path)")
                }
            }
        }
    }
}

/// An inventory holds one `Item` per file: the compact fields keep what was set.
@Suite struct ItemLayoutTests {
    @Test func compactFieldsRoundTrip() {
        var item = Item(path: "a.tar!/b", kind: .regular, size: 7, digests: Digests(), container: 3, depth: 2, mode: 0o4755, complete: true)
        #expect(item.container == 3 && item.depth == 2 && item.mode == 0o4755 && item.format == nil && item.linkTarget == nil)
        item.format = "POSIX ustar format"
        item.linkTarget = "../x"
        #expect(item.format == "POSIX ustar format" && item.linkTarget == "../x")
        item.format = nil
        #expect(item.format == nil && item.linkTarget == "../x")
        let copy = item
        item.linkTarget = "y"
        #expect(copy.linkTarget == "../x" && item.linkTarget == "y") // values, not shared state
        item.container = nil
        item.mode = nil
        item.mode = item.mode // nil stays nil, 0 is a mode
        #expect(item.container == nil && item.mode == nil)
        item.mode = 0
        #expect(item.mode == 0)
        let top = Item(path: "x", kind: .directory, size: 0, digests: Digests(), container: nil, depth: 0, mode: nil, complete: true)
        #expect(top.container == nil && top.mode == nil && top.depth == 0)
        // 64 bytes of fields and the 32-byte SHA-256 held inline (Digests): no buffer
        // of 80 bytes per item for it, as before (64 + 80).
        #expect(MemoryLayout<Digests>.stride <= 48)
        #expect(MemoryLayout<Item>.stride <= 96)
    }
}

/// The name table keyed by hash says what a table keyed by the folded text says,
/// also when every folded form has the same hash.
@Suite struct CollisionTrackerTests {
    /// The plain definition: the first name per folded form, and the names that
    /// collided before.
    struct Reference {
        var first: [String: String] = [:]
        var others: Set<String> = []
        mutating func record(_ name: String) -> CollisionTracker.Outcome {
            let folded = CollisionTracker.fold(name)
            guard let earlier = first[folded] else {
                first[folded] = name
                return .new
            }
            if earlier == name { return .duplicate }
            return others.insert(name).inserted ? .collides(earlier) : .duplicate
        }
    }

    @Test(arguments: [false, true])
    func sameOutcomesAsTheReference(poorHash: Bool) {
        var tracker = poorHash ? CollisionTracker(hash: { $0.utf8.count % 3 }) : CollisionTracker()
        var reference = Reference()
        let stems = ["fw/a.bin", "FW/A.bin", "fw/A.BIN", "caf\u{e9}.txt", "cafe\u{301}.txt", "CAF\u{c9}.TXT", "b", "B", "dir/x", "dir/y"]
        var rng = SplitMix(seed: poorHash ? 7 : 11)
        var outcomes: [CollisionTracker.Outcome] = []
        for _ in 0..<2000 {
            let name = stems[Int(rng.next() % UInt64(stems.count))] + (rng.next() % 4 == 0 ? "" : String(rng.next() % 40))
            let got = tracker.record(name)
            #expect(got == reference.record(name), "\(name)")
            outcomes.append(got)
        }
        #expect(outcomes.contains(.new) && outcomes.contains(.duplicate))
        #expect(outcomes.contains { if case .collides = $0 { true } else { false } })
    }

    @Test func foldedFormsCollideAndExactRepeatsAreDuplicates() {
        var t = CollisionTracker()
        #expect(t.record("fw/Update.bin") == .new)
        #expect(t.record("fw/update.bin") == .collides("fw/Update.bin"))
        #expect(t.record("fw/update.bin") == .duplicate)
        #expect(t.record("fw/Update.bin") == .duplicate)
        #expect(t.record("caf\u{e9}") == .new)
        // Swift compares names by canonical equivalence: the NFD spelling of an NFC
        // name is the same name, a duplicate (an error), stricter than a collision.
        #expect(t.record("cafe\u{301}") == .duplicate)
        #expect(t.record("CAFE\u{301}") == .collides("caf\u{e9}"))
    }
}

/// Format recognition by magic numbers: real archives and compressed streams are
/// opened, random content is not (a high-entropy firmware image starting with a
/// two-byte magic was reported as a corrupt archive and rejected a signed delivery).
@Suite struct SniffTests {
    private func sniffed(_ bytes: [UInt8]) -> Sniffed { bytes.withUnsafeBytes { sniff($0) } }

    /// Output of a real tool run in a scratch directory holding `a` (text) and `b` (random bytes).
    private func made(_ script: String, output: String) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("passbox-sniff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("hello\n".utf8).write(to: dir.appendingPathComponent("a"))
        try Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }).write(to: dir.appendingPathComponent("b"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = dir
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(script)")
        return [UInt8](try Data(contentsOf: dir.appendingPathComponent(output)))
    }

    @Test func realStreamsAreRecognised() throws {
        #expect(sniffed(try made("gzip -c b > out", output: "out")) == .compressed)
        #expect(sniffed(try made("bzip2 -c b > out", output: "out")) == .compressed)
        #expect(sniffed(try made("bzip2 -c < /dev/null > out", output: "out")) == .compressed) // empty: end-of-stream marker
        #expect(sniffed(try made("bsdtar -cZf out a b", output: "out")) == .compressed)       // compress (.Z)
        #expect(sniffed(try made("bsdtar -cZf out a", output: "out")) == .compressed)
        #expect(sniffed(try made("printf 'a\\nb\\n' | cpio -o -H bin > out 2>/dev/null", output: "out")) == .streamable) // c7 71
        #expect(sniffed(try made("cpio -o -H bin < /dev/null > out 2>/dev/null", output: "out")) == .streamable)      // trailer only
        #expect(sniffed(try made("printf 'a\\nb\\n' | cpio -o -H odc > out 2>/dev/null", output: "out")) == .streamable)
    }

    /// A binary cpio written on a big-endian machine (71 c7), built field by field.
    @Test func bigEndianBinaryCpioIsRecognised() {
        func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }
        let name = Array("fw.bin".utf8) + [0]
        var header = be16(0o070707) + be16(1) + be16(2) + be16(0o100644) + be16(0) + be16(0) + be16(1) + be16(0)
        header += be16(0) + be16(0) + be16(name.count) + be16(0) + be16(4)
        let archive = header + name + [0] + Array("data".utf8)
        #expect(archive.prefix(2) == [0x71, 0xc7])
        #expect(sniffed(archive) == .streamable)
        var noNul = archive
        noNul[26 + name.count - 1] = 0x41
        #expect(sniffed(noNul) == .none)
    }

    /// 20,000 random 4 KiB contents behind each weak magic: none is taken for an
    /// archive (before, all of them were, and failed as archive.corrupt; with only the
    /// first header bytes checked, 3 to 11 of them per magic still were).
    @Test(arguments: [[0x1f, 0x8b], [0x1f, 0x9d], [0x71, 0xc7], [0xc7, 0x71], Array("BZh".utf8)] as [[UInt8]])
    func randomContentBehindAWeakMagicIsContent(magic: [UInt8]) {
        var seed: UInt64 = 0x2545_f491_4f6c_dd1d &+ UInt64(magic[0]) << 8 &+ UInt64(magic[1])
        var taken = 0
        var words = [UInt64](repeating: 0, count: 512) // 4 KiB
        for _ in 0..<20_000 {
            for i in words.indices {
                seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
                words[i] = seed
            }
            words.withUnsafeMutableBytes { raw in
                for (i, byte) in magic.enumerated() { raw[i] = byte }
                if sniff(UnsafeRawBufferPointer(raw)) != .none { taken += 1 }
            }
        }
        #expect(taken == 0)
    }
}

/// Hashing on the calling thread (the fuzzer's setting) gives the digests the pool gives.
@Suite struct CallingThreadHashingTests {
    @Test func sameDigestsWithoutAWorkerPool() throws {
        let tar = try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Demo/delivery/tools/calib-tool-1.3.tar.gz"))
        var pooled = IntakeOptions()
        pooled.algorithms = [.sha256, .sha512]
        var inline = pooled
        inline.hashOnCallingThread = true
        let a = Intake.run(bytes: [UInt8](tar), name: "t.tar.gz", options: pooled)
        let b = Intake.run(bytes: [UInt8](tar), name: "t.tar.gz", options: inline)
        #expect(a.items.count > 1)
        #expect(a.items.map(\.path) == b.items.map(\.path))
        #expect(a.items.map(\.digests) == b.items.map(\.digests))
        #expect(b.items.allSatisfy { !$0.complete || $0.kind == .directory || $0.digests.sha512 != nil })
    }
}

/// The pipeline's digests by stream number as a list (a stream never finished: empty).
private func byStream(_ finished: [Int: Digests]) -> [Digests] {
    (0..<(finished.keys.max().map { $0 + 1 } ?? 0)).map { finished[$0] ?? Digests() }
}
