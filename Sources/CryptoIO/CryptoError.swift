internal import CLibCrypto

/// An error from the cryptographic library: what passbox tried, and the library's
/// whole error queue (the useful text is in the queue's data, not only the reason).
public struct CryptoError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let details: [String]

    public init(_ operation: String, details: [String] = []) {
        self.operation = operation
        self.details = details
    }

    public var description: String {
        details.isEmpty ? operation : "\(operation): \(details.joined(separator: "; "))"
    }

    /// Takes (and so clears) the library's whole error queue.
    static func drain(_ operation: String) -> CryptoError {
        CryptoError(operation, details: drainErrorQueue())
    }
}

/// Empties the thread's OpenSSL error queue and returns its entries as text.
func drainErrorQueue() -> [String] {
    var out: [String] = []
    while true {
        var file: UnsafePointer<CChar>?
        var line: Int32 = 0
        var function: UnsafePointer<CChar>?
        var data: UnsafePointer<CChar>?
        var flags: Int32 = 0
        let code = ERR_get_error_all(&file, &line, &function, &data, &flags)
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        var text = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if let data, (flags & ERR_TXT_STRING) != 0 {
            let extra = String(cString: data)
            if !extra.isEmpty { text += " (\(extra))" }
        }
        out.append(text)
        if out.count > 32 { ERR_clear_error(); break }
    }
    return out
}
