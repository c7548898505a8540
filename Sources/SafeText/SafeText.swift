/// Text that came from a delivery (file and entry names, SBOM fields, predicate
/// fields, minisign trusted comments, certificate subjects, error messages quoting
/// them) must never drive the terminal it is printed on, nor forge a line of a log.
/// Every text output (reports, `passbox sbom`, `trust list`, `log show`, messages on
/// stderr, syslog and CEF) passes its strings through `terminalSafe` — this one place.
///
/// Escaped: C0 controls and DEL (`\n`, `\r`, `\t`, else `\x1b`), C1 controls
/// (`\u{9b}`: a UTF-8 terminal may take U+009B for CSI), and the Unicode bidirectional
/// controls that reorder what a reader sees (U+061C, U+200E, U+200F, U+202A–U+202E,
/// U+2066–U+2069: "Trojan Source"). Everything else, any script, is kept as it is.
/// JSON output needs none of this: the JSON writers escape control characters.
public func terminalSafe(_ text: String) -> String {
    // Fast path: nothing to escape (the common case) returns the string itself.
    guard text.unicodeScalars.contains(where: needsEscape) else { return text }
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        guard needsEscape(scalar) else {
            out.append(scalar)
            continue
        }
        out.append(contentsOf: escape(scalar).unicodeScalars)
    }
    return String(out)
}

/// The same, line by line: line feeds between lines stay (a multi-line text such as a
/// report), every other control character in a line is escaped.
public func terminalSafeLines(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { $0 != "\n" && needsEscape($0) }) else { return text }
    return text.split(separator: "\n", omittingEmptySubsequences: false)
        .map { terminalSafe(String($0)) }
        .joined(separator: "\n")
}

@inline(__always)
func needsEscape(_ s: Unicode.Scalar) -> Bool {
    let v = s.value
    if v < 0x20 || v == 0x7f { return true }
    if v < 0x80 { return false }
    if v <= 0x9f { return true }
    switch v {
    case 0x061c, 0x200e, 0x200f, 0x202a...0x202e, 0x2066...0x2069: return true
    default: return false
    }
}

func escape(_ s: Unicode.Scalar) -> String {
    switch s {
    case "\n": return "\\n"
    case "\r": return "\\r"
    case "\t": return "\\t"
    default:
        let hex = String(s.value, radix: 16)
        if s.value < 0x80 { return "\\x" + (hex.count < 2 ? "0" + hex : hex) }
        return "\\u{" + hex + "}"
    }
}
