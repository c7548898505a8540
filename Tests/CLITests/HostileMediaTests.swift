import Foundation
import Testing

/// The archives of Tests/Fixtures/make_hostile.py, made once per test run.
enum HostileFixtures {
    static let directory: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("passbox-hostile-\(UUID().uuidString)")
        let script = fixtureScripts.appendingPathComponent("make_hostile.py").path
        let result = try? runProcess(["python3", script, dir.path])
        precondition(result?.status == 0, "make_hostile.py failed: \(result?.stderr ?? "did not run")")
        return dir
    }()
}

/// One attack: the fixture named after it, the finding it must produce, and the
/// policy it is checked under (nil: the built-in one).
struct HostileCase: Sendable, CustomTestStringConvertible {
    let fixture: String
    let code: String
    var policy: String? = nil
    /// Words the finding's message must hold (which check caught it).
    var message: String? = nil
    var testDescription: String { fixture }
}

/// Paths named `passbox-escape-*` where an extractor fooled by a fixture would write.
func escapedFiles() -> [String] {
    let places = ["/", "/tmp", "/etc", "/root", FileManager.default.temporaryDirectory.path,
                  FileManager.default.temporaryDirectory.deletingLastPathComponent().path]
    return places.flatMap { dir in
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasPrefix("passbox-escape") }.map { dir + "/" + $0 }
    }
}

