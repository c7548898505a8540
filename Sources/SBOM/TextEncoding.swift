import Foundation

/// Decodes `%XX` escapes; `nil` for a malformed escape or bytes that are not UTF-8.
func percentDecode<S: StringProtocol>(_ text: S) -> String? {
    guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count)
    var iterator = text.utf8.makeIterator()
    while let byte = iterator.next() {
        guard byte == UInt8(ascii: "%") else {
            bytes.append(byte)
            continue
        }
        guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
            return nil
        }
        bytes.append(high << 4 | low)
    }
    return String(bytes: bytes, encoding: .utf8)
}

/// Percent-encodes every UTF-8 byte not in `keeping`.
func percentEncode(_ text: String, keeping: Set<UInt8>) -> String {
    guard !text.utf8.allSatisfy(keeping.contains) else { return text }
    var result = ""
    for byte in text.utf8 {
        if keeping.contains(byte) {
            result.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            let hex = Array("0123456789ABCDEF".utf8)
            result += "%"
            result.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
            result.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0xF)]))
        }
    }
    return result
}

func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}

extension String {
    /// Without leading and trailing ASCII whitespace (space, tab, line breaks).
    var trimmed: String { Substring(self).trimmed }
}

extension Substring {
    /// Without leading and trailing ASCII whitespace (space, tab, line breaks).
    var trimmed: String {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        guard let first = utf8.firstIndex(where: { !isSpace($0) }), let last = utf8.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first..<utf8.index(after: last)])
    }
}
