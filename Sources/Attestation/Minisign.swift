import CryptoIO
import Foundation

// minisign (https://jedisct1.github.io/minisign/) and signify (OpenBSD) share one
// key format: an "untrusted comment:" line, then base64 of
// "Ed" || key id (8 bytes) || Ed25519 public key (32 bytes).
// Signatures: base64 of algorithm (2) || key id (8) || Ed25519 signature (64):
// - signify: "Ed", over the file; two lines in all.
// - minisign: "Ed" (legacy, over the file) or "ED" (over BLAKE2b-512 of the file,
//   the default), then "trusted comment: TEXT" and base64 of a global Ed25519
//   signature over signature (64) || TEXT, which authenticates the comment.

/// Which tool a `.pub` or signature file comes from.
public enum Ed25519KeyFileFlavor: String, Sendable {
    case minisign, signify
}

/// A minisign or signify public key file (`keys/*.pub`).
public struct Ed25519KeyFile: Sendable {
    /// Told from the untrusted comment ("minisign public key ..."); the key format is the same.
    public var flavor: Ed25519KeyFileFlavor
    /// 8 bytes, as in the file.
    public var keyID: [UInt8]
    /// As minisign prints it: upper-case hex of the key id read as a little-endian integer.
    public var keyIDHex: String { Hex.encode(keyID.reversed()).uppercased() }
    public var key: PublicKey
    /// The untrusted comment (a label, nothing more).
    public var comment: String

    public init(flavor: Ed25519KeyFileFlavor, keyID: [UInt8], key: PublicKey, comment: String) {
        self.flavor = flavor
        self.keyID = keyID
        self.key = key
        self.comment = comment
    }

    /// Reads a `.pub` file of minisign or signify.
    public static func parse(_ data: Data) throws -> Ed25519KeyFile {
        guard data.count <= 4096 else { throw KeyFileError("a minisign/signify public key file is under 4 KiB; this one is \(data.count) bytes") }
        let lines = try textLines(data)
        guard lines.count == 2, lines[0].hasPrefix(untrustedPrefix) else {
            throw KeyFileError("not a minisign or signify public key (expected an 'untrusted comment:' line and one base64 line)")
        }
        guard let blob = Data(base64Encoded: lines[1]), blob.count == 42 else {
            throw KeyFileError("the key line is not base64 of 42 bytes")
        }
        let bytes = [UInt8](blob)
        guard bytes[0] == UInt8(ascii: "E"), bytes[1] == UInt8(ascii: "d") else {
            throw KeyFileError("unsupported key algorithm (only Ed25519, 'Ed', exists)")
        }
        let comment = String(lines[0].dropFirst(untrustedPrefix.count)).trimmingCharacters(in: .whitespaces)
        let flavor: Ed25519KeyFileFlavor = comment.lowercased().hasPrefix("minisign") ? .minisign : .signify
        return Ed25519KeyFile(flavor: flavor, keyID: Array(bytes[2..<10]), key: try PublicKey(ed25519Raw: Array(bytes[10..<42])), comment: comment)
    }

    /// Does this look like a minisign/signify public key?
    public static func looksLike(_ data: Data) -> Bool {
        String(decoding: data.prefix(64), as: UTF8.self).hasPrefix(untrustedPrefix)
    }
}

/// A `.pub` file that does not parse.
public struct KeyFileError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

let untrustedPrefix = "untrusted comment:"
let trustedPrefix = "trusted comment: "

/// The lines of a small text file: UTF-8, LF or CRLF, trailing empty lines dropped.
func textLines(_ data: Data) throws -> [String] {
    guard let text = String(validating: [UInt8](data), as: UTF8.self) else { throw KeyFileError("not UTF-8 text") }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
    while lines.last?.isEmpty == true { lines.removeLast() }
    return lines
}

/// A parsed minisign or signify signature file.
struct Ed25519SignatureFile {
    var flavor: Ed25519KeyFileFlavor
    /// "Ed" (signs the content) or "ED" (signs BLAKE2b-512 of the content; minisign only).
    var prehashed: Bool
    var keyID: [UInt8]
    var signature: [UInt8]
    /// minisign only.
    var trustedComment: String?
    var globalSignature: [UInt8]?

    var keyIDHex: String { Hex.encode(keyID.reversed()).uppercased() }

    static func parse(_ data: Data) throws -> Ed25519SignatureFile {
        let lines = try textLines(data)
        guard lines.count >= 2, lines[0].hasPrefix(untrustedPrefix) else {
            throw KeyFileError("not a minisign or signify signature (no 'untrusted comment:' line)")
        }
        guard let blob = Data(base64Encoded: lines[1]), blob.count == 74 else {
            throw KeyFileError("line 2 is not base64 of 74 bytes (algorithm, key id, signature)")
        }
        let bytes = [UInt8](blob)
        let algorithm = String(decoding: bytes[0..<2], as: UTF8.self)
        guard algorithm == "Ed" || algorithm == "ED" else {
            throw KeyFileError("unsupported signature algorithm '\(algorithm)' (Ed or ED)")
        }
        let keyID = Array(bytes[2..<10])
        let signature = Array(bytes[10..<74])
        if lines.count == 2 {
            guard algorithm == "Ed" else { throw KeyFileError("a prehashed (ED) signature without its trusted comment") }
            return Ed25519SignatureFile(flavor: .signify, prehashed: false, keyID: keyID, signature: signature)
        }
        guard lines[2].hasPrefix(trustedPrefix) else {
            // signify -e puts the message after the signature: not a detached signature.
            throw KeyFileError("line 3 is neither a minisign trusted comment nor the end of a signify signature (embedded signify signatures are not detached)")
        }
        guard lines.count == 4 else { throw KeyFileError("a minisign signature has 4 lines; this one has \(lines.count)") }
        guard let global = Data(base64Encoded: lines[3]), global.count == 64 else {
            throw KeyFileError("line 4 is not base64 of a 64-byte global signature")
        }
        return Ed25519SignatureFile(
            flavor: .minisign, prehashed: algorithm == "ED", keyID: keyID, signature: signature,
            trustedComment: String(lines[2].dropFirst(trustedPrefix.count)), globalSignature: [UInt8](global))
    }
}