@Suite(.serialized) struct HostileArchiveTests {
    static let cases: [HostileCase] = [
        .init(fixture: "path-traversal-dotdot.tar", code: "archive.path-traversal"),
        .init(fixture: "path-traversal-absolute.tar", code: "archive.path-traversal"),
        .init(fixture: "path-traversal-drive-letter.zip", code: "archive.path-traversal"),
        .init(fixture: "path-traversal-backslash.zip", code: "archive.path-traversal"),
        .init(fixture: "path-traversal-control-characters.tar", code: "archive.path-traversal"),
        .init(fixture: "path-traversal-nul-in-name.zip", code: "archive.path-traversal"),
        .init(fixture: "path-traversal-overlong-name.tar", code: "archive.path-traversal"),
        .init(fixture: "path-traversal-directory-entry.tar", code: "archive.path-traversal"),
        .init(fixture: "link-escape-symlink-absolute.tar", code: "archive.link-escape"),
        .init(fixture: "link-escape-symlink-dotdot.tar", code: "archive.link-escape"),
        .init(fixture: "link-escape-through-symlink.tar", code: "archive.link-escape"),
        .init(fixture: "link-escape-symlink-chain.tar", code: "archive.link-escape"),
        .init(fixture: "link-escape-symlink-loop.tar", code: "archive.link-escape"),
        .init(fixture: "link-escape-hardlink.tar", code: "archive.link-escape"),
        .init(fixture: "link-escape-hardlink-through-symlink.tar", code: "archive.link-escape"),
        .init(fixture: "special-file-char-device.tar", code: "archive.special-file"),
        .init(fixture: "special-file-block-device.tar", code: "archive.special-file"),
        .init(fixture: "special-file-fifo.tar", code: "archive.special-file"),
        .init(fixture: "special-file-socket.cpio", code: "archive.special-file"),
        .init(fixture: "setuid-binary.tar", code: "file.denied-type"),
        .init(fixture: "setgid-directory.tar", code: "file.denied-type"),
        .init(fixture: "hardlink-hides-elf.cpio", code: "file.denied-type", policy: "files:\n  deny: [elf]\n"),
        .init(fixture: "hardlink-data-replaces-target.cpio", code: "archive.duplicate-entry"),
        .init(fixture: "bomb-high-ratio.zip", code: "archive.limit-exceeded"),
        .init(fixture: "bomb-nested-depth.zip", code: "archive.limit-exceeded"),
        .init(fixture: "bomb-overlapping-entries.zip", code: "archive.limit-exceeded"),
        .init(fixture: "bomb-understated-size.zip", code: "archive.limit-exceeded"),
        .init(fixture: "bomb-sparse-hole.tar", code: "archive.limit-exceeded"),
        .init(fixture: "bomb-entry-count.tar", code: "archive.limit-exceeded", policy: "limits:\n  maxEntries: 1000\n"),
        .init(fixture: "bomb-total-bytes.tar", code: "archive.limit-exceeded", policy: "limits:\n  maxTotalBytes: 8MiB\n"),
        .init(fixture: "bomb-cpio-name.cpio.gz", code: "archive.limit-exceeded", message: "limits.maxMemory"),
        .init(fixture: "bomb-cpio-name-1gib.cpio.gz", code: "archive.limit-exceeded", message: "an entry header needs more than 128 MiB"),
        .init(fixture: "duplicate-entry-same-path.tar", code: "archive.duplicate-entry"),
        .init(fixture: "duplicate-entry-same-path.zip", code: "archive.duplicate-entry"),
        .init(fixture: "zip-local-header-mismatch.zip", code: "archive.corrupt"),
        .init(fixture: "zip-hidden-local-entry.zip", code: "archive.corrupt"),
        .init(fixture: "collision-case.zip", code: "archive.duplicate-entry", policy: "archive:\n  nameCollisions: reject\n"),
        .init(fixture: "collision-unicode-normalisation.tar", code: "archive.duplicate-entry"),
        .init(fixture: "corrupt-truncated.tar", code: "archive.corrupt"),
        .init(fixture: "corrupt-truncated.tar.gz", code: "archive.corrupt"),
        .init(fixture: "corrupt-truncated.tar.bz2", code: "archive.corrupt"),
        .init(fixture: "corrupt-truncated.tar.xz", code: "archive.corrupt"),
        .init(fixture: "corrupt-truncated.tar.zst", code: "archive.corrupt"),
        .init(fixture: "corrupt-truncated.zip", code: "archive.corrupt"),
        .init(fixture: "corrupt-truncated.7z", code: "archive.corrupt"),
        .init(fixture: "corrupt-truncated.iso", code: "archive.corrupt"),
        .init(fixture: "corrupt-truncated.cpio", code: "archive.corrupt"),
        .init(fixture: "corrupt-truncated.ar", code: "archive.corrupt"),
        .init(fixture: "gzip-crc-damaged.tar.gz", code: "archive.corrupt", message: "gzip CRC32 mismatch"),
        .init(fixture: "gzip-isize-damaged.tar.gz", code: "archive.corrupt", message: "gzip ISIZE mismatch"),
        .init(fixture: "gzip-truncated-trailer.tar.gz", code: "archive.corrupt", message: "truncated"),
        .init(fixture: "gzip-header-crc-damaged.tar.gz", code: "archive.corrupt", message: "gzip header CRC16 mismatch"),
        .init(fixture: "gzip-crc-damaged-nested.tar", code: "archive.corrupt", message: "gzip CRC32 mismatch"),
        .init(fixture: "corrupt-damaged-deflate.tar.gz", code: "archive.corrupt"),
        .init(fixture: "corrupt-not-a-zip.zip", code: "archive.corrupt"),
        .init(fixture: "encrypted-zipcrypto.zip", code: "archive.encrypted"),
        .init(fixture: "encrypted-7z-data.7z", code: "archive.encrypted"),
        .init(fixture: "encrypted-7z-headers.7z", code: "archive.encrypted"),
    ]

