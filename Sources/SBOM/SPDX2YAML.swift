import Foundation
import Yams

/// Reads SPDX 2.x YAML (as spdx-tools writes it): the YAML is converted to the
/// equivalent JSON and read by the SPDX 2 JSON reader, so both judge alike and
/// errors name the same key paths (`packages[3].name`).
///
/// Bounded before Yams sees the text: flow collections and indentation nested
/// at most `limits.maxElementDepth` levels (Yams composes recursively). Aliases
/// are shared nodes in Yams' tree; the conversion counts every node it visits
/// (an alias counts as often as it is used) and stops past the document's size
/// in bytes, so that "billion laughs" cannot expand a small file.
/// Every scalar is read as text (`versionInfo: 1.10` is the version `1.10`).
enum SPDX2YAMLReader {
    /// Whether the text has a top-level `spdxVersion:` key (SPDX 2 YAML; the
    /// tag-value tag is `SPDXVersion:`).
    static func looksLikeYAML(_ text: String) -> Bool {
        let keys = ["spdxVersion:", "\"spdxVersion\":", "'spdxVersion':"].map { Array($0.utf8) }
        var lines = LineIterator(text)
        while let line = lines.next() {
            if keys.contains(where: { line.utf8.starts(with: $0) }) { return true }
        }
        return false
    }

    static func read(_ text: String, limits: SBOMLimits) throws(SBOMError) -> SBOMDocument {
        try checkNesting(text, limit: limits.maxElementDepth)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw SBOMError(.malformed, "not valid YAML: \(describe(error))")
        } catch {
            throw SBOMError(.malformed, "not valid YAML")
        }
        guard let root else { throw SBOMError(.unrecognizedFormat, "empty YAML document") }
        var budget = text.utf8.count + 1024
        let value = try convert(root, path: "", budget: &budget)
        guard let object = value as? [String: Any], object["spdxVersion"] != nil else {
            throw SBOMError(.unrecognizedFormat, "YAML document without a top-level spdxVersion")
        }
        guard object["bomFormat"] == nil, object["@graph"] == nil, object["@context"] == nil else {
            throw SBOMError(.unrecognizedFormat, "YAML document is not SPDX 2")
        }
        let json: Data
        do {
            json = try JSONSerialization.data(withJSONObject: object)
        } catch {
            throw SBOMError(.malformed, "YAML document cannot be represented as JSON")
        }
        var document = try JSONReader.read(json, limits: limits)
        document.format = .spdxYAML
        return document
    }

    /// The YAML node as JSONSerialization values, every scalar as text.
    private static func convert(_ node: Node, path: @autoclosure () -> String, budget: inout Int) throws(SBOMError) -> Any {
        budget -= 1
        guard budget >= 0 else {
            throw SBOMError(.limitExceeded, "YAML expands to more nodes than it has bytes (aliases?)", at: nonEmpty(path()))
        }
        switch node {
        case let .scalar(scalar):
            if scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) { return NSNull() }
            return scalar.string
        case let .sequence(sequence):
            var items: [Any] = []
            items.reserveCapacity(sequence.count)
            for (i, child) in sequence.enumerated() {
                items.append(try convert(child, path: path() + "[\(i)]", budget: &budget))
            }
            return items
        case let .mapping(mapping):
            var object: [String: Any] = [:]
            for (key, child) in mapping {
                guard case let .scalar(name) = key else {
                    throw SBOMError(.malformed, "YAML mapping key that is not text", at: nonEmpty(path()))
                }
                let childPath = path().isEmpty ? name.string : path() + "." + name.string
                guard object[name.string] == nil else {
                    throw SBOMError(.malformed, "key appears twice", at: childPath)
                }
                object[name.string] = try convert(child, path: childPath, budget: &budget)
            }
            return object
        case .alias:
            throw SBOMError(.malformed, "unresolved YAML alias", at: nonEmpty(path()))
        }
    }

    private static func nonEmpty(_ path: String) -> String? { path.isEmpty ? nil : path }

    /// Rejects flow collections (`[`, `{`) nested deeper than `limit` and lines
    /// indented more than 4 columns per level. Brackets inside quoted text
    /// count too: the bound is only ever stricter than the YAML's real depth.
    private static func checkNesting(_ text: String, limit: Int) throws(SBOMError) {
        var depth = 0
        var line = 1
        var atLineStart = true
        var indent = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                guard depth <= limit else {
                    throw SBOMError(.limitExceeded, "YAML nested deeper than \(limit) levels", at: "line \(line)")
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
            case 0x0A:
                line += 1
                atLineStart = true
                indent = 0
                continue
            default:
                break
            }
            if atLineStart {
                if byte == 0x20 || byte == UInt8(ascii: "-") {
                    indent += 1
                    guard indent <= 4 * limit else {
                        throw SBOMError(.limitExceeded, "YAML indented deeper than \(limit) levels", at: "line \(line)")
                    }
                } else {
                    atLineStart = false
                }
            }
        }
    }

    private static func describe(_ error: YamlError) -> String {
        // Yams' descriptions quote the offending line: keep the first line, shortened.
        let text = "\(error)".split(separator: "\n").first.map(String.init) ?? "YAML error"
        return String(text.prefix(200))
    }
}
