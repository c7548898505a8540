import CryptoIO
import SafeText

/// A statement's subjects, stored compactly: the names back to back in one buffer and
/// the digests in one array (a statement names up to `maxSubjects` files; at 200,000
/// subjects, an array of `Subject` values with a String each took 26 MB, this 14).
/// Read as a collection of `Subject` (each made on access).
public struct SubjectList: RandomAccessCollection, Sendable, Equatable, ExpressibleByArrayLiteral {
    private var names = PackedStrings()
    private var digests: [Digests] = []

    public init() {}

    public init(_ subjects: some Sequence<Subject>) {
        for subject in subjects { append(subject) }
    }

    public init(arrayLiteral subjects: Subject...) {
        self.init(subjects)
    }

    public mutating func reserve(_ count: Int) {
        names.reserve(count)
        digests.reserveCapacity(count)
    }

    public mutating func append(_ subject: Subject) {
        names.append(subject.name)
        digests.append(subject.digests)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { digests.count }

    public subscript(position: Int) -> Subject {
        Subject(name: names[position], digests: digests[position])
    }

    /// The name alone (no digests copied).
    public func name(at position: Int) -> String { names[position] }
}
