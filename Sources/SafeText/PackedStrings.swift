/// Strings kept back to back in one buffer (their UTF-8, and where each ends): a
/// string costs its length and 8 bytes, not an object of its own. Names of 16 bytes
/// or more are each a 64-byte allocation as Strings; at 200,000 names, 13 MB against 5.
public struct PackedStrings: Sendable, Equatable {
    private var bytes: [UInt8] = []
    private var ends: [Int] = []

    public init() {}

    public var count: Int { ends.count }

    /// Room for `count` strings of up to `averageBytes` each. Room not written to costs
    /// no memory (a large block's pages are only backed once touched), while growing by
    /// doubling copies the bytes and holds the old and the new buffer at once.
    public mutating func reserve(_ count: Int, averageBytes: Int = 64) {
        ends.reserveCapacity(count)
        bytes.reserveCapacity(count * averageBytes)
    }

    public mutating func append(_ string: String) {
        bytes.append(contentsOf: string.utf8)
        ends.append(bytes.count)
    }

    /// The string at `index` (made on each read).
    public subscript(index: Int) -> String {
        let start = index == 0 ? 0 : ends[index - 1]
        return String(decoding: bytes[start..<ends[index]], as: UTF8.self)
    }
}
