import CryptoIO
import Foundation

/// The trust store, read once: every file of `keys/`, `roots/`, `crls/` and
/// `trust.yaml` is listed, classified and parsed here, and everything else is built
/// from this one reading — what verification checks signatures against (`store`,
/// `vendor`), what `passbox trust list` and `trust check` show (`keyFiles`, `roots`,
/// `crls`), and the one count of trusted keys every message uses (`keyCount`).
public struct TrustStoreContents: Sendable {
    /// A file of `keys/` and what it stands for.
    public struct KeyFile: Sendable {
        /// The file name (`acme.pub`) and its name without extension (`acme`: the signer's name).
        public var fileName: String
        public var name: String
        public var path: String
        public var summary: KeyFileSummary
    }
    /// A certificate of `roots/` (a file may hold several).
    public struct Root: Sendable {
        public var fileName: String
        public var certificate: Certificate
    }
    /// A revocation list of `crls/`.
    public struct CRL: Sendable {
        public var fileName: String
        public var list: RevocationList
    }

    public var directory: String
    /// DSSE keys (PEM, one per distinct key) and trust.yaml.
    public var store: TrustStore
    /// Keys, OpenPGP certificates, roots and CRLs for detached signatures.
    public var vendor: VendorTrust
    public var keyFiles: [KeyFile]
    public var roots: [Root]
    public var crls: [CRL]
    /// Files passbox saw but does not use (said in the report, never silently).
    public var ignored: [String]
    /// Whether `trust.yaml` exists.
    public var hasTrustYAML: Bool

    /// Distinct keys in `keys/`, across formats (PEM, minisign, signify, OpenPGP
    /// primary keys and subkeys passbox can use), counted by the SHA-256 of their
    /// SubjectPublicKeyInfo: the same key in two files is one key.
    public var keyCount: Int {
        var seen = Set<String>()
        for file in keyFiles {
            for entry in file.summary.entries { if let f = entry.fingerprint { seen.insert(f.lowercased()) } }
        }
        return seen.count
    }

