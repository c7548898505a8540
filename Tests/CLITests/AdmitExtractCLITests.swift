import Foundation
import CryptoIO
import Station
import XCTest

/// `admit` with the policy's `admit: {extract: ...}`: archives unpacked (docs/station.md).
final class AdmitExtractCLITests: XCTestCase {

    private func stationKey(_ ws: Workspace) throws {
        let r = try ws.passbox(["keygen", "-o", "keys/station"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try FileManager.default.createDirectory(at: ws.url("station-ts/keys"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: ws.url("keys/station.pem"), to: ws.url("station-ts/keys/station.pem"))
        try FileManager.default.createDirectory(at: ws.url("share"), withIntermediateDirectories: true)
    }

    /// content/ (with a symlink) packed as fw.tar.gz, signed by a trusted vendor key.
    private func archiveDelivery(_ ws: Workspace) throws {
        try ws.standardDelivery("content")
        try FileManager.default.createSymbolicLink(atPath: ws.url("content/recipes/link").path, withDestinationPath: "oxide.recipe")
        try shell("tar -C content -czf fw.tar.gz .", cwd: ws.dir)
        let key = try ws.key("vendor")
        try ws.manifest("fw.tar.gz", keys: [key], output: "fw.dsse.json")
        try stationKey(ws)
    }

    private func admit(_ ws: Workspace, _ path: String, extra: [String] = []) throws -> RunResult {
        try ws.passbox(["admit", path, "--to", "share", "--station-key", "keys/station.key", "--trust-store", "ts", "--format", "json"] + extra)
    }

    private func listing(_ ws: Workspace, _ dir: String) throws -> [String] {
        (try FileManager.default.subpathsOfDirectory(atPath: ws.url(dir).path)).sorted()
    }

    private func folder(_ ws: Workspace) throws -> String {
        try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: ws.url("share").path).first { !$0.hasSuffix(".json") })
    }

    func testAdmitExtractsAVerifiedTarGz() throws {
        let ws = try Workspace()
        try archiveDelivery(ws)
        try ws.write("policy.yaml", "admit:\n  extract: [\"*.tar.gz\"]\n")
        let r = try admit(ws, "fw.tar.gz", extra: ["--manifest", "fw.dsse.json", "--policy", "policy.yaml"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let name = try folder(ws)
        // The verified regular entries, not the archive, not the symlink.
        XCTAssertEqual(try listing(ws, "share/\(name)"), ["README.txt", "fw", "fw/etcher-2.4.bin", "recipes", "recipes/oxide.recipe"])
        for file in ["README.txt", "fw/etcher-2.4.bin", "recipes/oxide.recipe"] {
            XCTAssertEqual(try ws.read("share/\(name)/\(file)"), try ws.read("content/\(file)"), file)
            let attrs = try FileManager.default.attributesOfItem(atPath: ws.url("share/\(name)/\(file)").path)
            XCTAssertEqual((attrs[.posixPermissions] as? NSNumber)?.intValue, 0o644)
            // The digest verify computed for the entry is the one of the written file.
            let sha = Hex.encode(Hasher.digest(.sha256, try ws.read("share/\(name)/\(file)")))
            XCTAssertEqual((r.file(file)?["digests"] as? [String: String])?["sha256"], sha, file)
        }
        let dirAttrs = try FileManager.default.attributesOfItem(atPath: ws.url("share/\(name)/fw").path)
        XCTAssertEqual((dirAttrs[.posixPermissions] as? NSNumber)?.intValue, 0o755)
        // The receipt's subjects are the extracted files, and the content matches.
        let receipt = "share/\(name).receipt.dsse.json"
        let envelope = try XCTUnwrap(try JSONSerialization.jsonObject(with: ws.read(receipt)) as? [String: Any])
        let payload = try XCTUnwrap(Data(base64Encoded: envelope["payload"] as? String ?? ""))
        let statement = try XCTUnwrap(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
        let names = (statement["subject"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }.sorted()
        XCTAssertEqual(names, ["README.txt", "fw/etcher-2.4.bin", "recipes/oxide.recipe"])
        let ok = try ws.passbox(["receipt", "verify", receipt, "--trust-store", "station-ts", "--content", "share/\(name)"])
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertEqual(try ws.passbox(["log", "verify"]).status, 0)
    }

    /// A busybox tree with hard links, signed as a whole, shipped as tar (links without
    /// data) and as newc cpio (the group's data on its last name): every name is
    /// admitted as a regular file holding the group's content.
    func testHardLinkedNamesAreExtractedAsCopies() throws {
        for (archive, pack) in [("tree.tar", "tar -C tree -cf tree.tar ."), ("tree.cpio", "(cd tree && find . -type f | cpio -o -H newc > ../tree.cpio 2>/dev/null)")] {
            let ws = try Workspace()
            try ws.write("tree/bin/busybox", Data((0..<7000).map { UInt8(truncatingIfNeeded: $0 &* 11 &+ 5) }))
            try ws.write("tree/etc/motd", "hello\n")
            try shell("ln tree/bin/busybox tree/bin/sh && ln tree/bin/busybox tree/bin/ls && \(pack)", cwd: ws.dir)
            let key = try ws.key("vendor")
            try ws.manifest(archive, keys: [key], output: "m.dsse.json")
            try stationKey(ws)
            try ws.write("policy.yaml", "admit:\n  extract: true\n")
            let r = try admit(ws, archive, extra: ["--manifest", "m.dsse.json", "--policy", "policy.yaml"])
            XCTAssertEqual(r.status, 0, "\(archive): " + r.stdout + r.stderr)
            let name = try folder(ws)
            XCTAssertEqual(try listing(ws, "share/\(name)"), ["bin", "bin/busybox", "bin/ls", "bin/sh", "etc", "etc/motd"], archive)
            for file in ["bin/busybox", "bin/sh", "bin/ls"] {
                XCTAssertEqual(try ws.read("share/\(name)/\(file)"), try ws.read("tree/bin/busybox"), "\(archive) \(file)")
            }
        }
    }

    /// A static library is unpacked too: its ar index tables ("/", "//"), which
    /// libarchive lists as entries, are skipped by the reader itself, so verify and the
    /// extraction see the same members (skipped only in verify, the "/" entry was an
    /// unsafe name that aborted the extraction).
    func testStaticLibraryIsExtracted() throws {
        let ws = try Workspace()
        try ws.write("sdk/src/ctl.c", "int passbox_ctl(void) { return 1; }\n")
        try shell("cd sdk/src && clang -c ctl.c -o a-long-object-file-name.o && ar rcs ../libctl.a a-long-object-file-name.o && rm -r ../src",
                  cwd: ws.dir)
        let key = try ws.key("vendor")
        try ws.manifest("sdk", keys: [key], output: "m.dsse.json")
        try stationKey(ws)
        try ws.write("policy.yaml", "admit:\n  extract: true\n")
        let r = try admit(ws, "sdk", extra: ["--manifest", "m.dsse.json", "--policy", "policy.yaml"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let name = try folder(ws)
        let admitted = try listing(ws, "share/\(name)")
        XCTAssertTrue(admitted.contains { $0.hasSuffix("/a-long-object-file-name.o") }, "\(admitted)")
    }

    func testArchiveInsideADirectoryDeliveryIsExtractedBesideTheFiles() throws {
        let ws = try Workspace()
        try ws.write("kit/a.txt", "a\n")
        try ws.write("kit/sub/b.txt", "b\n")
        try ws.write("delivery/notes.txt", "notes\n")
        try FileManager.default.createDirectory(at: ws.url("delivery/tools"), withIntermediateDirectories: true)
        try shell("tar -C kit -czf delivery/tools/kit.tar.gz .", cwd: ws.dir)
        let key = try ws.key("vendor")
        try ws.manifest("delivery", keys: [key], output: "delivery/delivery.dsse.json",
                        extra: ["--vendor", "Acme", "--product", "kit", "--version", "1.0", "--kind", "tool"])
        try stationKey(ws)
        try ws.write("policy.yaml", "admit:\n  extract: true\n")
        let r = try admit(ws, "delivery", extra: ["--policy", "policy.yaml"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let name = try folder(ws)
        XCTAssertEqual(try listing(ws, "share/\(name)"), ["notes.txt", "tools", "tools/kit", "tools/kit/a.txt", "tools/kit/sub", "tools/kit/sub/b.txt"])
        XCTAssertEqual(try ws.passbox(["receipt", "verify", "share/\(name).receipt.dsse.json", "--trust-store", "station-ts",
                                       "--content", "share/\(name)"]).status, 0)
    }

    func testNonExtractPolicyAdmitsTheArchiveFileItself() throws {
        let ws = try Workspace()
        try archiveDelivery(ws)
        try ws.write("policy.yaml", "admit:\n  extract: [\"*.zip\"]\n")
        let r = try admit(ws, "fw.tar.gz", extra: ["--manifest", "fw.dsse.json", "--policy", "policy.yaml"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let name = try folder(ws)
        XCTAssertEqual(try listing(ws, "share/\(name)"), ["fw.tar.gz"])
        XCTAssertEqual(try ws.read("share/\(name)/fw.tar.gz"), try ws.read("fw.tar.gz"))
        // Malformed admit sections and the files section are refused (exit 2).
        for bad in ["admit:\n  extract: 3\n", "admit:\n  unpack: true\n", "admit: [x]\n", "files:\n  x: y\n"] {
            try ws.write("bad.yaml", bad)
            XCTAssertEqual(try admit(ws, "fw.tar.gz", extra: ["--manifest", "fw.dsse.json", "--policy", "bad.yaml"]).status, 2, bad)
        }
    }

    /// The extraction re-hashes every entry as it is written: an entry whose digest
    /// differs from the verified one aborts the whole admission, nothing is left.
    func testExtractionRefusesWhenAnEntryDigestDiffers() throws {
        let ws = try Workspace()
        try archiveDelivery(ws)
        let report = try ws.verify(["fw.tar.gz", "--manifest", "fw.dsse.json"])
        XCTAssertEqual(report.status, 0, report.stdout)
        let entries = try ["README.txt", "fw/etcher-2.4.bin"].map { path -> AdmitFile in
            let f = try XCTUnwrap(report.file(path))
            let d = try XCTUnwrap(f["digests"] as? [String: String])
            return AdmitFile(source: path, name: path, size: (f["size"] as? NSNumber)?.int64Value ?? -1,
                             digests: Digests(sha256: d["sha256"], sha512: d["sha512"]))
        }
        let share = ws.url("share").path
        // As verified: extracts.
        let ok = try Admission.copyToIncoming(sourceRoot: ws.dir.path, files: [],
                                              extract: [ExtractArchive(source: "fw.tar.gz", into: "", entries: entries, maxPathLength: 4096)],
                                              destination: share)
        XCTAssertEqual(ok.copied.map(\.name).sorted(), ["README.txt", "fw/etcher-2.4.bin"])
        try FileManager.default.removeItem(atPath: share + "/" + ok.incoming)
        // A wrong expected digest for one entry: nothing.
        var wrong = entries
        wrong[1].digests.sha256 = String(repeating: "0", count: 64)
        XCTAssertThrowsError(try Admission.copyToIncoming(sourceRoot: ws.dir.path, files: [],
                                                          extract: [ExtractArchive(source: "fw.tar.gz", into: "", entries: wrong, maxPathLength: 4096)],
                                                          destination: share)) { error in
            XCTAssertTrue(error is FileChanged, "\(error)")
            XCTAssertTrue("\(error)".contains("fw/etcher-2.4.bin"), "\(error)")
        }
        XCTAssertEqual(try listing(ws, "share"), [], "the incoming folder is removed")
        // A verified entry no longer in the archive, and one that is a link now: refused.
        var absent = entries
        absent.append(AdmitFile(source: "gone.txt", name: "gone.txt", size: 1, digests: Digests(sha256: String(repeating: "0", count: 64))))
        XCTAssertThrowsError(try Admission.copyToIncoming(sourceRoot: ws.dir.path, files: [],
                                                          extract: [ExtractArchive(source: "fw.tar.gz", into: "", entries: absent, maxPathLength: 4096)],
                                                          destination: share)) { error in
            XCTAssertTrue("\(error)".contains("gone.txt"), "\(error)")
        }
        let link = AdmitFile(source: "recipes/link", name: "recipes/link", size: 0, digests: Digests(sha256: String(repeating: "0", count: 64)))
        XCTAssertThrowsError(try Admission.copyToIncoming(sourceRoot: ws.dir.path, files: [],
                                                          extract: [ExtractArchive(source: "fw.tar.gz", into: "", entries: [link], maxPathLength: 4096)],
                                                          destination: share)) { error in
            XCTAssertTrue("\(error)".contains("symlink"), "\(error)")
        }
        XCTAssertEqual(try listing(ws, "share"), [])
    }
}

/// The audit record's `medium`: the block device the input was on (docs/station.md).
final class AuditMediumCLITests: XCTestCase {

    /// The mount source /proc/self/mountinfo gives for `path`'s filesystem, if any.
    private func mountSource(of path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0, let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        let dev = UInt64(st.st_dev)
        let id = "\(((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))):\((dev & 0xff) | ((dev >> 12) & ~UInt64(0xff)))"
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ").map(String.init)
            if f.count > 4, f[2] == id, let dash = f.firstIndex(of: "-"), dash + 2 < f.count { return f[dash + 2] }
        }
        return nil
    }

    func testVerifyRecordsTheMediumWhenOnABlockDevice() throws {
        let ws = try Workspace()
        try ws.standardDelivery()
        guard let source = mountSource(of: ws.url("delivery").path), source.hasPrefix("/dev/") else {
            throw XCTSkip("the workspace is not on a block device mount here")
        }
        _ = try ws.passbox(["verify", "delivery"])
        let line = String(decoding: try ws.read("state/audit.jsonl"), as: UTF8.self).split(separator: "\n").map(String.init)[0]
        let record = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let medium = try XCTUnwrap(record["medium"] as? [String: Any], line)
        let device = try XCTUnwrap(medium["device"] as? String)
        XCTAssertFalse(device.isEmpty)
        XCTAssertTrue(device.hasPrefix("/dev/"), device)
        XCTAssertEqual(try ws.passbox(["log", "verify"]).status, 0)
        let shown = try ws.passbox(["log", "show"])
        XCTAssertTrue(shown.stdout.contains("(medium \(device)"), shown.stdout)
        let json = try ws.passbox(["log", "show", "--format", "json"])
        let records = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual((records.first?["medium"] as? [String: Any])?["device"] as? String, device)
    }

    func testRecordsWithAndWithoutMediumChainAndVerify() throws {
        let ws = try Workspace()
        let log = AuditLog(directory: ws.stateDirectory.path)
        try log.append(AuditRecord(command: "verify", input: "old", deliverySha256: String(repeating: "a", count: 64),
                                   verdict: "accepted", findings: []))
        let with = try log.append(AuditRecord(command: "verify", input: "/media/usb0", deliverySha256: String(repeating: "b", count: 64),
                                              verdict: "accepted", findings: [],
                                              medium: MediumIdentity(device: "/dev/sdb1", fsType: "vfat", mountPoint: "/media/usb0",
                                                                     uuid: "1234-ABCD", label: "VENDOR \"X\"")))
        let lines = String(decoding: try ws.read("state/audit.jsonl"), as: UTF8.self).split(separator: "\n").map(String.init)
        XCTAssertFalse(lines[0].contains("medium"), lines[0])
        XCTAssertTrue(lines[1].contains(#""medium":{"device":"/dev/sdb1","fsType":"vfat","label":"VENDOR \"X\"","mountPoint":"/media/usb0","uuid":"1234-ABCD"}"#), lines[1])
        let check = try log.verify()
        XCTAssertTrue(check.intact, "\(check.problems.map(\.message))")
        XCTAssertEqual(check.records.last?.medium, with.medium)
        // Editing the medium breaks the chain.
        try ws.write("state/audit.jsonl", lines[0] + "\n" + lines[1].replacingOccurrences(of: "1234-ABCD", with: "1234-ABCE") + "\n")
        XCTAssertEqual(try ws.passbox(["log", "verify"]).status, 1)
    }

    func testMediumFromAGivenMountinfo() throws {
        let ws = try Workspace()
        var st = stat()
        XCTAssertEqual(stat(ws.dir.path, &st), 0)
        let dev = UInt64(st.st_dev)
        let id = "\(((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))):\((dev & 0xff) | ((dev >> 12) & ~UInt64(0xff)))"
        try ws.write("mountinfo", "27 1 \(id) / / rw,relatime - ext4 /dev/my\\040disk rw\n99 1 0:99 / /elsewhere rw - tmpfs tmpfs rw\n")
        let medium = try XCTUnwrap(Medium.identify(path: ws.dir.path, mountinfo: ws.url("mountinfo").path, disks: ws.url("nodisks").path))
        XCTAssertEqual(medium.device, "/dev/my disk")
        XCTAssertEqual(medium.fsType, "ext4")
        XCTAssertEqual(medium.mountPoint, "/")
        XCTAssertNil(medium.uuid)
        // Not a block device mount, no mountinfo, no such path: nothing, and no error.
        try ws.write("mountinfo", "27 1 \(id) / / rw - overlay overlay rw\n")
        XCTAssertNil(Medium.identify(path: ws.dir.path, mountinfo: ws.url("mountinfo").path))
        XCTAssertNil(Medium.identify(path: ws.dir.path, mountinfo: ws.url("absent").path))
        XCTAssertNil(Medium.identify(path: ws.url("absent").path))
    }
}
