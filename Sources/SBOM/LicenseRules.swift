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
/// Deprecated SPDX ids, in entries and in SBOMs, count as their current
/// equivalents: `GPL-2.0` is `GPL-2.0-only`, `GPL-2.0+` is `GPL-2.0-or-later`
/// (and, as `X` matches `X+`, an entry `GPL-2.0-only` also matches
/// `GPL-2.0-or-later`), `GPL-2.0-with-classpath-exception` is `GPL-2.0-only
/// WITH Classpath-exception-2.0`. Ids on no list are just ids: they match
/// only entries that name them.
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
        allowKeys = Set((allow ?? []).map(Self.entryKey))
        denyKeys = Set(deny.map(Self.entryKey))
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

    /// The entries (lowercased, in current SPDX ids) that match a term: the
    /// term itself, without its exception, and without `+` (for an
    /// `X-or-later` term, also `X-only`).
    private static func keys(_ term: LicenseTerm) -> [String] {
        let term = currentSPDX(term)
        let id = term.id.lowercased()
        var licenses = [term.orLater ? id + "+" : id, id]
        if id.hasSuffix("-or-later") { licenses.append(id.dropLast("-or-later".count) + "-only") }
        guard let exception = term.exception else { return licenses }
        return [licenses[0] + " with " + exception.lowercased()] + licenses
    }

    /// The key an entry is stored under: its term in current SPDX ids.
    private static func entryKey(_ entry: String) -> String {
        guard case let .license(term)? = try? LicenseExpression(entry) else { return entry.lowercased() }
        return currentSPDX(term).description.lowercased()
    }
}

/// A license term in current SPDX identifiers: the deprecated ids SBOMs still
/// carry (the CycloneDX schemas enumerate them) as their replacements, so
/// that `GPL-2.0+` is `GPL-2.0-or-later`, `GPL-2.0` is `GPL-2.0-only`,
/// `GPL-2.0-with-classpath-exception` is `GPL-2.0-only WITH
/// Classpath-exception-2.0`. Other terms are returned unchanged.
func currentSPDX(_ term: LicenseTerm) -> LicenseTerm {
    let id = term.id.lowercased()
    for (family, base) in gnuFamilies where id.hasPrefix(base) {
        let suffix = id.dropFirst(base.count)
        let orLater: Bool
        switch suffix {
        case "": orLater = term.orLater
        case "-only": orLater = term.orLater
        case "-or-later": orLater = true
        default: continue
        }
        return LicenseTerm(id: family + (orLater ? "-or-later" : "-only"), orLater: false, exception: term.exception)
    }
    if let replacement = deprecatedLicenseIDs[id] {
        // The replacement's own exception wins only when the term has none.
        return LicenseTerm(id: replacement.id, orLater: term.orLater || replacement.orLater,
                           exception: term.exception ?? replacement.exception)
    }
    return term
}

/// The GNU licenses whose bare ids (and `+`) the SPDX list deprecated for
/// `-only` and `-or-later`.
private let gnuFamilies = [
    "GPL-1.0", "GPL-2.0", "GPL-3.0", "LGPL-2.0", "LGPL-2.1", "LGPL-3.0", "AGPL-1.0", "AGPL-3.0",
    "GFDL-1.1", "GFDL-1.2", "GFDL-1.3",
].map { (family: $0, lowercased: $0.lowercased()) }

/// Other deprecated SPDX license ids (lowercased) and what replaced them.
private let deprecatedLicenseIDs: [String: LicenseTerm] = [
    "gpl-2.0-with-autoconf-exception": LicenseTerm(id: "GPL-2.0-only", exception: "Autoconf-exception-2.0"),
    "gpl-2.0-with-bison-exception": LicenseTerm(id: "GPL-2.0-or-later", exception: "Bison-exception-2.2"),
    "gpl-2.0-with-classpath-exception": LicenseTerm(id: "GPL-2.0-only", exception: "Classpath-exception-2.0"),
    "gpl-2.0-with-font-exception": LicenseTerm(id: "GPL-2.0-only", exception: "Font-exception-2.0"),
    "gpl-2.0-with-gcc-exception": LicenseTerm(id: "GPL-2.0-only", exception: "GCC-exception-2.0"),
    "gpl-3.0-with-autoconf-exception": LicenseTerm(id: "GPL-3.0-only", exception: "Autoconf-exception-3.0"),
    "gpl-3.0-with-gcc-exception": LicenseTerm(id: "GPL-3.0-only", exception: "GCC-exception-3.1"),
    "ecos-2.0": LicenseTerm(id: "GPL-2.0-or-later", exception: "eCos-exception-2.0"),
    "wxwindows": LicenseTerm(id: "LGPL-2.0-or-later", exception: "WxWindows-exception-3.1"),
    "standardml-nj": LicenseTerm(id: "SMLNJ"),
    "nunit": LicenseTerm(id: "zlib-acknowledgement"),
    "bsd-2-clause-freebsd": LicenseTerm(id: "BSD-2-Clause"),
    "bsd-2-clause-netbsd": LicenseTerm(id: "BSD-2-Clause"),
]

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
