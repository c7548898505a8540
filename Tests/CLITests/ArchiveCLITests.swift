import Foundation
import XCTest

/// Deliveries that arrive as archives, made by the real tools.
final class ArchiveCLITests: XCTestCase {

    /// Builds `src/` (firmware, recipe, a nested zip) in a workspace.
    private func source(_ w: Workspace) throws {
        try w.standardDelivery("src")
        try shell("cd src && mkdir -p inner && echo 'inner tool' > inner/tool.sh && zip -qr tools.zip inner && rm -r inner", cwd: w.dir)
    }

    /// An archive delivery is verified by a manifest over its entries (the archive's
    /// root is the delivery root); the manifest travels inside the archive.
    /// `pack(dir)` is the shell command that packs folder `dir` into `name`.
    private func assertArchiveDelivery(_ name: String, expectedFormat: String, pack: (String) -> String) throws {
        let w = try Workspace()
        try source(w)
        let key = try w.key("acme")
        try w.manifest("src", keys: [key], output: "src/delivery.dsse.json")
        try shell(pack("src"), cwd: w.dir)
        let r = try w.verify([name])
        XCTAssertEqual(r.status, 0, "\(name): \(r.stdout)")
        let delivery = try XCTUnwrap(r.json["delivery"] as? [String: Any])
        XCTAssertEqual(delivery["kind"] as? String, "archive")
        XCTAssertTrue((delivery["format"] as? String ?? "").contains(expectedFormat), "\(delivery)")
        XCTAssertEqual(r.statuses["fw/etcher-2.4.bin"], "verified")
        XCTAssertEqual(r.statuses["tools.zip"], "verified")
        XCTAssertEqual(r.statuses["tools.zip!/inner/tool.sh"], "covered")
        XCTAssertNil(r.file("delivery.dsse.json"))

        // The same archive with one changed entry is rejected.
        try shell("mkdir t && bsdtar -xf \(name) -C t && printf X >> t/recipes/oxide.recipe && rm \(name) && \(pack("t"))", cwd: w.dir)
        let bad = try w.verify([name])
        XCTAssertEqual(bad.status, 1, "\(name): \(bad.stdout)")
        XCTAssertEqual(bad.findingCodes, ["file.mismatch"])
        XCTAssertEqual(bad.findings("file.mismatch").first?["path"] as? String, "recipes/oxide.recipe")
    }

    func testTarGzDelivery() throws {
        try assertArchiveDelivery("d.tar.gz", expectedFormat: "gzip") { "tar czf d.tar.gz -C \($0) ." }
    }

    func testZipDelivery() throws {
        try assertArchiveDelivery("d.zip", expectedFormat: "ZIP") { "(cd \($0) && zip -qr ../d.zip .)" }
    }

    func test7zDelivery() throws {
        try assertArchiveDelivery("d.7z", expectedFormat: "7-Zip") { "(cd \($0) && 7z a -bd -bso0 -bsp0 ../d.7z .)" }
    }

    func testArchiveVerifiedAsAWholeCoversItsEntries() throws {
        let w = try Workspace()
        try source(w)
        let key = try w.key("acme")
        try shell("mkdir drop && tar cJf drop/firmware-2.4.tar.xz -C src .", cwd: w.dir)
        // The vendor signs the archive file itself.
        try w.manifest("drop/firmware-2.4.tar.xz", keys: [key], output: "fw.dsse.json")
        let r = try w.verify(["drop/firmware-2.4.tar.xz", "--manifest", "fw.dsse.json"])
        XCTAssertEqual(r.status, 0, r.stdout)
        XCTAssertEqual((r.json["delivery"] as? [String: Any])?["status"] as? String, "verified")
        XCTAssertEqual(r.statuses["fw/etcher-2.4.bin"], "covered")
        XCTAssertEqual(r.statuses["tools.zip!/inner/tool.sh"], "covered")
    }

