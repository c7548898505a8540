import CryptoIO
import Foundation
import PassboxKit

/// What `admit` copies: the verified files on the medium, or the delivered file /
/// archive itself. An archive whose file name matches the station policy's
/// `admit.extract` is unpacked instead (its verified or covered regular entries;
/// archives inside it stay files).
struct AdmitPlan {
    var sourceRoot: String
    var files: [AdmitFile] = []
    var archives: [ExtractArchive] = []

    init(report: Report, path: String, extractPatterns: [String], maxPathLength: Int) {
        func extracts(_ file: String) -> Bool {
            let leaf = file.split(separator: "/").last.map(String.init) ?? file
            return extractPatterns.contains { fnmatch($0, leaf, 0) == 0 }
        }
        /// The verified or covered regular entries directly inside the archive at `prefix`.
        func entries(prefix: String) -> [AdmitFile] {
            report.files.compactMap { f -> AdmitFile? in
                guard f.status == .verified || f.status == .covered, f.kind == .regular || f.kind == .archive || f.kind == .hardlink,
                      f.path.hasPrefix(prefix) else { return nil }
                let inner = String(f.path.dropFirst(prefix.count))
                guard !inner.isEmpty, !isInsideArchive(inner) else { return nil }
                return AdmitFile(source: inner, name: inner, size: f.size, digests: f.digests)
            }
        }
        if report.delivery.kind == .directory {
            sourceRoot = path
            for f in report.files where f.status == .verified && !isInsideArchive(f.path) && (f.kind == .regular || f.kind == .archive) {
                if f.kind == .archive, extracts(f.path) {
                    archives.append(ExtractArchive(source: f.path, into: extractedFolderName(f.path),
                                                   entries: entries(prefix: f.path + "!/"), maxPathLength: maxPathLength))
                } else {
                    files.append(AdmitFile(source: f.path, name: f.path, size: f.size, digests: f.digests))
                }
            }
            return
        }
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        sourceRoot = url.deletingLastPathComponent().path
        if report.delivery.kind == .archive, extracts(name) {
            archives = [ExtractArchive(source: name, into: "", entries: entries(prefix: ""), maxPathLength: maxPathLength)]
        } else {
            files = [AdmitFile(source: name, name: name, size: report.delivery.size ?? -1, digests: report.delivery.digests ?? Digests())]
        }
    }
}

/// Where an archive inside a directory delivery is unpacked: its path without the
/// archive suffix (`tools/kit.tar.gz` → `tools/kit`), else with `.extracted` added.
public func extractedFolderName(_ archivePath: String) -> String {
    let suffixes = [".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst", ".tar.lz", ".tar.lz4", ".tar.Z",
                    ".tgz", ".tbz2", ".txz", ".tar", ".zip", ".7z", ".cpio", ".iso", ".rar", ".cab", ".xar"]
    for suffix in suffixes where archivePath.lowercased().hasSuffix(suffix.lowercased()) && archivePath.count > suffix.count {
        let stem = String(archivePath.dropLast(suffix.count))
        if !stem.hasSuffix("/") { return stem }
    }
    return archivePath + ".extracted"
}

/// Letters, digits, `.`, `_`, `+`, `-`; never starting with a dot; at most 200 bytes.
public func safeFolderName(_ text: String) -> String {
    var out = String(text.unicodeScalars.map { s -> Character in
        (s.isASCII && (CharacterSet.alphanumerics.contains(s) || ".-_+".unicodeScalars.contains(s))) ? Character(s) : "_"
    })
    while out.hasPrefix(".") { out = "_" + out.dropFirst() }
    if out.isEmpty { out = "delivery" }
    return String(out.prefix(200))
}
