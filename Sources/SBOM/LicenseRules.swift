import Foundation

/// The `licenses:` part of an SBOM policy: which licenses are allowed and
/// which are denied.
///
/// An expression is acceptable when some choice of its `OR` alternatives uses
/// only acceptable licenses: an `OR` is acceptable when one branch is, an
/// `AND` only when every branch is. A license is acceptable when no deny entry
/// matches it and, if there is an allow list, an allow entry matches it.
///
/// Entries match license terms case-insensitively. An entry `X` matches the
/// terms `X`, `X+`, `X WITH E` and `X+ WITH E`; an entry `X+` matches `X+` and
/// `X+ WITH E`; an entry `X WITH E` matches only `X WITH E`. So allowing `X`
/// allows it with any exception (an exception only adds permissions), and
/// denying `X` denies it with any exception too; deny beats allow.
///
/// A component without a license expression is judged as the single license
/// `NONE` or `NOASSERTION` (its `licenseMarker`; `NOASSERTION` when the SBOM
/// says nothing): with an allow list it is acceptable only if the list names
/// that marker. An expression that does not parse is never acceptable.
public struct LicenseRules: Sendable, Equatable {
    /// Canonical entries (`nil`: no allow list).
    public let allow: [String]?
    public let deny: [String]
    private let allowKeys: Set<String>
    private let denyKeys: Set<String>

    /// Validates each entry: a license identifier, optionally with `+` and
    /// `WITH <exception>`; compound expressions are not entries.
    public init(allow: [String]? = nil, deny: [String] = []) throws(SBOMRuleError) {
        func canonical(_ entries: [String], list: String) throws(SBOMRuleError) -> [String] {
            try entries.map { (entry) throws(SBOMRuleError) -> String in
                let expression: LicenseExpression
                do throws(SBOMSyntaxError) {
                    expression = try LicenseExpression(entry)
                } catch {
                    throw SBOMRuleError(list: list, rule: entry, message: error.message)
                }
                guard case let .license(term) = expression else {
                    throw SBOMRuleError(list: list, rule: entry,
                                        message: "a license entry is one license (optionally with + or WITH), not an AND/OR expression")
                }
                return term.description
            }
        }
        let allow = try allow.map { (entries) throws(SBOMRuleError) in try canonical(entries, list: "licenses.allow") }
        let deny = try canonical(deny, list: "licenses.deny")
        self.allow = allow
        self.deny = deny
        allowKeys = Set((allow ?? []).map { $0.lowercased() })
        denyKeys = Set(deny.map { $0.lowercased() })
    }

    /// True when the policy says nothing about licenses.
    public var isEmpty: Bool { allow == nil && deny.isEmpty }

    /// No license rules at all (the built-in policy).
    public static let none = LicenseRules(noRules: ())

    private init(noRules: Void) {
        allow = nil
        deny = []
        allowKeys = []
        denyKeys = []
    }

    /// Why the component's license is not acceptable, or `nil` when it is.
    public func problem(for component: Component) -> String? {
        guard !isEmpty else { return nil }
        guard let text = component.licenseExpression else {
            let marker = component.licenseMarker ?? .noAssertion
            guard let reason = problems(.license(LicenseTerm(id: marker.rawValue))).first else { return nil }
            return "no license stated (\(marker.rawValue)): \(reason)"
        }
        let expression: LicenseExpression
        do throws(SBOMSyntaxError) {
            expression = try LicenseExpression(text)
        } catch {
            return "license expression does not parse: \(error)"
        }
        return problem(with: expression)
    }

    /// Why the expression is not acceptable, or `nil` when it is.
    public func problem(with expression: LicenseExpression) -> String? {
        let reasons = problems(expression)
        guard !reasons.isEmpty else { return nil }
        var seen = Set<String>()
        let unique = reasons.filter { seen.insert($0).inserted }
        return "license '\(expression)' is not allowed: " + unique.joined(separator: "; ")
    }

    /// Empty when acceptable; otherwise the reasons of the failing choices.
    private func problems(_ expression: LicenseExpression) -> [String] {
        switch expression {
        case let .license(term):
            let keys = Self.keys(term)
            if keys.contains(where: denyKeys.contains) { return ["\(term) is denied"] }
            if allow != nil, !keys.contains(where: allowKeys.contains) { return ["\(term) is not in licenses.allow"] }
            return []
        case let .and(parts):
            return parts.flatMap(problems)
        case let .or(parts):
            var reasons: [String] = []
            for part in parts {
                let partReasons = problems(part)
                if partReasons.isEmpty { return [] }
                reasons += partReasons
            }
            return reasons
        }
    }

    /// The entries (lowercased) that match a term: the term itself, without
    /// its exception, and without `+`.
    private static func keys(_ term: LicenseTerm) -> [String] {
        let id = term.id.lowercased()
        let license = term.orLater ? id + "+" : id
        guard let exception = term.exception else { return [license, id] }
        return [license + " with " + exception.lowercased(), license, id]
    }
}

/// A policy rule that is not valid, named with the list it is in.
public struct SBOMRuleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `allow`, `deny`, `licenses.allow` or `licenses.deny`.
    public var list: String
    public var rule: String
    public var message: String

    public init(list: String, rule: String, message: String) {
        self.list = list
        self.rule = rule
        self.message = message
    }

    public var description: String { "sbom.\(list): invalid rule '\(rule)': \(message)" }
}
