import Foundation

/// Gives up reading; the caller falls back to a reader that reports errors.
struct JSONUnexpected: Error {}

/// A strict, bounded, one-pass JSON reader over bytes, for readers that build
/// their values directly (no tree of values): `object` and `array` walk
/// containers, `string`/`optionalString`/`null` read values, `skipValue`
/// checks and skips any value (iteratively, nested at most 512 levels). Any
/// syntax error, escape in a key, invalid UTF-8 or lone surrogate throws
/// `JSONUnexpected`.
struct JSONByteScanner {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    static let maxJSONDepth = 512

    /// Whether everything after the current position is whitespace.
    mutating func atEnd() -> Bool {
        skipSpace()
        return index == bytes.count
    }

    /// Keys of one object already read (by the caller's numbering): a key twice gives up.
    struct KeySet {
        private var bits: UInt32 = 0
        mutating func insert(_ key: Int) throws(JSONUnexpected) {
            let bit: UInt32 = 1 << UInt32(key)
            guard bits & bit == 0 else { throw JSONUnexpected() }
            bits |= bit
        }
    }

    func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// Consumes `null` (after whitespace) and says whether it was there.
    mutating func null() throws(JSONUnexpected) -> Bool {
        skipSpace()
        guard peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    private mutating func literal(_ word: StaticString) throws(JSONUnexpected) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw JSONUnexpected() }
        let start = word.utf8Start
        for i in 0..<count where bytes[index + i] != start[i] { throw JSONUnexpected() }
        index += count
    }

    /// An object key as it is in the document (a key with escapes gives up).
    struct Key {
        let bytes: UnsafeRawBufferPointer

        static func ~= (pattern: StaticString, key: Key) -> Bool {
            let count = pattern.utf8CodeUnitCount
            guard key.bytes.count == count else { return false }
            guard let base = key.bytes.baseAddress else { return count == 0 }
            return memcmp(base, pattern.utf8Start, count) == 0
        }
    }

    private mutating func key() throws(JSONUnexpected) -> Key {
        skipSpace()
        guard peek() == UInt8(ascii: "\"") else { throw JSONUnexpected() }
        index += 1
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let key = Key(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
                index += 1
                return key
            }
            // Escapes, control characters, non-ASCII: no key passbox reads.
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { throw JSONUnexpected() }
            index += 1
        }
        throw JSONUnexpected()
    }

    /// An object: `body` is called with each key, positioned at its value, and must consume it.
    mutating func object(_ body: (inout JSONByteScanner, Key) throws(JSONUnexpected) -> Void) throws(JSONUnexpected) {
        skipSpace()
        guard peek() == UInt8(ascii: "{") else { throw JSONUnexpected() }
        index += 1
        skipSpace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            let key = try key()
            skipSpace()
            guard peek() == UInt8(ascii: ":") else { throw JSONUnexpected() }
            index += 1
            try body(&self, key)
            skipSpace()
            guard let next = peek() else { throw JSONUnexpected() }
            index += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw JSONUnexpected() }
        }
    }

    /// An array: `body` is called positioned at each element and must consume it.
    mutating func array(_ body: (inout JSONByteScanner) throws(JSONUnexpected) -> Void) throws(JSONUnexpected) {
        skipSpace()
        guard peek() == UInt8(ascii: "[") else { throw JSONUnexpected() }
        index += 1
        skipSpace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try body(&self)
            skipSpace()
            guard let next = peek() else { throw JSONUnexpected() }
            index += 1
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw JSONUnexpected() }
        }
    }

    mutating func optionalString() throws(JSONUnexpected) -> String? {
        if try null() { return nil }
        return try string()
    }

    /// A string value; escapes decoded, UTF-8 checked.
    mutating func string() throws(JSONUnexpected) -> String {
        skipSpace()
        guard peek() == UInt8(ascii: "\"") else { throw JSONUnexpected() }
        index += 1
        let start = index
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            // Printable ASCII other than the quote and the backslash: most bytes.
            if byte &- 0x20 < 0x60, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                index += 1
                if ascii { return String(decoding: slice, as: UTF8.self) }
                guard let text = String(bytes: slice, encoding: .utf8) else { throw JSONUnexpected() }
                return text
            }
            if byte == UInt8(ascii: "\\") {
                index = start
                return try escapedString()
            }
            if byte < 0x20 { throw JSONUnexpected() }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        throw JSONUnexpected()
    }

    /// The rest of a string with escapes, from its first character.
    private mutating func escapedString() throws(JSONUnexpected) -> String {
        var utf8: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(bytes: utf8, encoding: .utf8) else { throw JSONUnexpected() }
                return text
            case UInt8(ascii: "\\"):
                guard let escape = peek() else { throw JSONUnexpected() }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    // Surrogates (pairs or not) are left to the JSONDecoder path.
                    let value = try hex4()
                    guard !(0xD800...0xDFFF).contains(value), let scalar = Unicode.Scalar(value) else { throw JSONUnexpected() }
                    utf8.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw JSONUnexpected()
                }
            default:
                if byte < 0x20 { throw JSONUnexpected() }
                utf8.append(byte)
            }
        }
        throw JSONUnexpected()
    }

    private mutating func hex4() throws(JSONUnexpected) -> UInt32 {
        guard index + 4 <= bytes.count else { throw JSONUnexpected() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = hexValue(bytes[index]) else { throw JSONUnexpected() }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Skips any value, checking its syntax, iteratively.
    mutating func skipValue() throws(JSONUnexpected) {
        // Open containers: true for an object (expects keys), false for an array.
        var stack: [Bool] = []
        while true {
            skipSpace()
            guard let byte = peek() else { throw JSONUnexpected() }
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                index += 1
                stack.append(byte == UInt8(ascii: "{"))
                guard stack.count <= Self.maxJSONDepth else { throw JSONUnexpected() }
                skipSpace()
                if peek() == (byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                    stack.removeLast()
                } else {
                    if byte == UInt8(ascii: "{") { try skippedKey() }
                    continue
                }
            case UInt8(ascii: "\""): try skipString()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: try number()
            }
            // After a complete value: close containers or go on to the next element.
            while let isObject = stack.last {
                skipSpace()
                guard let next = peek() else { throw JSONUnexpected() }
                index += 1
                if next == UInt8(ascii: ",") {
                    if isObject { try skippedKey() }
                    break
                }
                guard next == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { throw JSONUnexpected() }
                stack.removeLast()
            }
            if stack.isEmpty { return }
        }
    }

    /// A key and its colon, inside a skipped object.
    private mutating func skippedKey() throws(JSONUnexpected) {
        skipSpace()
        guard peek() == UInt8(ascii: "\"") else { throw JSONUnexpected() }
        try skipString()
        skipSpace()
        guard peek() == UInt8(ascii: ":") else { throw JSONUnexpected() }
        index += 1
    }

    private mutating func skipString() throws(JSONUnexpected) {
        index += 1
        let start = index
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte &- 0x20 < 0x60, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                if !ascii, String(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), encoding: .utf8) == nil {
                    throw JSONUnexpected()
                }
                index += 1
                return
            }
            if byte == UInt8(ascii: "\\") {
                index = start
                _ = try escapedString()
                return
            }
            if byte < 0x20 { throw JSONUnexpected() }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        throw JSONUnexpected()
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func number() throws(JSONUnexpected) {
        func digits(_ scanner: inout JSONByteScanner) -> Int {
            let start = scanner.index
            while let byte = scanner.peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { scanner.index += 1 }
            return scanner.index - start
        }
        if peek() == UInt8(ascii: "-") { index += 1 }
        if peek() == UInt8(ascii: "0") {
            index += 1
        } else {
            guard digits(&self) > 0 else { throw JSONUnexpected() }
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw JSONUnexpected() }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw JSONUnexpected() }
        }
    }
}
