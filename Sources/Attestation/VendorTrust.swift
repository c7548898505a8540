import CryptoIO
import Foundation

// MARK: - Trust

/// A minisign or signify key from `keys/*.pub`.
public struct TrustedEd25519Key: Sendable {
    public var name: String
    public var file: String
    public var keyFile: Ed25519KeyFile
    public init(name: String, file: String, keyFile: Ed25519KeyFile) {
        self.name = name
        self.file = file
        self.keyFile = keyFile
    }
}

/// An OpenPGP certificate from `keys/*.asc` / `keys/*.pgp`.
public struct TrustedOpenPGPCertificate: Sendable {
    public var name: String
    public var file: String
    public var certificate: OpenPGPCertificate
    public init(name: String, file: String, certificate: OpenPGPCertificate) {
        self.name = name
        self.file = file
        self.certificate = certificate
    }
}

/// What vendor signatures are checked against.
public struct VendorTrust: Sendable {
    /// PEM SubjectPublicKeyInfo keys (`keys/*.pem`): raw signatures.
    public var keys: [TrustedKey]
    /// minisign/signify keys (`keys/*.pub`).
    public var ed25519Keys: [TrustedEd25519Key]
    /// OpenPGP certificates (`keys/*.asc`, `keys/*.pgp`).
    public var openPGPCertificates: [TrustedOpenPGPCertificate]
    /// X.509 trust anchors (`roots/*.pem`).
    public var roots: [Certificate]
    /// Revocation lists (`crls/*.pem`, `crls/*.crl`).
    public var crls: [RevocationList]
    /// Require a CRL for every CA of an X.509 chain (policy `signatures.requireCRL`).
    public var requireCRL: Bool
    /// Require the codeSigning extended key usage on X.509 signers (default true).
    public var requireCodeSigning: Bool

    public init(keys: [TrustedKey] = [], ed25519Keys: [TrustedEd25519Key] = [], openPGPCertificates: [TrustedOpenPGPCertificate] = [],
                roots: [Certificate] = [], crls: [RevocationList] = [], requireCRL: Bool = false, requireCodeSigning: Bool = true) {
        self.keys = keys
        self.ed25519Keys = ed25519Keys
        self.openPGPCertificates = openPGPCertificates
        self.roots = roots
        self.crls = crls
        self.requireCRL = requireCRL
        self.requireCodeSigning = requireCodeSigning
    }

    /// Reads `DIR/keys/*.pem|*.pub|*.asc|*.pgp`, `DIR/roots/*.pem` and `DIR/crls/*.pem|*.crl`
    /// (`TrustStoreContents.read`). A file that does not parse is a `TrustStoreError`
    /// (exit 2); files of other kinds are returned in `ignored` (dot files and README.md
    /// are skipped silently).
    public static func load(directory: String) throws -> (trust: VendorTrust, ignored: [String]) {
        let contents = try TrustStoreContents.read(directory: directory)
        return (contents.vendor, contents.ignored.filter { !$0.hasSuffix(")") })
    }
}