    /// Each hostile archive, signed as a whole by a trusted key, is still rejected
    /// with its finding code, and nothing is written outside the test's folder.
    @Test(arguments: cases)
    func rejectedEvenWhenSigned(_ c: HostileCase) throws {
        let before = escapedFiles()
        let w = try Workspace()
        let fixture = HostileFixtures.directory.appendingPathComponent(c.fixture)
        #expect(FileManager.default.fileExists(atPath: fixture.path), "fixture \(c.fixture) was not made")
        try FileManager.default.copyItem(at: fixture, to: w.url(c.fixture))
        let key = try w.key("vendor")
        try w.manifest(c.fixture, keys: [key], output: "signed.dsse.json")
        var args = [c.fixture, "--manifest", "signed.dsse.json"]
        if let policy = c.policy {
            try w.write("policy.yaml", policy)
            args += ["--policy", "policy.yaml"]
        }
        let r = try w.verify(args)
        #expect(r.status == 1, "\(c.fixture): exit \(r.status)\n\(r.stdout)\(r.stderr)")
        #expect(r.verdict == "rejected")
        let errors = (r.json["findings"] as? [[String: Any]] ?? []).filter { $0["severity"] as? String == "error" }
        #expect(errors.contains { $0["code"] as? String == c.code }, "\(c.fixture): \(r.findingCodes)")
        if let words = c.message {
            #expect(errors.contains { $0["code"] as? String == c.code && ($0["message"] as? String ?? "").contains(words) },
                    "\(c.fixture): \(errors)")
        }
        // The signature was good: the rejection is the archive's own doing.
        #expect(!r.findingCodes.contains("manifest.none"), "\(c.fixture): \(r.findingCodes)")
        // A limit stops reading at once, so the archive's own digest is never finished.
        let expected = c.code == "archive.limit-exceeded" ? "skipped" : "verified"
        #expect((r.json["delivery"] as? [String: Any])?["status"] as? String == expected)
        #expect(escapedFiles() == before, "a file appeared outside the test folder")
    }

    @Test func nameCollisionIsAWarningByDefault() throws {
        let w = try Workspace()
        try FileManager.default.copyItem(at: HostileFixtures.directory.appendingPathComponent("collision-case.zip"), to: w.url("c.zip"))
        let key = try w.key("vendor")
        try w.manifest("c.zip", keys: [key], output: "m.dsse.json")
        let r = try w.verify(["c.zip", "--manifest", "m.dsse.json"])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.findings("archive.duplicate-entry").first?["severity"] as? String == "warning")
    }

    @Test func setuidCanBeAllowedByPolicy() throws {
        let w = try Workspace()
        try FileManager.default.copyItem(at: HostileFixtures.directory.appendingPathComponent("setuid-binary.tar"), to: w.url("s.tar"))
        let key = try w.key("vendor")
        try w.manifest("s.tar", keys: [key], output: "m.dsse.json")
        try w.write("policy.yaml", "archive:\n  setuid: warn\n")
        let r = try w.verify(["s.tar", "--manifest", "m.dsse.json", "--policy", "policy.yaml"])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.findings("file.denied-type").first?["severity"] as? String == "warning")
    }

    /// OS packages carry symbolic links that leave the package (openssl's
    /// /usr/lib/ssl/certs -> /etc/ssl/certs, tzdata's localtime -> /etc/localtime): an
    /// error by default; `archive.symlinksOutside: warn` lets a plant that installs such
    /// packages accept them. A file written through a link and a hard link to the
    /// outside stay errors under that policy.
    @Test func symlinksOutsideCanBeAllowedByPolicy() throws {
        let w = try Workspace()
        try shell("""
            mkdir -p pkg/usr/lib/ssl && echo conf > pkg/usr/lib/ssl/openssl.cnf.dist \
              && ln -s /etc/ssl/certs pkg/usr/lib/ssl/certs && ln -s ../../../../etc/localtime pkg/usr/lib/ssl/localtime \
              && tar -C pkg -cJf pkg.tar.xz .
            """, cwd: w.dir)
        let key = try w.key("vendor")
        try w.manifest("pkg.tar.xz", keys: [key], output: "m.dsse.json")
        let strict = try w.verify(["pkg.tar.xz", "--manifest", "m.dsse.json"])
        #expect(strict.status == 1)
        #expect(strict.findings("archive.link-escape").map { $0["severity"] as? String } == ["error", "error"])
        try w.write("policy.yaml", "archive:\n  symlinksOutside: warn\n")
        let allowed = try w.verify(["pkg.tar.xz", "--manifest", "m.dsse.json", "--policy", "policy.yaml"])
        #expect(allowed.status == 0, "\(allowed.stdout)")
        #expect(allowed.findings("archive.link-escape").map { $0["severity"] as? String } == ["warning", "warning"])
        for fixture in ["link-escape-through-symlink.tar", "link-escape-hardlink.tar", "link-escape-symlink-loop.tar"] {
            try FileManager.default.copyItem(at: HostileFixtures.directory.appendingPathComponent(fixture), to: w.url(fixture))
            try w.manifest(fixture, keys: [key], output: "\(fixture).dsse.json")
            let r = try w.verify([fixture, "--manifest", "\(fixture).dsse.json", "--policy", "policy.yaml"])
            #expect(r.status == 1, "\(fixture): \(r.stdout)")
            #expect(r.findings("archive.link-escape").contains { $0["severity"] as? String == "error" }, "\(fixture)")
        }
    }

    /// A manifest that lists the harmless entries of a hostile archive verifies
    /// them, and the archive is still rejected.
    @Test func signedBenignEntriesDoNotSaveAHostileArchive() throws {
        let w = try Workspace()
        try FileManager.default.copyItem(at: HostileFixtures.directory.appendingPathComponent("link-escape-through-symlink.tar"), to: w.url("d.tar"))
        try shell("mkdir benign && tar -xOf d.tar readme.txt > benign/readme.txt", cwd: w.dir)
        let key = try w.key("vendor")
        try w.manifest("benign", keys: [key], output: "m.dsse.json")
        let r = try w.verify(["d.tar", "--manifest", "m.dsse.json"])
        #expect(r.status == 1)
        #expect(r.statuses["readme.txt"] == "verified")
        #expect(r.findingCodes.contains("archive.link-escape"))
    }

    /// libarchive 3.6 does not check gzip CRCs; passbox inflates gzip with ISA-L and
    /// checks every member's CRC32 and ISIZE: a damaged CRC is `archive.corrupt`, and
    /// the digest the manifest signed disagrees too.
    @Test func gzipCRCMismatchIsCorrupt() throws {
        let w = try Workspace()
        try FileManager.default.copyItem(at: HostileFixtures.directory.appendingPathComponent("gzip-crc-original.tar.gz"), to: w.url("d.tar.gz"))
        let key = try w.key("vendor")
        try w.manifest("d.tar.gz", keys: [key], output: "m.dsse.json")
        #expect(try w.verify(["d.tar.gz", "--manifest", "m.dsse.json"]).status == 0)
        try FileManager.default.removeItem(at: w.url("d.tar.gz"))
        try FileManager.default.copyItem(at: HostileFixtures.directory.appendingPathComponent("gzip-crc-damaged.tar.gz"), to: w.url("d.tar.gz"))
        let r = try w.verify(["d.tar.gz", "--manifest", "m.dsse.json"])
        #expect(r.status == 1)
        #expect(r.findingCodes.contains("file.mismatch"), "\(r.findingCodes)")
        #expect(r.findings("archive.corrupt").contains { ($0["message"] as? String ?? "").contains("gzip CRC32 mismatch") },
                "\(r.findingCodes)")
    }
}

