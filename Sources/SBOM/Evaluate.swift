import Foundation

/// The `sbom:` rules of a policy: which components are allowed and denied, and
/// which licenses.
///
/// A deny rule beats an allow rule. Without an allow list (`allow == nil`),
/// every component no deny rule matches is approved; with one (even an empty
/// one), a component no allow rule matches is unapproved.
public struct SBOMRules: Sendable, Equatable {
    public var allow: [ComponentRule]?
    public var deny: [ComponentRule]
    public var licenses: LicenseRules

    /// Rules from the policy's string lists; `nil` means the list is absent.
    /// Throws for the first invalid entry, naming its list and the problem.
    public init(
        allow: [String]? = nil, deny: [String] = [],
        licenseAllow: [String]? = nil, licenseDeny: [String] = []
    ) throws(SBOMRuleError) {
        func rules(_ texts: [String], list: String) throws(SBOMRuleError) -> [ComponentRule] {
            try texts.map { (text) throws(SBOMRuleError) -> ComponentRule in
                do throws(SBOMSyntaxError) {
                    return try ComponentRule(text)
                } catch {
                    throw SBOMRuleError(list: list, rule: text, message: error.message)
                }
            }
        }
        self.allow = try allow.map { (texts) throws(SBOMRuleError) in try rules(texts, list: "allow") }
        self.deny = try rules(deny, list: "deny")
        licenses = try LicenseRules(allow: licenseAllow, deny: licenseDeny)
    }

    /// Rules built one by one (for entries given as YAML mappings, see
    /// `ComponentRule.init(fields:)`).
    public init(allowRules: [ComponentRule]?, denyRules: [ComponentRule], licenses: LicenseRules) {
        allow = allowRules
        deny = denyRules
        self.licenses = licenses
    }
}

/// The judgement of one component.
public struct ComponentVerdict: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        case approved
        case unapproved
        case denied
        case licenseDenied = "license-denied"
    }

    public var status: Status
    /// The allow or deny rule that decided, if one did.
    public var rule: String?
    /// Why, in words, for reports.
    public var reason: String

    public init(status: Status, rule: String? = nil, reason: String) {
        self.status = status
        self.rule = rule
        self.reason = reason
    }
}

/// Judges one component, in this order: a matching deny rule makes it
/// `denied`; else a license the rules do not accept makes it
/// `license-denied`; else, with an allow list, it is `approved` when an allow
/// rule matches and `unapproved` otherwise; without an allow list it is
/// `approved`. A component whose purl does not parse cannot be identified by
/// purl rules and is `unapproved` unless a deny rule (by CPE) matches.
public func evaluate(_ component: Component, rules: SBOMRules) -> ComponentVerdict {
    var cache = LicenseProblemCache()
    return evaluate(component, rules: rules, licenseCache: &cache)
}

/// The license verdicts of expressions already judged: SBOMs repeat a few
/// licenses over thousands of components.
struct LicenseProblemCache {
    private var problems: [String: String?] = [:]
    private var markers: [LicenseMarker?: String?] = [:]

    mutating func problem(for component: Component, rules: LicenseRules) -> String? {
        if let expression = component.licenseExpression {
            if let known = problems[expression] { return known }
            let problem = rules.problem(for: component)
            if problems.count < 4096 { problems[expression] = problem }
            return problem
        }
        if let known = markers[component.licenseMarker] { return known }
        let problem = rules.problem(for: component)
        markers[component.licenseMarker] = problem
        return problem
    }
}

func evaluate(_ component: Component, rules: SBOMRules, licenseCache: inout LicenseProblemCache) -> ComponentVerdict {
    let subject = RuleSubject(component)
    if let rule = rules.deny.first(where: { $0.matches(subject, versionUnknownMatches: true) }) {
        return ComponentVerdict(status: .denied, rule: rule.text, reason: "matches deny rule '\(rule.text)'")
    }
    if let error = subject.purlError {
        return ComponentVerdict(status: .unapproved, reason: "its purl does not parse: \(error.message)")
    }
    if let problem = licenseCache.problem(for: component, rules: rules.licenses) {
        return ComponentVerdict(status: .licenseDenied, reason: problem)
    }
    guard let allow = rules.allow else {
        return ComponentVerdict(status: .approved, reason: "no deny rule matches and the policy has no allow list")
    }
    if let rule = allow.first(where: { $0.matches(subject, versionUnknownMatches: false) }) {
        return ComponentVerdict(status: .approved, rule: rule.text, reason: "matches allow rule '\(rule.text)'")
    }
    return ComponentVerdict(status: .unapproved, reason: "no allow rule matches")
}

/// Judges many components, spread over the processor's cores; the verdicts
/// are in the order of `components`.
public func evaluate(_ components: [Component], rules: SBOMRules) -> [ComponentVerdict] {
    let chunks = min(components.count, ProcessInfo.processInfo.activeProcessorCount * 4)
    guard chunks > 1 else {
        var cache = LicenseProblemCache()
        return components.map { evaluate($0, rules: rules, licenseCache: &cache) }
    }
    let results = ChunkResults(count: chunks)
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        let range = (components.count * chunk / chunks)..<(components.count * (chunk + 1) / chunks)
        var cache = LicenseProblemCache()
        results.store(components[range].map { evaluate($0, rules: rules, licenseCache: &cache) }, at: chunk)
    }
    return results.joined()
}

/// Per-chunk results written by concurrent workers, each to its own slot.
private final class ChunkResults: @unchecked Sendable {
    private let lock = NSLock()
    private var chunks: [[ComponentVerdict]]

    init(count: Int) { chunks = Array(repeating: [], count: count) }

    func store(_ verdicts: [ComponentVerdict], at index: Int) {
        lock.lock()
        defer { lock.unlock() }
        chunks[index] = verdicts
    }

    func joined() -> [ComponentVerdict] {
        lock.lock()
        defer { lock.unlock() }
        return chunks.flatMap { $0 }
    }
}