    func testZipInsideTarInDirectory() throws {
        let w = try Workspace()
        try w.write("payload/a.bin", Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 * 7) }))
        try shell("mkdir delivery && (cd payload && zip -qr ../inner.zip .) && tar cf delivery/bundle.tar inner.zip", cwd: w.dir)
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "m.dsse.json")
        let r = try w.verify(["delivery", "--manifest", "m.dsse.json"])
        XCTAssertEqual(r.status, 0, r.stdout)
        XCTAssertEqual(r.statuses["bundle.tar"], "verified")
        XCTAssertEqual(r.statuses["bundle.tar!/inner.zip"], "covered")
        XCTAssertEqual(r.statuses["bundle.tar!/inner.zip!/a.bin"], "covered")
        // An entry inside an unverified archive is unlisted, by its full path.
        try shell("cp delivery/bundle.tar delivery/copy.tar", cwd: w.dir)
        let extra = try w.verify(["delivery", "--manifest", "m.dsse.json"])
        XCTAssertEqual(extra.status, 1)
        XCTAssertEqual(Set(extra.findings("file.unlisted").compactMap { $0["path"] as? String }),
                       ["copy.tar", "copy.tar!/inner.zip", "copy.tar!/inner.zip!/a.bin"])
    }

    /// A nested zip over `limits.maxInMemoryZipBytes` (32 MiB) is read as a stream:
    /// its entries are still listed and hashed, and its central directory is still
    /// checked against the local headers from the kept end of the stream, so a local
    /// header renamed after the fact is caught as in a zip held in memory.
    func testLargeNestedZipIsStreamedAndStillCrossChecked() throws {
        let w = try Workspace()
        try shell("""
            mkdir -p payload delivery bad
            head -c 40000000 /dev/urandom > payload/big.bin
            printf 'firmware\\n' > payload/fw.bin
            (cd payload && zip -q -0 ../inner.zip big.bin fw.bin)
            tar cf delivery/bundle.tar inner.zip
            python3 - <<'PY'
            data = bytearray(open("inner.zip", "rb").read())
            at = data.rfind(b"PK\\x03\\x04")  # fw.bin's local header (the last one)
            assert bytes(data[at + 30:at + 36]) == b"fw.bin"
            data[at + 30:at + 36] = b"ev.bin"
            open("inner-renamed.zip", "wb").write(bytes(data))
            PY
            mv inner-renamed.zip inner.zip && tar cf bad/bundle.tar inner.zip
            """, cwd: w.dir)
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "m.dsse.json")
        let r = try w.verify(["delivery", "--manifest", "m.dsse.json"])
        XCTAssertEqual(r.status, 0, r.stdout)
        XCTAssertEqual(r.statuses["bundle.tar!/inner.zip!/big.bin"], "covered")
        XCTAssertEqual(r.statuses["bundle.tar!/inner.zip!/fw.bin"], "covered")
        try w.manifest("bad", keys: [key], output: "bad.dsse.json")
        let bad = try w.verify(["bad", "--manifest", "bad.dsse.json"])
        XCTAssertEqual(bad.status, 1, bad.stdout)
        XCTAssertTrue(bad.findingCodes.contains("archive.corrupt"), "\(bad.findingCodes)")
    }

    /// Every digest passbox reports equals sha256sum / sha512sum of the same bytes,
    /// for files on the medium, nested archive entries and a sparse tar entry.
    func testDigestsEqualCoreutils() throws {
        let w = try Workspace()
        try w.standardDelivery("d")
        try shell("""
            truncate -s 3M sparse.img
            printf 'begin' | dd of=sparse.img bs=1 seek=100000 conv=notrunc status=none
            printf 'end' | dd of=sparse.img bs=1 seek=2000000 conv=notrunc status=none
            tar --sparse -cf d/sparse.tar sparse.img
            mkdir -p n/deeper && head -c 300000 /dev/urandom > n/deeper/blob.bin && echo text > n/t.txt
            (cd n && zip -qr ../inner.zip .)
            tar czf d/nested.tar.gz inner.zip
            (cd n && 7z a -bd -bso0 -bsp0 ../d/n.7z .)
            """, cwd: w.dir)
        let r = try w.verify(["d", "--digests", "sha512"]) // sha256 always; sha512 asked for
        XCTAssertEqual(r.status, 1) // no manifest: the digests are what is checked here
        var expected: [String: (String, String)] = [:]
        func sums(_ path: String) throws -> (String, String) {
            let a = try shell("sha256sum '\(path)' | cut -d' ' -f1", cwd: w.dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let b = try shell("sha512sum '\(path)' | cut -d' ' -f1", cwd: w.dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            return (a, b)
        }
        expected["fw/etcher-2.4.bin"] = try sums("d/fw/etcher-2.4.bin")
        expected["sparse.tar"] = try sums("d/sparse.tar")
        expected["sparse.tar!/sparse.img"] = try sums("sparse.img")
        expected["nested.tar.gz"] = try sums("d/nested.tar.gz")
        expected["nested.tar.gz!/inner.zip"] = try sums("inner.zip")
        expected["nested.tar.gz!/inner.zip!/deeper/blob.bin"] = try sums("n/deeper/blob.bin")
        expected["nested.tar.gz!/inner.zip!/t.txt"] = try sums("n/t.txt")
        expected["n.7z!/deeper/blob.bin"] = try sums("n/deeper/blob.bin")
        for (path, (sha256, sha512)) in expected {
            let file = try XCTUnwrap(r.file(path), "no \(path) in \(r.statuses.keys.sorted())")
            let digests = try XCTUnwrap(file["digests"] as? [String: String])
            XCTAssertEqual(digests["sha256"], sha256, path)
            XCTAssertEqual(digests["sha512"], sha512, path)
        }
        XCTAssertEqual(r.file("sparse.tar!/sparse.img")?["size"] as? Int, 3 * 1024 * 1024)
    }

    /// Encrypted or compressed firmware is random-looking: one image in every 16,000
    /// starts with 1f 8b (gzip), 1f 9d (compress) or 71 c7 / c7 71 (binary cpio). Such
    /// images were opened as archives, failed, and a delivery whose signed manifest
    /// names them exactly was rejected as archive.corrupt.
    func testRandomFirmwareStartingWithAnArchiveMagicIsContent() throws {
        let w = try Workspace()
        var seed: UInt64 = 0x853c_49e6_748f_ea9b
        func random(_ count: Int) -> [UInt8] {
            (0..<count).map { _ in
                seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
                return UInt8(truncatingIfNeeded: seed >> 32)
            }
        }
        // Each was taken for an archive and failed before: "unreadable archive" (cpio),
        // "Invalid compressed data" (compress); gzip's magic with a method other than deflate.
        let heads: [(String, [UInt8])] = [
            ("fw-le.enc", [0xc7, 0x71, 0x00, 0x80, 0xde, 0x98]), ("fw-be.enc", [0x71, 0xc7, 0xda, 0xa8, 0x5c, 0xd5]),
            ("fw-z.enc", [0x1f, 0x9d, 0x0a, 0x1c, 0xa7, 0xcb]), ("fw-gz.enc", [0x1f, 0x8b, 0x07, 0x00]),
        ]
        for (name, head) in heads {
            try w.write("d/\(name)", Data(head + random(40_000)))
        }
        let key = try w.key("acme")
        try w.manifest("d", keys: [key], output: "d/delivery.dsse.json")
        let r = try w.verify(["d"])
        XCTAssertEqual(r.status, 0, r.stdout)
        XCTAssertEqual(r.findingCodes, [])
        for (name, _) in heads {
            XCTAssertEqual(r.statuses[name], "verified", name)
            XCTAssertEqual(r.file(name)?["kind"] as? String, "regular", name)
        }
    }

    /// A tree with hard links (busybox and its applets), signed as a tree and shipped
    /// as tar (links without data) and as newc cpio (the data on the group's last name,
    /// the others empty): every name has the group's content, as extracting gives.
    func testHardLinksOfASignedTreeVerify() throws {
        let w = try Workspace()
        try w.standardDelivery("src")
        try w.write("src/bin/busybox", Data((0..<9000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }))
        try shell("ln src/bin/busybox src/bin/sh && ln src/bin/busybox src/bin/ls", cwd: w.dir)
        let key = try w.key("acme")
        try w.manifest("src", keys: [key], output: "m.dsse.json")
        try shell("(cd src && tar cf ../tree.tar . && find . -type f | cpio -o -H newc > ../tree.cpio 2>/dev/null)", cwd: w.dir)
        let sha = try shell("sha256sum src/bin/busybox | cut -d' ' -f1", cwd: w.dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for archive in ["tree.tar", "tree.cpio"] {
            let listing = try shell("bsdtar -tvf \(archive) | grep -c 'link to'", cwd: w.dir).stdout
            XCTAssertEqual(listing.trimmingCharacters(in: .whitespacesAndNewlines), "2", "\(archive) stores two of the three names as links")
            let r = try w.verify([archive, "--manifest", "m.dsse.json"])
            XCTAssertEqual(r.status, 0, "\(archive): \(r.findingCodes) \(r.stdout.prefix(1500))")
            for name in ["bin/busybox", "bin/sh", "bin/ls"] {
                XCTAssertEqual(r.statuses[name], "verified", "\(archive) \(name)")
                XCTAssertEqual((r.file(name)?["digests"] as? [String: String])?["sha256"], sha, "\(archive) \(name)")
                XCTAssertEqual(r.file(name)?["size"] as? Int, 9000, "\(archive) \(name)")
            }
        }
        // A link whose manifest entry says other content is a mismatch, like a file.
        try shell("printf X >> src/bin/busybox && rm m.dsse.json", cwd: w.dir)
        try w.manifest("src", keys: [key], output: "m.dsse.json")
        let bad = try w.verify(["tree.tar", "--manifest", "m.dsse.json"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(Set(bad.findings("file.mismatch").compactMap { $0["path"] as? String }), ["bin/busybox", "bin/sh", "bin/ls"])
    }

    /// Symbolic links of a signed tree: `manifest create` records them in passbox's
    /// predicate, and `verify` compares each link's target (before, the pair disagreed:
    /// the manifest skipped links and verify rejected them as unlisted).
    func testSymbolicLinksOfASignedTreeVerify() throws {
        let w = try Workspace()
        try w.standardDelivery("usb")
        try w.write("usb/lib/libctl.so.2.4", Data((0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 13) }))
        try shell("ln -s libctl.so.2.4 usb/lib/libctl.so.2 && ln -s ../fw/etcher-2.4.bin usb/lib/firmware.bin", cwd: w.dir)
        let key = try w.key("acme")
        try w.manifest("usb", keys: [key], output: "m.dsse.json")
        let payload = try shell("python3 -c \"import json,base64,sys; e=json.load(open('m.dsse.json')); print(json.dumps(json.loads(base64.b64decode(e['payload']))['predicate']['links'], sort_keys=True))\"", cwd: w.dir)
        XCTAssertEqual(payload.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
                       #"[{"name": "lib/firmware.bin", "target": "../fw/etcher-2.4.bin"}, {"name": "lib/libctl.so.2", "target": "libctl.so.2.4"}]"#)
        let r = try w.verify(["usb", "--manifest", "m.dsse.json"])
        XCTAssertEqual(r.status, 0, "\(r.findingCodes)")
        XCTAssertEqual(r.statuses["lib/libctl.so.2"], "verified")
        XCTAssertEqual(r.file("lib/libctl.so.2")?["kind"] as? String, "symlink")

        // Pointed elsewhere: mismatch, saying both targets.
        try shell("ln -sfn libctl.so.2.3 usb/lib/libctl.so.2", cwd: w.dir)
        let retargeted = try w.verify(["usb", "--manifest", "m.dsse.json"])
        XCTAssertEqual(retargeted.status, 1)
        XCTAssertEqual(retargeted.findingCodes, ["file.mismatch"])
        let message = retargeted.findings("file.mismatch").first?["message"] as? String ?? ""
        XCTAssertTrue(message.contains("libctl.so.2.3") && message.contains("libctl.so.2.4"), message)

        // Gone: missing. A new link: unlisted. A file where the link was: unlisted and missing.
        try shell("rm usb/lib/libctl.so.2 && ln -s /etc/passwd-not-here usb/lib/extra", cwd: w.dir)
        let changed = try w.verify(["usb", "--manifest", "m.dsse.json"])
        XCTAssertEqual(changed.status, 1)
        XCTAssertEqual(changed.findings("file.missing").first?["path"] as? String, "lib/libctl.so.2")
        XCTAssertEqual(changed.statuses["lib/libctl.so.2"], "missing")
        XCTAssertEqual(changed.findings("file.unlisted").first?["path"] as? String, "lib/extra")
        try shell("rm usb/lib/extra && printf 'not a link' > usb/lib/libctl.so.2", cwd: w.dir)
        let replaced = try w.verify(["usb", "--manifest", "m.dsse.json"])
        XCTAssertEqual(Set(replaced.findingCodes), ["file.unlisted", "file.missing"])

        // A link that leaves the tree is recorded, and manifest create says verify will reject it.
        try shell("ln -s ../../etc/passwd usb/lib/pw", cwd: w.dir)
        let made = try w.passbox(["manifest", "create", "usb", "--key", key, "-o", "m2.dsse.json"])
        XCTAssertEqual(made.status, 0, made.stderr)
        XCTAssertTrue(made.stderr.contains("verify rejects this whatever the manifest says") && made.stderr.contains("lib/pw: archive.link-escape"), made.stderr)
    }

    /// A static library (GNU ar with its symbol index "/" and long-name table "//",
    /// which libarchive hands out as entries) in a signed SDK tree: its members are
    /// listed and covered, and the index tables are no "absolute path" (before: two
    /// archive.path-traversal errors for every .a file).
    func testStaticLibraryIndexIsNotAnEntry() throws {
        let w = try Workspace()
        try w.write("sdk/src/ctl.c", "int passbox_ctl_version(void) { return 24; }\n")
        try w.write("sdk/src/win32/ctl.c", "int passbox_ctl_win32(void) { return 32; }\n")
        // Two members named ctl.o (from two folders), as real static libraries have.
        try shell("""
            cd sdk/src && clang -c ctl.c -o ctl.o && cp ctl.o controller-interface-with-a-long-name.o \
              && clang -c win32/ctl.c -o win32/ctl.o \
              && ar rcs ../libctl.a ctl.o controller-interface-with-a-long-name.o && ar q ../libctl.a win32/ctl.o && ranlib ../libctl.a && rm *.o win32/*.o
            """, cwd: w.dir)
        XCTAssertTrue(try shell("bsdtar -tf sdk/libctl.a", cwd: w.dir).stdout.hasPrefix("/\n//\n"), "libarchive lists the index tables")
        let key = try w.key("acme")
        try w.manifest("sdk", keys: [key], output: "m.dsse.json")
        let r = try w.verify(["sdk", "--manifest", "m.dsse.json"])
        XCTAssertEqual(r.status, 0, "\(r.findingCodes) \(r.stdout.prefix(1500))")
        XCTAssertEqual(r.file("libctl.a")?["kind"] as? String, "archive")
        XCTAssertEqual(r.statuses["libctl.a!/ctl.o"], "covered")
        XCTAssertEqual(r.statuses["libctl.a!/controller-interface-with-a-long-name.o"], "covered")
        XCTAssertNil(r.file("libctl.a!//"))
        // The repeated member name: a warning (before: an error that rejected the Swift
        // toolchain's own libswiftCore.a), an error when the plant rejects name collisions.
        XCTAssertEqual(r.findings("archive.duplicate-entry").map { $0["severity"] as? String }, ["warning"])
        try w.write("strict.yaml", "archive:\n  nameCollisions: reject\n")
        let strict = try w.verify(["sdk", "--manifest", "m.dsse.json", "--policy", "strict.yaml"])
        XCTAssertEqual(strict.status, 1)
        XCTAssertEqual(strict.findingCodes, ["archive.duplicate-entry"])
    }

    /// A zip made on Windows with backslashes as separators (PowerShell 5's
    /// Compress-Archive writes `tools\setup.ini`): libarchive reads them as folders, and
    /// the central-directory check now does too (before: two archive.corrupt findings,
    /// "entries the central directory does not list"). A name mixing both separators
    /// is still refused.
    func testWindowsZipWithBackslashesVerifies() throws {
        let w = try Workspace()
        try w.write("src/tools/setup.ini", "[setup]\n")
        try w.write("src/tools/bin/run.cmd", "@echo off\r\n")
        let key = try w.key("acme")
        try w.manifest("src", keys: [key], output: "m.dsse.json")
        try w.write("make.py", """
            import zipfile
            with zipfile.ZipFile('win.zip', 'w', zipfile.ZIP_DEFLATED) as z:
                for name in ['tools\\\\setup.ini', 'tools\\\\bin\\\\run.cmd']:
                    info = zipfile.ZipInfo(name)
                    info.create_system = 0
                    z.writestr(info, open('src/' + name.replace('\\\\', '/'), 'rb').read())
            with zipfile.ZipFile('mixed.zip', 'w') as z:
                z.writestr('tools/bin\\\\run.cmd', b'x')

            """)
        try shell("python3 make.py", cwd: w.dir)
        XCTAssertTrue(try shell("unzip -l win.zip", cwd: w.dir).stdout.contains(#"tools\setup.ini"#))
        let r = try w.verify(["win.zip", "--manifest", "m.dsse.json"])
        XCTAssertEqual(r.status, 0, "\(r.findingCodes) \(r.stdout.prefix(1500))")
        XCTAssertEqual(r.statuses["tools/setup.ini"], "verified")
        XCTAssertEqual(r.statuses["tools/bin/run.cmd"], "verified")
        let mixed = try w.verify(["mixed.zip"])
        XCTAssertEqual(mixed.findings("archive.path-traversal").count, 1, "\(mixed.findingCodes)")
        XCTAssertTrue(mixed.findings("archive.corrupt").isEmpty, "\(mixed.findingCodes)")
    }

    /// A tree's manifest (recording its links) and another naming the tar of it: the
    /// links inside the verified tar are covered, and present, not missing.
    func testRecordedLinksInsideAVerifiedArchiveAreNotMissing() throws {
        let w = try Workspace()
        try w.write("tree/lib/libctl.so.2.4", "library\n")
        try shell("ln -s libctl.so.2.4 tree/lib/libctl.so.2 && tar -C tree -cf tree.tar .", cwd: w.dir)
        let key = try w.key("acme")
        try w.manifest("tree", keys: [key], output: "tree.dsse.json")
        try w.manifest("tree.tar", keys: [key], output: "tar.dsse.json")
        let r = try w.verify(["tree.tar", "--manifest", "tree.dsse.json", "--manifest", "tar.dsse.json"])
        XCTAssertEqual(r.status, 0, "\(r.findingCodes)")
        XCTAssertEqual(r.findingCodes, [])
    }

    func testOtherFormatsOpen() throws {
        let w = try Workspace()
        try w.write("src/a.bin", Data((0..<20000).map { UInt8(truncatingIfNeeded: $0 &* 31) }))
        try w.write("src/b.txt", "b\n")
        try shell("""
            mkdir d
            (cd src && find . -type f | cpio -o -H newc > ../d/x.cpio 2>/dev/null)
            (cd src && ar rc ../d/x.a a.bin b.txt)
            (cd src && bsdtar -cf ../d/x.iso --format iso9660 .)
            (cd src && tar cjf ../d/x.tar.bz2 . && tar --zstd -cf ../d/x.tar.zst .)
            (cd src && find . -type f | cpio -o -H bin > ../d/bin.cpio 2>/dev/null)
            (cd src && bsdtar -cZf ../d/x.tar.Z .)
            """, cwd: w.dir)
        let r = try w.verify(["d"])
        let sha = try shell("sha256sum src/a.bin | cut -d' ' -f1", cwd: w.dir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for container in ["x.cpio", "x.a", "x.iso", "x.tar.bz2", "x.tar.zst", "bin.cpio", "x.tar.Z"] {
            XCTAssertEqual(r.file(container)?["kind"] as? String, "archive", container)
            let entry = r.file("\(container)!/a.bin")
            XCTAssertEqual((entry?["digests"] as? [String: String])?["sha256"], sha, container)
        }
    }
}
