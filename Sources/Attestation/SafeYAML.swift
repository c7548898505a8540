import Foundation
import Yams

/// A YAML document as plain values, read without Yams' untyped constructor (which
/// force-unwraps on non-text mapping keys: found by the policy fuzzer) and with a
/// budget on nodes and depth, so that aliases ("billion laughs") cannot make a
/// small file expand without end.
public indirect enum YAMLValue: Sendable {
    case null
    /// A scalar with the typed readings YAML's core schema gives it.
    case scalar(text: String, int: Int?, double: Double?, bool: Bool?)
    case sequence([YAMLValue])
    /// Keys in document order, with the line each key is on (1-based; 0 when unknown).
    case mapping([(key: String, value: YAMLValue)], lines: [Int])

    public var string: String? {
        if case .scalar(let text, _, _, _) = self { return text }
        return nil
    }
    public var int: Int? {
        if case .scalar(_, let int, _, _) = self { return int }
        return nil
    }
    public var double: Double? {
        if case .scalar(_, let int, let double, _) = self { return double ?? int.map(Double.init) }
        return nil
    }
    public var bool: Bool? {
        if case .scalar(_, _, _, let bool) = self { return bool }
        return nil
    }
    public var mapping: [(key: String, value: YAMLValue)]? {
        if case .mapping(let pairs, _) = self { return pairs }
        return nil
    }
    /// The line of a mapping's key (for messages: "line 12: ...").
    public func line(ofKey key: String) -> Int? {
        guard case .mapping(let pairs, let lines) = self, let i = pairs.firstIndex(where: { $0.key == key }), i < lines.count,
              lines[i] > 0 else { return nil }
        return lines[i]
    }
    public var sequence: [YAMLValue]? {
        if case .sequence(let items) = self { return items }
        return nil
    }
    /// Scalars of a sequence as text (nil when any item is not a scalar).
    public var strings: [String]? {
        guard let items = sequence else { return nil }
        let out = items.compactMap(\.string)
        return out.count == items.count ? out : nil
    }
}

public enum SafeYAML {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    /// Parses one YAML document. Mapping keys must be text; a key given twice is an error.
    public static func load(_ text: String, maxNodes: Int = 100_000, maxDepth: Int = 64) throws -> YAMLValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw Failure(message: "not valid YAML: \(error)")
        }
        guard let node else { return .null }
        var budget = maxNodes
        return try convert(node, depth: 0, maxDepth: maxDepth, budget: &budget)
    }

    private static func convert(_ node: Node, depth: Int, maxDepth: Int, budget: inout Int) throws -> YAMLValue {
        budget -= 1
        guard budget >= 0 else { throw Failure(message: "more than the allowed number of YAML nodes (aliases expanding?)") }
        guard depth <= maxDepth else { throw Failure(message: "YAML nested deeper than \(maxDepth) levels") }
        switch node {
        case .scalar:
            if node.null != nil, node.tag.description.hasSuffix(":null") { return .null }
            return .scalar(text: node.string ?? "", int: node.int, double: node.float, bool: node.bool)
        case .sequence(let sequence):
            var items: [YAMLValue] = []
            for child in sequence {
                items.append(try convert(child, depth: depth + 1, maxDepth: maxDepth, budget: &budget))
            }
            return .sequence(items)
        case .mapping(let mapping):
            var pairs: [(key: String, value: YAMLValue)] = []
            var lines: [Int] = []
            var seen = Set<String>()
            for (key, value) in mapping {
                guard case .scalar = key, let name = key.string else {
                    throw Failure(message: "line \(key.mark?.line ?? 0): mapping keys must be plain text")
                }
                guard seen.insert(name).inserted else {
                    throw Failure(message: "line \(key.mark?.line ?? 0): key '\(name.prefix(80))' appears twice")
                }
                pairs.append((name, try convert(value, depth: depth + 1, maxDepth: maxDepth, budget: &budget)))
                lines.append(key.mark?.line ?? 0)
            }
            return .mapping(pairs, lines: lines)
        case .alias:
            throw Failure(message: "unresolved YAML alias")
        }
    }
}
