import CryptoIO
import Foundation

public let statementTypeV1 = "https://in-toto.io/Statement/v1"
public let statementTypeV01 = "https://in-toto.io/Statement/v0.1"
/// passbox's own predicate: what the delivery is.
public let deliveryPredicateType = "https://passbox.dev/attestation/delivery/v1"
/// Most subjects one statement may list.
public let maxSubjects = 1_000_000

/// One artifact a statement vouches for.
public struct Subject: Sendable, Equatable {
    /// Path relative to the delivery root (`a/b.zip!/c` for an archive entry).
    public var name: String
    /// Digests of the known algorithms (held as bytes; read as lower-case hex).
    public var digests: Digests

    public init(name: String, digests: Digests) {
        self.name = name
        self.digests = digests
    }
}

/// passbox's delivery predicate (all fields optional).
public struct DeliveryPredicate: Codable, Sendable, Equatable {
    public var vendor: String?
    public var product: String?
    public var version: String?
    public var kind: String?
    public var sbom: [SBOMReference]?
    /// The delivery's symbolic links (a path relative to the delivery root and the
    /// target it holds): a link has no content a subject's digest could vouch for, so
    /// `manifest create` records a tree's links here and `verify` compares them.
    public var links: [Link]?

    public struct Link: Codable, Sendable, Equatable {
        public var name: String
        public var target: String
        public init(name: String, target: String) {
            self.name = name
            self.target = target
        }
    }

    public struct SBOMReference: Codable, Sendable, Equatable {
        public var name: String
        public var digest: [String: String]
        public init(name: String, digest: [String: String]) {
            self.name = name
            self.digest = digest
        }
    }

    public init(vendor: String? = nil, product: String? = nil, version: String? = nil, kind: String? = nil, sbom: [SBOMReference]? = nil,
                links: [Link]? = nil) {
        self.vendor = vendor
        self.product = product
        self.version = version
        self.kind = kind
        self.sbom = sbom
        self.links = links
    }
}

/// An in-toto Statement, parsed only from a payload whose signature verified.
public struct Statement: Sendable {
    public var type: String
    public var subjects: SubjectList
    public var predicateType: String?
    public var delivery: DeliveryPredicate?

    /// Reads a payload whose signatures verified (see `StatementJSON`).
    public static func parse(_ payload: [UInt8]) throws -> Statement {
        try payload.withUnsafeBytes { try parse($0) }
    }

    public static func parse(_ payload: UnsafeRawBufferPointer) throws -> Statement {
        try check(StatementJSON.read(payload))
    }

    /// The same, read by Foundation's JSONDecoder: the oracle the tests and the fuzzer
    /// compare `parse` with (it is laxer about repeated keys).
    public static func parseWithFoundation(_ payload: [UInt8]) throws -> Statement {
        let raw: FoundationRaw
        do {
            raw = try JSONDecoder().decode(FoundationRaw.self, from: Data(payload))
        } catch let error as DecodingError {
            throw ManifestError("not an in-toto Statement: \(describe(error))")
        }
        let subjects = try raw.subject.enumerated().map { try subject(RawSubject(name: $1.name, digest: $1.digest.set), at: $0) }
        return try check(RawStatement(type: raw._type, subjects: SubjectList(subjects), predicateType: raw.predicateType, delivery: raw.delivery))
    }

    private struct FoundationRaw: Decodable {
        var _type: String
        var subject: [FoundationSubject]
        var predicateType: String?
        var delivery: DeliveryPredicate?

        enum CodingKeys: String, CodingKey { case _type, subject, predicateType, predicate }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            _type = try c.decode(String.self, forKey: ._type)
            subject = try c.decode([FoundationSubject].self, forKey: .subject)
            predicateType = try c.decodeIfPresent(String.self, forKey: .predicateType)
            if predicateType == deliveryPredicateType {
                delivery = try c.decodeIfPresent(DeliveryPredicate.self, forKey: .predicate)
            }
        }
    }
    private struct FoundationSubject: Decodable {
        var name: String?
        var digest: FoundationDigestSet
    }
    private struct FoundationDigestSet: Decodable {
        var set = RawDigestSet()
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys {
                set.add(key: key.stringValue, value: try container.decode(String.self, forKey: key))
            }
        }
    }

    /// passbox's checks of the whole statement, the same whichever reader read it
    /// (each subject was checked by `subject(_:at:)` as it was read).
    private static func check(_ raw: RawStatement) throws -> Statement {
        guard raw.type == statementTypeV1 || raw.type == statementTypeV01 else {
            throw ManifestError("unsupported statement _type \(raw.type.prefix(200))")
        }
        guard !raw.subjects.isEmpty else { throw ManifestError("statement has no subjects") }
        guard raw.subjects.count <= maxSubjects else {
            throw ManifestError("statement has \(raw.subjects.count) subjects; at most \(maxSubjects) are read")
        }
        return Statement(type: raw.type, subjects: raw.subjects, predicateType: raw.predicateType, delivery: raw.delivery)
    }

    /// One subject as passbox keeps it: a name, and digests of known algorithms in
    /// lower-case hex. Checked as it is read, so no second copy of 50,000 subjects exists.
    static func subject(_ s: RawSubject, at i: Int) throws -> Subject {
        guard let rawName = s.name, !rawName.isEmpty else { throw ManifestError("subject[\(i)] has no name") }
        let name = normalizeSubjectName(rawName)
        var digests = Digests()
        for (algorithm, key, value) in s.digest.known {
            guard value.utf8.count == algorithm.byteCount * 2, isHex(value), let bytes = Hex.decode(value) else {
                throw ManifestError("subject[\(i)] \(rawName.prefix(200)): \(key) is not a \(algorithm.byteCount)-byte hex digest")
            }
            // "sha256" and "SHA256" in one set must agree.
            if let earlier = digests.bytes(algorithm), earlier != bytes {
                throw ManifestError("subject[\(i)] \(rawName.prefix(200)): two different \(algorithm.rawValue) digests")
            }
            digests.set(algorithm, bytes: bytes)
        }
        guard !digests.isEmpty else {
            let weak = s.digest.weak
            let why = weak.isEmpty ? "no sha256, sha384 or sha512 digest" : "only weak digests (\(weak.joined(separator: ", ")))"
            throw ManifestError("subject[\(i)] \(rawName.prefix(200)) has \(why)")
        }
        return Subject(name: name, digests: digests)
    }
}

/// "./fw/a.bin" and "fw//a.bin" name the same file as "fw/a.bin".
public func normalizeSubjectName(_ name: String) -> String {
    // Already normal (no empty or "." component): the same string, without splitting.
    var normal = true
    var length = 0
    var dot = false
    for b in name.utf8 {
        if b == UInt8(ascii: "/") {
            if length == 0 || (length == 1 && dot) { normal = false; break }
            length = 0
        } else {
            length += 1
            dot = length == 1 && b == UInt8(ascii: ".")
        }
    }
    if normal && length > 0 && !(length == 1 && dot) { return name }
    let parts = name.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
    return parts.joined(separator: "/")
}

private func isHex(_ text: String) -> Bool {
    text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || (0x41...0x46).contains($0) }
}
