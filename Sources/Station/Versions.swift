import Attestation
import Foundation
import SBOM

/// `STATE/versions.json`: the highest version admitted per vendor and product,
/// replaced atomically.
public struct VersionStore: Sendable {
    public let directory: String
    public var path: String { directory + "/versions.json" }

    public init(directory: String) {
        self.directory = directory
    }

    /// The highest version admitted of one vendor/product, and when.
    public struct Entry: Codable, Sendable, Equatable {
        public var version: String
        public var deliverySha256: String
        public var time: String
    }

    static func key(vendor: String?, product: String) -> String {
        "\(vendor ?? "")/\(product)"
    }

    /// Every product's entry (an empty store when the file does not exist).
    public func load() throws -> [String: Entry] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        guard let data = FileManager.default.contents(atPath: path), data.count <= 16 << 20 else {
            throw StationError("cannot read \(path)")
        }
        do {
            return try JSONDecoder().decode([String: Entry].self, from: data)
        } catch {
            throw StationError("\(path) is malformed: \(error)")
        }
    }

    /// The version already admitted when `version` is older than it; nil otherwise.
    public func newerAdmitted(vendor: String?, product: String, version: String) throws -> Entry? {
        guard let entry = try load()[Self.key(vendor: vendor, product: product)] else { return nil }
        return compareVersions(version, entry.version) == .orderedAscending ? entry : nil
    }

    /// Remembers an admitted version (kept when higher than the one known).
    public func record(vendor: String?, product: String, version: String, deliverySha256: String) throws {
        var all = try load()
        let key = Self.key(vendor: vendor, product: product)
        if let existing = all[key], compareVersions(version, existing.version) != .orderedDescending { return }
        all[key] = Entry(version: version, deliverySha256: deliverySha256, time: rfc3339Milliseconds(Date()))
        let encoder = JSONOutput.encoder()
        try ensureStateDirectory(directory)
        try replaceAtomically(path, try encoder.encode(all) + Data("\n".utf8), mode: 0o600)
    }
}

/// Semantic Versioning order when both versions are semver, else the generic order.
public func compareVersions(_ a: String, _ b: String) -> ComparisonResult {
    VersionScheme.semver.compare(a, b) ?? VersionScheme.generic.compare(a, b) ?? .orderedSame
}
