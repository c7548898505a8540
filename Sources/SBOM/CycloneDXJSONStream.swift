import Foundation

/// The fast path for CycloneDX JSON: one pass over the bytes that builds the
/// component fields directly, without JSONDecoder's tree of values.
///
/// It only ever answers for documents the JSONDecoder path (`JSONReader`)
/// would accept with the same result: at the first thing it does not expect
/// (a JSON syntax error, a value of another type, a key twice, a byte order
/// mark, a document that is not CycloneDX, a component the builder rejects,
/// a bound of `SBOMLimits`) it returns `nil`, and `JSONReader` reads the
/// document again to report exactly what and where. Values it skips are
/// still checked for JSON syntax and UTF-8, nested at most 512 levels.
enum CycloneDXJSONStream {
    static func read(_ data: Data, limits: SBOMLimits) -> SBOMDocument? {
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> SBOMDocument? in
            var scanner = Scanner(bytes: bytes, limits: limits)
            return try? scanner.document()
        }
    }

    /// Thrown to give up; never escapes `read`.
    struct Unexpected: Error {}

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        let limits: SBOMLimits
        var index = 0
        var components = 0

        init(bytes: UnsafeRawBufferPointer, limits: SBOMLimits) {
            self.bytes = bytes
            self.limits = limits
        }

        static let maxJSONDepth = 512

        mutating func document() throws(Unexpected) -> SBOMDocument {
            skipSpace()
            guard peek() == UInt8(ascii: "{") else { throw Unexpected() }
            var bomFormat: String?
            var specVersion: String?
            var product: CDXComponent?
            var top: [CDXComponent] = []
            var seen = KeySet()
            try object { (scanner, key) throws(Unexpected) in
                switch key {
                case "bomFormat":
                    try seen.insert(0)
                    bomFormat = try scanner.string()
                    guard bomFormat == "CycloneDX" else { throw Unexpected() }
                case "spdxVersion", "SPDXID", "creationInfo", "packages", "documentNamespace", "@context", "@graph":
                    // SPDX 2 or 3 (spdx-tools writes spdxVersion last): JSONReader reads it.
                    throw Unexpected()
                case "specVersion":
                    try seen.insert(1)
                    specVersion = try scanner.optionalString()
                case "metadata":
                    try seen.insert(2)
                    product = try scanner.metadata()
                case "components":
                    try seen.insert(3)
                    top = try scanner.componentList(level: 1)
                default:
                    try scanner.skipValue()
                }
            }
            skipSpace()
            guard index == bytes.count, bomFormat == "CycloneDX", let specVersion else { throw Unexpected() }
            do {
                return try CycloneDXJSONComponents.document(specVersion: specVersion, main: product, top: top, limits: limits)
            } catch {
                throw Unexpected()
            }
        }

        // MARK: CycloneDX

        private mutating func metadata() throws(Unexpected) -> CDXComponent? {
            if try null() { return nil }
            var product: CDXComponent?
            var seen = KeySet()
            try object { (scanner, key) throws(Unexpected) in
                if case "component" = key {
                    try seen.insert(0)
                    if try !scanner.null() { product = try scanner.component(level: 1) }
                } else {
                    try scanner.skipValue()
                }
            }
            return product
        }

        private mutating func componentList(level: Int) throws(Unexpected) -> [CDXComponent] {
            if try null() { return [] }
            var list: [CDXComponent] = []
            try array { (scanner) throws(Unexpected) in
                list.append(try scanner.component(level: level))
            }
            return list
        }

        private mutating func component(level: Int) throws(Unexpected) -> CDXComponent {
            components += 1
            guard components <= limits.maxComponents, level <= limits.maxComponentDepth else { throw Unexpected() }
            var fields = CycloneDXFields()
            var children: [CDXComponent]?
            var seen = KeySet()
            try object { (scanner, key) throws(Unexpected) in
                switch key {
                case "type": try seen.insert(0); fields.type = try scanner.optionalString()
                case "bom-ref": try seen.insert(1); fields.bomRef = try scanner.optionalString()
                case "group": try seen.insert(2); fields.group = try scanner.optionalString()
                case "name": try seen.insert(3); fields.name = try scanner.optionalString()
                case "version": try seen.insert(4); fields.version = try scanner.optionalString()
                case "purl": try seen.insert(5); fields.purl = try scanner.optionalString()
                case "cpe": try seen.insert(6); fields.cpe = try scanner.optionalString()
                case "supplier": try seen.insert(7); fields.supplier = try scanner.supplierName()
                case "hashes": try seen.insert(8); fields.hashes = try scanner.hashes()
                case "licenses": try seen.insert(9); fields.licenses = try scanner.licenses()
                case "components":
                    try seen.insert(10)
                    if try !scanner.null() { children = try scanner.componentList(level: level + 1) }
                default: try scanner.skipValue()
                }
            }
            return CDXComponent(fields: fields, components: children)
        }

        private mutating func supplierName() throws(Unexpected) -> String? {
            if try null() { return nil }
            var name: String?
            var seen = KeySet()
            try object { (scanner, key) throws(Unexpected) in
                if case "name" = key {
                    try seen.insert(0)
                    name = try scanner.optionalString()
                } else {
                    try scanner.skipValue()
                }
            }
            return name
        }

        private mutating func hashes() throws(Unexpected) -> [(algorithm: String, content: String)] {
            if try null() { return [] }
            var list: [(algorithm: String, content: String)] = []
            try array { (scanner) throws(Unexpected) in
                var algorithm: String?
                var content: String?
                var seen = KeySet()
                try scanner.object { (scanner, key) throws(Unexpected) in
                    switch key {
                    case "alg": try seen.insert(0); algorithm = try scanner.string()
                    case "content": try seen.insert(1); content = try scanner.string()
                    default: try scanner.skipValue()
                    }
                }
                guard let algorithm, let content else { throw Unexpected() }
                list.append((algorithm, content))
            }
            return list
        }

        private mutating func licenses() throws(Unexpected) -> [CycloneDXLicense] {
            if try null() { return [] }
            var list: [CycloneDXLicense] = []
            try array { (scanner) throws(Unexpected) in
                var license: (id: String?, name: String?, acknowledgement: String?)?
                var expression: String?
                var acknowledgement: String?
                var seen = KeySet()
                try scanner.object { (scanner, key) throws(Unexpected) in
                    switch key {
                    case "license": try seen.insert(0); license = try scanner.licenseBody()
                    case "expression": try seen.insert(1); expression = try scanner.optionalString()
                    case "acknowledgement": try seen.insert(2); acknowledgement = try scanner.optionalString()
                    default: try scanner.skipValue()
                    }
                }
                switch (license, expression) {
                case let (nil, expression?):
                    list.append(CycloneDXLicense(kind: .expression(expression), acknowledgement: acknowledgement))
                case let (body?, nil):
                    switch (body.id, body.name) {
                    case let (id?, nil): list.append(CycloneDXLicense(kind: .id(id), acknowledgement: body.acknowledgement))
                    case let (nil, name?): list.append(CycloneDXLicense(kind: .name(name), acknowledgement: body.acknowledgement))
                    default: throw Unexpected()
                    }
                default:
                    throw Unexpected()
                }
            }
            return list
        }

        private mutating func licenseBody() throws(Unexpected) -> (id: String?, name: String?, acknowledgement: String?)? {
            if try null() { return nil }
            var body: (id: String?, name: String?, acknowledgement: String?) = (nil, nil, nil)
            var seen = KeySet()
            try object { (scanner, key) throws(Unexpected) in
                switch key {
                case "id": try seen.insert(0); body.id = try scanner.optionalString()
                case "name": try seen.insert(1); body.name = try scanner.optionalString()
                case "acknowledgement": try seen.insert(2); body.acknowledgement = try scanner.optionalString()
                default: try scanner.skipValue()
                }
            }
            return body
        }

        // MARK: JSON

        /// Keys of one object already read (by the caller's numbering): a key twice gives up.
        struct KeySet {
            private var bits: UInt32 = 0
            mutating func insert(_ key: Int) throws(Unexpected) {
                let bit: UInt32 = 1 << UInt32(key)
                guard bits & bit == 0 else { throw Unexpected() }
                bits |= bit
            }
        }

        private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        private mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        /// Consumes `null` (after whitespace) and says whether it was there.
        private mutating func null() throws(Unexpected) -> Bool {
            skipSpace()
            guard peek() == UInt8(ascii: "n") else { return false }
            try literal("null")
            return true
        }

        private mutating func literal(_ word: StaticString) throws(Unexpected) {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw Unexpected() }
            let start = word.utf8Start
            for i in 0..<count where bytes[index + i] != start[i] { throw Unexpected() }
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

        private mutating func key() throws(Unexpected) -> Key {
            skipSpace()
            guard peek() == UInt8(ascii: "\"") else { throw Unexpected() }
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
                if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { throw Unexpected() }
                index += 1
            }
            throw Unexpected()
        }

        /// An object: `body` is called with each key, positioned at its value, and must consume it.
        private mutating func object(_ body: (inout Scanner, Key) throws(Unexpected) -> Void) throws(Unexpected) {
            skipSpace()
            guard peek() == UInt8(ascii: "{") else { throw Unexpected() }
            index += 1
            skipSpace()
            if peek() == UInt8(ascii: "}") {
                index += 1
                return
            }
            while true {
                let key = try key()
                skipSpace()
                guard peek() == UInt8(ascii: ":") else { throw Unexpected() }
                index += 1
                try body(&self, key)
                skipSpace()
                guard let next = peek() else { throw Unexpected() }
                index += 1
                if next == UInt8(ascii: "}") { return }
                guard next == UInt8(ascii: ",") else { throw Unexpected() }
            }
        }

        /// An array: `body` is called positioned at each element and must consume it.
        private mutating func array(_ body: (inout Scanner) throws(Unexpected) -> Void) throws(Unexpected) {
            skipSpace()
            guard peek() == UInt8(ascii: "[") else { throw Unexpected() }
            index += 1
            skipSpace()
            if peek() == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                try body(&self)
                skipSpace()
                guard let next = peek() else { throw Unexpected() }
                index += 1
                if next == UInt8(ascii: "]") { return }
                guard next == UInt8(ascii: ",") else { throw Unexpected() }
            }
        }

        private mutating func optionalString() throws(Unexpected) -> String? {
            if try null() { return nil }
            return try string()
        }

        /// A string value; escapes decoded, UTF-8 checked.
        private mutating func string() throws(Unexpected) -> String {
            skipSpace()
            guard peek() == UInt8(ascii: "\"") else { throw Unexpected() }
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
                    guard let text = String(bytes: slice, encoding: .utf8) else { throw Unexpected() }
                    return text
                }
                if byte == UInt8(ascii: "\\") {
                    index = start
                    return try escapedString()
                }
                if byte < 0x20 { throw Unexpected() }
                if byte >= 0x80 { ascii = false }
                index += 1
            }
            throw Unexpected()
        }

        /// The rest of a string with escapes, from its first character.
        private mutating func escapedString() throws(Unexpected) -> String {
            var utf8: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard let text = String(bytes: utf8, encoding: .utf8) else { throw Unexpected() }
                    return text
                case UInt8(ascii: "\\"):
                    guard let escape = peek() else { throw Unexpected() }
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
                        guard !(0xD800...0xDFFF).contains(value), let scalar = Unicode.Scalar(value) else { throw Unexpected() }
                        utf8.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default: throw Unexpected()
                    }
                default:
                    if byte < 0x20 { throw Unexpected() }
                    utf8.append(byte)
                }
            }
            throw Unexpected()
        }

        private mutating func hex4() throws(Unexpected) -> UInt32 {
            guard index + 4 <= bytes.count else { throw Unexpected() }
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let digit = hexValue(bytes[index]) else { throw Unexpected() }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        /// Skips any value, checking its syntax, iteratively.
        private mutating func skipValue() throws(Unexpected) {
            // Open containers: true for an object (expects keys), false for an array.
            var stack: [Bool] = []
            while true {
                skipSpace()
                guard let byte = peek() else { throw Unexpected() }
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    index += 1
                    stack.append(byte == UInt8(ascii: "{"))
                    guard stack.count <= Self.maxJSONDepth else { throw Unexpected() }
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
                    guard let next = peek() else { throw Unexpected() }
                    index += 1
                    if next == UInt8(ascii: ",") {
                        if isObject { try skippedKey() }
                        break
                    }
                    guard next == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { throw Unexpected() }
                    stack.removeLast()
                }
                if stack.isEmpty { return }
            }
        }

        /// A key and its colon, inside a skipped object.
        private mutating func skippedKey() throws(Unexpected) {
            skipSpace()
            guard peek() == UInt8(ascii: "\"") else { throw Unexpected() }
            try skipString()
            skipSpace()
            guard peek() == UInt8(ascii: ":") else { throw Unexpected() }
            index += 1
        }

        private mutating func skipString() throws(Unexpected) {
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
                        throw Unexpected()
                    }
                    index += 1
                    return
                }
                if byte == UInt8(ascii: "\\") {
                    index = start
                    _ = try escapedString()
                    return
                }
                if byte < 0x20 { throw Unexpected() }
                if byte >= 0x80 { ascii = false }
                index += 1
            }
            throw Unexpected()
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
        private mutating func number() throws(Unexpected) {
            func digits(_ scanner: inout Scanner) -> Int {
                let start = scanner.index
                while let byte = scanner.peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { scanner.index += 1 }
                return scanner.index - start
            }
            if peek() == UInt8(ascii: "-") { index += 1 }
            if peek() == UInt8(ascii: "0") {
                index += 1
            } else {
                guard digits(&self) > 0 else { throw Unexpected() }
            }
            if peek() == UInt8(ascii: ".") {
                index += 1
                guard digits(&self) > 0 else { throw Unexpected() }
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                index += 1
                if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
                guard digits(&self) > 0 else { throw Unexpected() }
            }
        }
    }
}
