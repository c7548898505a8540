import Foundation
import PassboxKit
import SafeText
#if canImport(Glibc)
import Glibc
#endif

/// Draws a verification's progress on stderr when it is a terminal (never when it is
/// a file or a pipe, so logs and reports never carry it): files and bytes done,
/// throughput, the archive being read, the ETA when the total is known; then one
/// clear last line. A kiosk operator sees a 64 GiB stick being read, not a blank screen.
final class TerminalProgress: @unchecked Sendable {
    let progress = VerificationProgress()
    private let enabled: Bool
    private let done = DispatchSemaphore(value: 0)
    private var thread: Thread?

    /// Shown only when stderr is a terminal and the user did not ask for quiet.
    init(quiet: Bool) {
        enabled = !quiet && isatty(2) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    func start(_ what: String) {
        guard enabled else { return }
        let t = Thread { [self] in
            // First drawing after a moment: a small delivery finishes with no flicker.
            while done.wait(timeout: .now() + .milliseconds(250)) == .timedOut {
                draw(line(what))
            }
        }
        thread = t
        t.start()
    }

    /// Stops drawing and leaves one line saying what was read.
    func finish(_ what: String) {
        guard enabled, thread != nil else { return }
        done.signal()
        thread = nil
        let s = progress.snapshot()
        draw("passbox: \(what): read \(s.items) file(s), \(bytes(s.bytesRead)) in \(String(format: "%.1f", s.elapsed)) s (\(bytes(Int64(s.throughput)))/s)")
        FileHandle.standardError.write(Data("\n".utf8))
    }

    func line(_ what: String) -> String {
        let s = progress.snapshot()
        var parts = ["passbox: \(s.stage.rawValue)", "\(s.items) file(s)", bytes(s.bytesRead)]
        if let total = s.totalBytes { parts[2] += " of \(bytes(total))" }
        parts.append("\(bytes(Int64(s.throughput)))/s")
        if let eta = s.eta { parts.append("ETA \(clock(eta))") }
        if let archive = s.archive { parts.append("in \(archive)") } else if !s.current.isEmpty { parts.append(s.current) }
        return parts.joined(separator: "  ")
    }

    private func draw(_ text: String) {
        // Carriage return, the line cut to the terminal's width, erase to its end.
        let width = terminalWidth()
        var shown = terminalSafe(text)
        if shown.count > width - 1 { shown = String(shown.prefix(max(10, width - 2))) + "…" }
        FileHandle.standardError.write(Data(("\r" + shown + "\u{1b}[K").utf8))
    }

    private func terminalWidth() -> Int {
        var size = winsize()
        guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 else { return 80 }
        return Int(size.ws_col)
    }
}

func bytes(_ n: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(max(0, n))
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
}

func clock(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}