    /// Reads the trust store at `directory`. A file that does not parse, a weak key, or
    /// a trust.yaml with mistakes (all of them are reported, each with its line) is a
    /// `TrustStoreError`: a broken trust store is never half-used.
    public static func read(directory: String) throws -> TrustStoreContents {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw TrustStoreError(file: directory, problem: "trust store directory does not exist")
        }
        var vendor = VendorTrust()
        var dsseKeys: [TrustedKey] = []
        var keyFiles: [KeyFile] = []
        var ignored: [String] = []
        var firstFileOfKey: [String: String] = [:]
        for (path, fileName) in try listFiles(directory + "/keys") {
            let lower = fileName.lowercased()
            let name = String(fileName[..<(fileName.lastIndex(of: ".") ?? fileName.endIndex)])
            let summary: KeyFileSummary
            if lower.hasSuffix(".pem") {
                let key: PublicKey
                do {
                    key = try PublicKey(pemOrDER: try readBounded(path, limit: maxKeyFileBytes))
                } catch let error as TrustStoreError {
                    throw error
                } catch {
                    throw TrustStoreError(file: path, problem: "not a usable public key: \(error)")
                }
                let trusted = TrustedKey(name: name, file: path, key: key)
                vendor.keys.append(trusted)
                if let first = firstFileOfKey[key.fingerprint] {
                    // The same key twice is still one signer; keep the first name.
                    ignored.append("\(path) (same key as \(first))")
                } else {
                    firstFileOfKey[key.fingerprint] = path
                    dsseKeys.append(trusted)
                }
                summary = KeyFileSummary(pem: key)
            } else if lower.hasSuffix(".pub") {
                let file: Ed25519KeyFile
                do {
                    file = try Ed25519KeyFile.parse(try readBounded(path, limit: 4096))
                } catch let error as TrustStoreError {
                    throw error
                } catch {
                    throw TrustStoreError(file: path, problem: "not a minisign or signify public key: \(error)")
                }
                vendor.ed25519Keys.append(TrustedEd25519Key(name: name, file: path, keyFile: file))
                summary = KeyFileSummary(ed25519: file)
            } else if lower.hasSuffix(".asc") || lower.hasSuffix(".pgp") {
                let certs: [OpenPGPCertificate]
                do {
                    certs = try OpenPGPCertificate.parseAll(try readBounded(path, limit: maxOpenPGPKeyFileBytes))
                } catch let error as TrustStoreError {
                    throw error
                } catch {
                    throw TrustStoreError(file: path, problem: "not an OpenPGP certificate: \(error)")
                }
                for (i, cert) in certs.enumerated() {
                    vendor.openPGPCertificates.append(TrustedOpenPGPCertificate(
                        name: certs.count == 1 ? name : "\(name)#\(i + 1)", file: path, certificate: cert))
                }
                summary = KeyFileSummary(openPGP: certs)
            } else {
                if fileName != "README.md" { ignored.append(path) }
                continue
            }
            keyFiles.append(KeyFile(fileName: fileName, name: name, path: path, summary: summary))
        }
        var roots: [Root] = []
        for (path, fileName) in try listFiles(directory + "/roots") {
            guard fileName.lowercased().hasSuffix(".pem") else {
                if fileName != "README.md" { ignored.append(path) }
                continue
            }
            let certificates: [Certificate]
            do {
                certificates = try Certificate.parseAll(try readBounded(path, limit: maxCertificateFileBytes))
            } catch let error as TrustStoreError {
                throw error
            } catch {
                throw TrustStoreError(file: path, problem: "not a PEM certificate: \(error)")
            }
            vendor.roots += certificates
            roots += certificates.map { Root(fileName: fileName, certificate: $0) }
        }
        var crls: [CRL] = []
        for (path, fileName) in try listFiles(directory + "/crls") {
            let lower = fileName.lowercased()
            guard lower.hasSuffix(".pem") || lower.hasSuffix(".crl") else {
                if fileName != "README.md" { ignored.append(path) }
                continue
            }
            let lists: [RevocationList]
            do {
                lists = try RevocationList.parseAll(try readBounded(path, limit: maxCertificateFileBytes))
            } catch let error as TrustStoreError {
                throw error
            } catch {
                throw TrustStoreError(file: path, problem: "not a CRL: \(error)")
            }
            vendor.crls += lists
            crls += lists.map { CRL(fileName: fileName, list: $0) }
        }

        var config = TrustConfig()
        let yamlPath = directory + "/trust.yaml"
        let hasTrustYAML = FileManager.default.fileExists(atPath: yamlPath)
        if hasTrustYAML {
            var problems: [String] = []
            do {
                config = try parseTrustConfig(try readBounded(yamlPath, limit: 1 << 20), file: yamlPath)
            } catch let error as TrustStoreError {
                problems = error.problems
            }
            var byFile: [String: Set<String>] = [:]
            for file in keyFiles { byFile[file.fileName] = file.summary.fingerprints }
            problems += resolveSignerKeys(&config, keyFiles: byFile, directory: directory)
            if !problems.isEmpty { throw TrustStoreError(file: yamlPath, problems: problems) }
        }
        return TrustStoreContents(
            directory: directory, store: TrustStore(directory: directory, keys: dsseKeys, config: config, ignored: ignored),
            vendor: vendor, keyFiles: keyFiles, roots: roots, crls: crls, ignored: ignored, hasTrustYAML: hasTrustYAML)
    }

    private static func listFiles(_ dir: String) throws -> [(path: String, name: String)] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else { return [] }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
                .filter { !$0.hasPrefix(".") }
                .map { (dir + "/" + $0, $0) }
        } catch {
            throw TrustStoreError(file: dir, problem: "cannot list: \(error.localizedDescription)")
        }
    }
}
