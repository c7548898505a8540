import CryptoIO
import Foundation

// MARK: - Signed checksum lists

/// A checksum list with its detached signature(s), checked signature-first: the list
/// is parsed only when at least one signature is valid.
public struct SignedChecksumList: Sendable {
    /// One per signature found (several files, several signatures per file).
    public var checks: [DetachedSignatureCheck]
    /// nil unless some check is valid.
    public var list: ChecksumList?
    /// Why the list did not parse, when a valid signature made passbox read it (the
    /// checks are kept: the report shows who signed what could not be read).
    public var listError: String?

    /// Valid signers, distinct by the key that verified (SHA-256 of its SubjectPublicKeyInfo).
    public var distinctValidSigners: [VendorSigner] {
        var seen = Set<String>()
        var out: [VendorSigner] = []
        for c in checks where c.status == .valid {
            guard let s = c.signer, seen.insert(s.keyFingerprint ?? s.fingerprint).inserted else { continue }
            out.append(s)
        }
        return out
    }
}

extension DetachedSignatureVerifier {
    /// Checks every signature file over `list`, then parses the list if any is valid.
    /// Throws `DetachedSignatureError` for a signature file that does not parse, and
    /// `ChecksumListError` for a list that does not parse after a valid signature.
    public func checkChecksumList(_ list: Data, signatures: [Data]) throws -> SignedChecksumList {
        var checks: [DetachedSignatureCheck] = []
        for signature in signatures {
            checks += try check(signature: signature, content: list)
        }
        guard checks.contains(where: { $0.status == .valid }) else {
            return SignedChecksumList(checks: checks, list: nil)
        }
        do {
            return SignedChecksumList(checks: checks, list: try ChecksumList.parse(list))
        } catch {
            return SignedChecksumList(checks: checks, list: nil, listError: "\(error)")
        }
    }
}

extension ChecksumList {
    /// Is this a checksum list's file name? `SHA256SUMS`, `SHA384SUMS`, `SHA512SUMS`
    /// (any case), or a name ending in `.sha256`, `.sha384`, `.sha512`.
    public static func isListFileName(_ name: String) -> Bool {
        let base = name.split(separator: "/").last.map(String.init) ?? name
        let lower = base.lowercased()
        if ["sha256sums", "sha384sums", "sha512sums"].contains(lower) { return true }
        return [".sha256", ".sha384", ".sha512"].contains { lower.hasSuffix($0) && lower.count > $0.count }
    }

    /// The names a detached signature of the list `name` may have beside it (the
    /// format is then told by content): `.minisig`, `.sig`, `.asc`, `.gpg`, `.p7s`.
    public static func signatureFileNames(for name: String) -> [String] {
        [".minisig", ".sig", ".asc", ".gpg", ".p7s"].map { name + $0 }
    }
}
