import CryptoIO
import SafeText

/// A statement's subjects, stored compactly: the names back to back in one buffer and
/// the SHA-256 digests back to back in another (a statement names up to `maxSubjects`
/// files; at 200,000 subjects, an array of `Subject` values with a String each took
/// 26 MB, this 11).
/// Read as a collection of `Subject` (each made on access).
public struct SubjectList: RandomAccessCollection, Sendable, Equatable, ExpressibleByArrayLiteral {
    private var names = PackedStrings()
    /// Each subject's SHA-256, 32 bytes apiece (what nearly every subject has alone).
    private var sha256: [UInt8] = []
    /// The digests of subjects that have more than a SHA-256, or no SHA-256, whole.
    private var otherDigests: [Int: Digests] = [:]

    public init() {}

    public init(_ subjects: some Sequence<Subject>) {
        for subject in subjects { append(subject) }
    }

    public init(arrayLiteral subjects: Subject...) {
        self.init(subjects)
    }

    public mutating func reserve(_ count: Int) {
        names.reserve(count)
        sha256.reserveCapacity(32 * count)
    }

    public mutating func append(_ subject: Subject) {
        let position = names.count
        names.append(subject.name)
        if subject.digests.algorithms == [.sha256] {
            _ = subject.digests.withBytes(.sha256) { sha256.append(contentsOf: $0) }
        } else {
            sha256.append(contentsOf: repeatElement(0, count: 32))
            otherDigests[position] = subject.digests
        }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { names.count }

    public subscript(position: Int) -> Subject {
        Subject(name: names[position], digests: digests(at: position))
    }

    /// The digests alone (no name made).
    public func digests(at position: Int) -> Digests {
        if let other = otherDigests[position] { return other }
        var digests = Digests()
        sha256.withUnsafeBytes { digests.set(.sha256, bytes: UnsafeRawBufferPointer(rebasing: $0[(32 * position)..<(32 * position + 32)])) }
        return digests
    }

    /// The name alone (no digests copied).
    public func name(at position: Int) -> String { names[position] }
}
