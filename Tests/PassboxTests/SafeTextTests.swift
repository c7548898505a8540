import SafeText
import Testing

/// The one escaping function every text output uses (docs/report.md).
@Suite struct SafeTextTests {
    @Test func controlCharactersAreEscapedAndTextIsKept() {
        #expect(terminalSafe("plain name.bin") == "plain name.bin")
        #expect(terminalSafe("日本語 ファイル") == "日本語 ファイル")
        #expect(terminalSafe("a\u{1b}[31mb") == #"a\x1b[31mb"#)
        #expect(terminalSafe("t\u{1b}]0;x\u{07}") == #"t\x1b]0;x\x07"#)
        #expect(terminalSafe("a\nb\rc\td\u{0}e\u{7f}") == #"a\nb\rc\td\x00e\x7f"#)
        #expect(terminalSafe("csi\u{9b}2J") == #"csi\u{9b}2J"#)
        #expect(terminalSafe("bidi\u{202e}txt.exe") == #"bidi\u{202e}txt.exe"#)
    }

    @Test func linesKeepTheirBreaks() {
        #expect(terminalSafeLines("one\u{1b}\ntwo\n") == "one\\x1b\ntwo\n")
    }

    /// Whatever the input, no control character survives.
    @Test func nothingSurvives() {
        var all = ""
        for v in 0..<0x3000 { if let s = Unicode.Scalar(v) { all.unicodeScalars.append(s) } }
        let out = terminalSafe(all)
        #expect(!out.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) || (0x202a...0x202e).contains($0.value) })
    }
}
