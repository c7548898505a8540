import Foundation
import Testing

/// gzip deliveries made by the real tools, inflated by ISA-L: they verify as they did
/// with libarchive's zlib, entry by entry.
@Suite struct GzipCLITests {
    /// A tree of files, their SHA-256 by path (from sha256sum), and the tree as `tar cf`.
    private func tree(_ w: Workspace) throws -> [String: String] {
        try shell("""
            mkdir -p d/fw d/recipes && head -c 2500000 /dev/urandom > d/fw/image.bin \
              && seq 1 300000 > d/recipes/steps.txt && printf 'notes\\n' > d/README.txt && tar cf d.tar d
            """, cwd: w.dir)
        let sums = try shell("sha256sum d/fw/image.bin d/recipes/steps.txt d/README.txt", cwd: w.dir).stdout
        var out: [String: String] = [:]
        for line in sums.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count == 2 { out[String(parts[1])] = String(parts[0]) }
        }
        #expect(out.count == 3)
        return out
    }

    /// Signs `file`, verifies it, and checks every entry's SHA-256 against `sums`.
    private func expectVerifies(_ w: Workspace, _ file: String, _ sums: [String: String],
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        let key = try w.key("vendor-\(UUID().uuidString.prefix(8))")
        try w.manifest(file, keys: [key], output: "\(file).dsse.json")
        let r = try w.verify([file, "--manifest", "\(file).dsse.json"])
        #expect(r.status == 0, "\(file): \(r.findingCodes) \(r.stdout)", sourceLocation: sourceLocation)
        for (path, sum) in sums {
            let digests = r.file(path)?["digests"] as? [String: Any]
            #expect(digests?["sha256"] as? String == sum, "\(file): \(path)", sourceLocation: sourceLocation)
        }
        #expect(((r.json["delivery"] as? [String: Any])?["format"] as? String ?? "").hasSuffix("gzip"),
                "\(file): \(r.json["delivery"] ?? "")", sourceLocation: sourceLocation)
    }

    @Test func tarCzfVerifies() throws {
        let w = try Workspace()
        let sums = try tree(w)
        try shell("tar czf d.tar.gz d", cwd: w.dir)
        try expectVerifies(w, "d.tar.gz", sums)
    }

    /// `cat a.gz b.gz`: the tar cut in two, each part gzipped, the parts concatenated.
    @Test func concatenatedMembersVerify() throws {
        let w = try Workspace()
        let sums = try tree(w)
        try shell("""
            head -c 1234567 d.tar | gzip -1 > a.gz && tail -c +1234568 d.tar | gzip -9 > b.gz \
              && printf '' | gzip > empty.gz && cat a.gz empty.gz b.gz > d.tar.gz
            """, cwd: w.dir)
        try expectVerifies(w, "d.tar.gz", sums)
    }

    /// Bytes after the last member that do not start another one (tape padding,
    /// appended data) are left unread, as libarchive and gzip do; they are still part
    /// of the archive's own digest.
    @Test func trailingDataIsIgnored() throws {
        let w = try Workspace()
        let sums = try tree(w)
        try shell("""
            gzip -c d.tar > d.tar.gz && cp d.tar.gz padded.tar.gz && head -c 10240 /dev/zero >> padded.tar.gz \
              && cp d.tar.gz appended.tar.gz && printf 'appended, not gzip' >> appended.tar.gz
            """, cwd: w.dir)
        try expectVerifies(w, "padded.tar.gz", sums)
        try expectVerifies(w, "appended.tar.gz", sums)
    }

    /// A gzip of a gzip: ISA-L inflates the outer layer, libarchive's filter the inner.
    @Test func gzipInsideGzipVerifies() throws {
        let w = try Workspace()
        let sums = try tree(w)
        try shell("gzip -c d.tar > inner.gz && gzip -c inner.gz > d.tar.gz.gz", cwd: w.dir)
        try expectVerifies(w, "d.tar.gz.gz", sums)
    }

    /// A .tar.gz inside a tar is inflated by ISA-L too, its entries verified.
    @Test func nestedTarGzVerifies() throws {
        let w = try Workspace()
        let sums = try tree(w)
        try shell("tar czf inner.tar.gz d && mkdir outer && mv inner.tar.gz outer/ && tar cf outer.tar outer", cwd: w.dir)
        let key = try w.key("vendor")
        try w.manifest("outer.tar", keys: [key], output: "m.dsse.json")
        let r = try w.verify(["outer.tar", "--manifest", "m.dsse.json"])
        #expect(r.status == 0, "\(r.findingCodes)")
        for (path, sum) in sums {
            let digests = r.file("outer/inner.tar.gz!/\(path)")?["digests"] as? [String: Any]
            #expect(digests?["sha256"] as? String == sum, "\(path)")
        }
    }
}
