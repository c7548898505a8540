import ArgumentParser
import Foundation
import PassboxKit
import SafeText
import Station
#if canImport(Glibc)
import Glibc
#endif

/// Writes the reports of one run: text and HTML pages for a person, JSON (one
/// object; JSON Lines for several deliveries), SARIF (one log, one run per delivery).
/// JSON is written as it is encoded (`ReportJSONWriter`): a report of a large delivery
/// is never whole in memory.
func writeReports(_ reports: [Report], as format: VerifyFormat, to output: String?) throws {
    try emit(to: output) { write in
        switch format {
        case .text:
            for report in reports { try report.text().send(to: write) }
        case .json:
            try withoutActuallyEscaping(write) { write in
                let sink = BufferedSink(flushTo: write)
                let writer = ReportJSONWriter()
                for report in reports {
                    if reports.count == 1 {
                        try writer.write(report, to: sink.write)
                    } else {
                        var compactor = JSONCompactor()
                        try writer.write(report) { bytes in try compactor.compact(bytes).withUnsafeBytes(sink.write) }
                    }
                    try [UInt8(ascii: "\n")].withUnsafeBytes(sink.write)
                }
                try sink.flush()
            }
        case .sarif:
            try (String(decoding: try ReportFormats.sarif(reports), as: UTF8.self) + "\n").send(to: write)
        case .html:
            try ReportFormats.html(reports).send(to: write)
        }
    }
}

func emit(_ text: String, to output: String?) throws {
    try emit(to: output) { write in try text.send(to: write) }
}

// Text for a person goes through SafeText: names and messages quoting a delivery, an
// SBOM, a key or a certificate must not drive the terminal (docs/report.md).

/// One line on standard output, control characters escaped.
func say(_ line: String) {
    print(terminalSafe(line))
}

/// One line on standard error, control characters escaped.
func complain(_ line: String) {
    FileHandle.standardError.write(Data((terminalSafe(line) + "\n").utf8))
}

/// Several lines on standard error (help and usage texts), each escaped.
func complainLines(_ text: String) {
    FileHandle.standardError.write(Data((terminalSafeLines(text) + "\n").utf8))
}

/// A multi-line text for a person (listings), each line escaped, to stdout or `output`.
func emitText(_ text: String, to output: String?) throws {
    try emit(terminalSafeLines(text), to: output)
}

/// Gives `produce` a function that writes bytes; they go to stdout, or replace
/// `output` atomically (a new file renamed over it, so a reader never sees half a
/// report). A symbolic link, device or pipe named by `output` (/dev/stdout, a FIFO) is
/// written through, as the shell's `>` would: renaming over it would replace the link
/// or the device node itself.
func emit(to output: String?, produce: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
    do {
        if let output {
            var info = stat()
            if lstat(output, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
                let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard fd >= 0 else { throw CannotEvaluate("cannot write the report to \(output): \(String(cString: strerror(errno)))") }
                defer { close(fd) }
                try produce { bytes in try writeAll(fd, bytes, to: output) }
            } else {
                try replaceAtomically(output, produce: produce)
            }
        } else {
            try writeStandardOutput(produce: produce)
        }
    } catch let error as StationError {
        throw CannotEvaluate("cannot write the report to \(output ?? "standard output"): \(error)")
    }
}

extension Swift.String {
    /// The text's UTF-8 bytes, for the byte writers of `emit(to:)`.
    func send(to write: (UnsafeRawBufferPointer) throws -> Void) throws {
        var text = self
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }
}

private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, to name: String) throws {
    var offset = 0
    while offset < bytes.count {
        let n = Glibc.write(fd, bytes.baseAddress?.advanced(by: offset), bytes.count - offset)
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw CannotEvaluate("cannot write the report to \(name): \(String(cString: strerror(errno)))") }
        offset += n
    }
}