/// A mounted medium is a directory: the same tricks, on a filesystem.
@Suite struct HostileMediumTests {
    private func signedMedium(_ w: Workspace) throws -> String {
        try w.standardDelivery("usb")
        let key = try w.key("vendor")
        try w.manifest("usb", keys: [key], output: "m.dsse.json")
        return "m.dsse.json"
    }

    @Test func symlinkToTheHostIsNotFollowed() throws {
        let w = try Workspace()
        let manifest = try signedMedium(w)
        try FileManager.default.createSymbolicLink(atPath: w.url("usb/etc").path, withDestinationPath: "/etc")
        let r = try w.verify(["usb", "--manifest", manifest])
        #expect(r.status == 1)
        #expect(r.findings("archive.link-escape").first?["path"] as? String == "etc")
        #expect(r.file("etc/passwd") == nil) // never walked
    }

    @Test func symlinkChainOnTheMedium() throws {
        let w = try Workspace()
        let manifest = try signedMedium(w)
        try FileManager.default.createDirectory(at: w.url("usb/a/b"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: w.url("usb/a/b/hop").path, withDestinationPath: "../..")
        try FileManager.default.createSymbolicLink(atPath: w.url("usb/entry").path, withDestinationPath: "a/b/hop/../outside")
        let r = try w.verify(["usb", "--manifest", manifest])
        #expect(r.status == 1)
        #expect(r.findings("archive.link-escape").compactMap { $0["path"] as? String } == ["entry"])
    }

    @Test func fifoIsNeverOpened() throws {
        let w = try Workspace()
        let manifest = try signedMedium(w)
        try shell("mkfifo usb/pipe", cwd: w.dir)
        let r = try w.verify(["usb", "--manifest", manifest]) // would block forever if opened
        #expect(r.status == 1)
        #expect(r.findings("archive.special-file").first?["path"] as? String == "pipe")
    }

    @Test func deviceNodeIsNeverOpened() throws {
        let w = try Workspace()
        let manifest = try signedMedium(w)
        let made = try runProcess(["mknod", "usb/zero", "c", "1", "5"], cwd: w.dir)
        try #require(made.status == 0, "mknod needs root here; skipped")
        let r = try w.verify(["usb", "--manifest", manifest]) // /dev/zero never ends
        #expect(r.status == 1)
        #expect(r.findings("archive.special-file").first?["path"] as? String == "zero")
    }

    /// A medium directory with more names than limits.maxEntries stops at the limit
    /// (the listing itself is cut there, not read whole into memory first).
    @Test func directoryWithTooManyNamesStopsAtTheLimit() throws {
        let w = try Workspace()
        let manifest = try signedMedium(w)
        for i in 0..<30 { try w.write("usb/many/f\(i).bin", "x") }
        try w.write("policy.yaml", "limits:\n  maxEntries: 20\n")
        let r = try w.verify(["usb", "--manifest", manifest, "--policy", "policy.yaml"])
        #expect(r.status == 1)
        #expect(r.findingCodes.contains("archive.limit-exceeded"), "\(r.findingCodes)")
    }

    /// A name that is not UTF-8 is opened by its own bytes (read, hashed and reported
    /// as unlisted, since no manifest can name it), not an error that stops the check.
    @Test func nonUTF8NameIsReadByItsBytes() throws {
        let w = try Workspace()
        let manifest = try signedMedium(w)
        try shell("printf 'x' > \"usb/$(printf 'bad\\377.bin')\"", cwd: w.dir)
        let r = try w.verify(["usb", "--manifest", manifest])
        #expect(r.status == 1)
        let file = try #require(r.file("bad\u{FFFD}.bin"))
        #expect((file["digests"] as? [String: Any])?["sha256"] as? String == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881")
        #expect(r.findings("file.unlisted").compactMap { $0["path"] as? String } == ["bad\u{FFFD}.bin"])
    }

    @Test func setuidFileOnTheMedium() throws {
        let w = try Workspace()
        try w.standardDelivery("usb")
        try shell("chmod 4755 usb/fw/etcher-2.4.bin", cwd: w.dir)
        let key = try w.key("vendor")
        try w.manifest("usb", keys: [key], output: "m.dsse.json")
        let r = try w.verify(["usb", "--manifest", "m.dsse.json"])
        #expect(r.status == 1)
        #expect(r.findings("file.denied-type").first?["path"] as? String == "fw/etcher-2.4.bin")
    }

    /// Two files on the medium whose names differ only in case (one would overwrite
    /// the other on Windows or macOS), in the root and in a folder.
    @Test func caseCollisionOnTheMedium() throws {
        let w = try Workspace()
        try w.standardDelivery("usb")
        try w.write("usb/Readme.txt", "other notes\n")
        try w.write("usb/fw/ETCHER-2.4.BIN", "other firmware\n")
        let key = try w.key("vendor")
        try w.manifest("usb", keys: [key], output: "m.dsse.json")
        let r = try w.verify(["usb", "--manifest", "m.dsse.json"])
        #expect(r.status == 0) // a warning under the built-in policy
        let paths = Set(r.findings("archive.duplicate-entry").compactMap { $0["path"] as? String })
        #expect(paths == ["fw/etcher-2.4.bin", "Readme.txt"]) // the later name of each pair, in byte order
    }
}

/// Files kept in memory while the delivery is read (root manifests, signatures,
/// SBOMs) are bounded all together, not only one by one.
@Suite struct CaptureBoundTests {
    @Test func manyLargeRootManifestsAreNotAllHeld() throws {
        let w = try Workspace()
        try w.standardDelivery()
        let key = try w.key("acme")
        try w.manifest("delivery", keys: [key], output: "delivery/real.dsse.json")
        // 12 × 12 MB of junk named like manifests: 144 MB, more than the 128 MiB kept in all.
        try shell("for i in $(seq 1 12); do head -c 12000000 /dev/zero | tr '\\0' a > delivery/junk$i.dsse.json; done", cwd: w.dir)
        let r = try w.verify(["delivery"])
        #expect(r.status == 1)
        let unreadable = r.findings("manifest.malformed").filter { ($0["message"] as? String ?? "").contains("could not be read") }
        #expect(!unreadable.isEmpty, "\(r.findingCodes)")
        #expect((unreadable.first?["message"] as? String ?? "").contains("128 MiB of manifests, signatures and SBOMs"))
    }
}
