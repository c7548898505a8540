import Foundation

/// What a database can filter on before a rule is evaluated in Swift: the inventory
/// (`passbox inventory components RULE`) selects candidates by these columns, then
/// judges each candidate with `ComponentRule.matches(_:)` (versions in the
/// ecosystem's order, which SQL does not know). A superset: never misses a match.
public struct RuleCandidates: Sendable, Equatable {
    public enum Identity: Sendable, Equatable {
        /// Components with a purl of this type (normalized as `PackageURL` does).
        case purl(type: String)
        /// Components with a CPE.
        case cpe
        /// Components without a purl.
        case name
    }
    public var identity: Identity
    /// The purl namespace (segments joined by `/`), when the rule names it without wildcards.
    public var namespace: String?
    /// The purl name, or the component name of a name rule, when given without wildcards.
    public var name: String?
}

extension ComponentRule {
    /// The columns a store can filter on for this rule (see `RuleCandidates`).
    public var candidates: RuleCandidates {
        switch matcher {
        case let .purl(pattern):
            let literals = pattern.path.map(\.literal)
            let name = literals.last ?? nil
            // The namespace only when every one of its segments is literal (no `*`, no `**`).
            var namespace: String?
            if literals.count > 1, literals.dropLast().allSatisfy({ $0 != nil }) {
                namespace = literals.dropLast().compactMap { $0 }.joined(separator: "/")
            }
            return RuleCandidates(identity: .purl(type: pattern.type), namespace: namespace, name: name)
        case .cpe:
            return RuleCandidates(identity: .cpe, namespace: nil, name: nil)
        case let .name(glob, _):
            return RuleCandidates(identity: .name, namespace: nil, name: glob.literal)
        }
    }

    /// Whether `component` matches, as a deny rule judges: a component whose version
    /// is missing or not valid for the rule's scheme matches a rule with a version
    /// (when `versionUnknownMatches`, the default: a security question wants to see them).
    public func matches(_ component: Component, versionUnknownMatches: Bool = true) -> Bool {
        matches(RuleSubject(component), versionUnknownMatches: versionUnknownMatches)
    }
}
