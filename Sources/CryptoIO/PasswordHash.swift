internal import CLibCrypto
import Foundation

/// Slow, salted password hashes for local accounts (the kiosk): PBKDF2-HMAC-SHA256
/// from OpenSSL (`PKCS5_PBKDF2_HMAC`), stored as
/// `pbkdf2-sha256$ITERATIONS$SALT_BASE64$HASH_BASE64`.
public enum PasswordHash {
    /// OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
    public static let defaultIterations = 600_000
    /// Fewer are refused when a stored hash is read (a weakened config).
    public static let minimumIterations = 100_000
    static let maximumIterations = 10_000_000
    static let prefix = "pbkdf2-sha256"

    /// A new hash of `password` with a fresh 16-byte salt.
    public static func make(_ password: String, iterations: Int = defaultIterations) throws -> String {
        let salt = try randomBytes(16)
        let hash = try derive(password, salt: salt, iterations: iterations, length: 32)
        return "\(prefix)$\(iterations)$\(salt.base64EncodedString())$\(hash.base64EncodedString())"
    }

    /// True when the stored string is well-formed (prefix, iteration bounds, salt and hash).
    public static func isWellFormed(_ stored: String) -> Bool { parse(stored) != nil }

    /// Checks `password` against a stored hash in constant time; a malformed hash never matches.
    public static func verify(_ password: String, stored: String) -> Bool {
        guard let (iterations, salt, expected) = parse(stored),
              let actual = try? derive(password, salt: salt, iterations: iterations, length: expected.count) else { return false }
        return constantTimeEqual([UInt8](actual), [UInt8](expected))
    }

    static func parse(_ stored: String) -> (Int, Data, Data)? {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == prefix, let iterations = Int(parts[1]),
              iterations >= minimumIterations, iterations <= maximumIterations,
              let salt = Data(base64Encoded: String(parts[2])), salt.count >= 8, salt.count <= 64,
              let hash = Data(base64Encoded: String(parts[3])), hash.count >= 16, hash.count <= 64 else { return nil }
        return (iterations, salt, hash)
    }

    static func derive(_ password: String, salt: Data, iterations: Int, length: Int) throws -> Data {
        var out = [UInt8](repeating: 0, count: length)
        let pw = Array(password.utf8)
        let ok = pw.withUnsafeBufferPointer { p in
            salt.withUnsafeBytes { s in
                PKCS5_PBKDF2_HMAC(p.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, Int32(pw.count),
                                  s.bindMemory(to: UInt8.self).baseAddress, Int32(salt.count),
                                  Int32(iterations), EVP_sha256(), Int32(length), &out)
            }
        }
        guard ok == 1 else { throw CryptoError("PKCS5_PBKDF2_HMAC failed") }
        return Data(out)
    }
}

/// Random bytes from OpenSSL's CSPRNG (`RAND_bytes`): salts, session ids, tokens.
public func randomBytes(_ count: Int) throws -> Data {
    var out = [UInt8](repeating: 0, count: count)
    guard RAND_bytes(&out, Int32(count)) == 1 else { throw CryptoError("RAND_bytes failed") }
    return Data(out)
}
