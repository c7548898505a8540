import SBOM
import Testing

@Suite struct RulesTests {
    /// The policy of docs/usage.md's example.
    static func contractRules() throws -> SBOMRules {
        try SBOMRules(
            allow: ["pkg:npm/lodash@vers:npm/>=4.17.21", "pkg:generic/acme/*"],
            deny: ["pkg:maven/org.apache.logging.log4j/log4j-core@vers:maven/<2.17.1"],
            licenseAllow: ["MIT", "Apache-2.0", "BSD-3-Clause"],
            licenseDeny: ["AGPL-3.0-only"])
    }

    static func npm(_ name: String, _ version: String, license: String = "MIT") -> Component {
        Component(name: name, version: version, purl: "pkg:npm/\(name)@\(version)", licenseExpression: license)
    }

    @Test func allowedComponentIsApprovedByItsRule() throws {
        let verdict = evaluate(Self.npm("lodash", "4.17.21"), rules: try Self.contractRules())
        #expect(verdict == ComponentVerdict(status: .approved, rule: "pkg:npm/lodash@vers:npm/>=4.17.21",
                                            reason: "matches allow rule 'pkg:npm/lodash@vers:npm/>=4.17.21'"))
    }

    @Test func versionOutsideTheAllowedRangeIsUnapproved() throws {
        #expect(evaluate(Self.npm("lodash", "4.17.20"), rules: try Self.contractRules()).status == .unapproved)
    }

    @Test func denyRuleDenies() throws {
        let log4j = Component(name: "log4j-core", version: "2.14.1",
                              purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", licenseExpression: "Apache-2.0")
        let verdict = evaluate(log4j, rules: try Self.contractRules())
        #expect(verdict.status == .denied)
        #expect(verdict.rule == "pkg:maven/org.apache.logging.log4j/log4j-core@vers:maven/<2.17.1")
        let fixed = Component(name: "log4j-core", purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1",
                              licenseExpression: "Apache-2.0")
        #expect(evaluate(fixed, rules: try Self.contractRules()).status == .unapproved)
    }

    @Test func denyBeatsAllow() throws {
        let rules = try SBOMRules(allow: ["pkg:npm/*"], deny: ["pkg:npm/event-stream@3.3.6"])
        #expect(evaluate(Self.npm("event-stream", "3.3.6"), rules: rules).status == .denied)
        #expect(evaluate(Self.npm("event-stream", "3.3.5"), rules: rules).status == .approved)
    }

    @Test func wildcardMatchesOneSegmentAndDoubleStarAny() throws {
        let rules = try Self.contractRules()
        let tool = Component(name: "etch-tool", purl: "pkg:generic/acme/etch-tool@3.0", licenseExpression: "MIT")
        let nested = Component(name: "x", purl: "pkg:generic/acme/sub/x@1", licenseExpression: "MIT")
        #expect(evaluate(tool, rules: rules).status == .approved)
        #expect(evaluate(nested, rules: rules).status == .unapproved)
        let anyDepth = try SBOMRules(allow: ["pkg:generic/acme/**", "pkg:maven/org.apache.*/commons-*"])
        #expect(evaluate(nested, rules: anyDepth).status == .approved)
        let commons = Component(name: "commons-io", purl: "pkg:maven/org.apache.commons/commons-io@2.11.0")
        #expect(evaluate(commons, rules: anyDepth).status == .approved)
    }

    @Test func licenseDeniedComponent() throws {
        let verdict = evaluate(Component(name: "etch-tool", purl: "pkg:generic/acme/etch-tool@3.0",
                                         licenseExpression: "MIT AND AGPL-3.0-only"),
                               rules: try Self.contractRules())
        #expect(verdict.status == .licenseDenied)
        #expect(verdict.reason.contains("AGPL-3.0-only is denied"))
    }

    @Test func withoutAnAllowListEverythingNotDeniedIsApproved() throws {
        let rules = try SBOMRules(deny: ["pkg:npm/left-pad"])
        #expect(evaluate(Self.npm("lodash", "1.0.0"), rules: rules).status == .approved)
        #expect(evaluate(Component(name: "no-purl"), rules: rules).status == .approved)
        #expect(evaluate(Self.npm("left-pad", "1.3.0"), rules: rules).status == .denied)
    }

    @Test func anEmptyAllowListApprovesNothing() throws {
        #expect(evaluate(Self.npm("lodash", "1.0.0"), rules: try SBOMRules(allow: [])).status == .unapproved)
    }

    @Test func nameRulesMatchComponentsWithoutPurl() throws {
        let rules = try SBOMRules(allow: ["zlib@vers:generic/>=1.3", "busybox", "lib*-firmware@2.0"])
        #expect(evaluate(Component(name: "zlib", version: "1.3.1"), rules: rules).status == .approved)
        #expect(evaluate(Component(name: "zlib", version: "1.2.13"), rules: rules).status == .unapproved)
        #expect(evaluate(Component(name: "zlib", version: "1.3.1", purl: "pkg:generic/zlib@1.3.1"), rules: rules).status == .unapproved)
        #expect(evaluate(Component(name: "busybox"), rules: rules).status == .approved)
        #expect(evaluate(Component(name: "libwifi-firmware", version: "2.0"), rules: rules).status == .approved)
        #expect(evaluate(Component(name: "libwifi-firmware", version: "2.0.1"), rules: rules).status == .unapproved)
    }

    @Test func cpeRulesMatchByPrefixAndWildcards() throws {
        let rules = try SBOMRules(allow: ["cpe:2.3:a:zlib:zlib", "cpe:2.3:a:example:*"], deny: ["cpe:2.3:a:openssl:openssl:1.0.*"])
        let zlib = Component(name: "zlib", cpe: "cpe:2.3:a:zlib:zlib:1.3.1:*:*:*:*:*:*:*")
        let legacy = Component(name: "app", cpe: "cpe:/a:example:myapplication:1.0.0")
        let openssl = Component(name: "openssl", cpe: "cpe:2.3:a:openssl:openssl:1.0.2k:*:*:*:*:*:*:*")
        let opensslAnyVersion = Component(name: "openssl", cpe: "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*")
        #expect(evaluate(zlib, rules: rules).status == .approved)
        #expect(evaluate(legacy, rules: rules).status == .approved)
        #expect(evaluate(openssl, rules: rules).status == .denied)
        #expect(evaluate(opensslAnyVersion, rules: rules).status == .denied)
    }

    @Test func unknownVersionsFailClosed() throws {
        let rules = try SBOMRules(
            allow: ["pkg:maven/org.example/lib@vers:maven/>=1.0"],
            deny: ["pkg:maven/org.apache.logging.log4j/log4j-core@vers:maven/<2.17.1"])
        let unversioned = Component(name: "log4j-core", purl: "pkg:maven/org.apache.logging.log4j/log4j-core")
        #expect(evaluate(unversioned, rules: rules).status == .denied)
        let unversionedAllowed = Component(name: "lib", purl: "pkg:maven/org.example/lib")
        #expect(evaluate(unversionedAllowed, rules: rules).status == .unapproved)
        let componentVersion = Component(name: "lib", version: "1.2", purl: "pkg:maven/org.example/lib")
        #expect(evaluate(componentVersion, rules: rules).status == .approved)
        let badSemver = try SBOMRules(deny: ["pkg:npm/x@vers:npm/<2.0.0"])
        #expect(evaluate(Self.npm("x", "not.a.version"), rules: badSemver).status == .denied)
    }

    @Test func exactVersionsCompareByEcosystem() throws {
        let rules = try SBOMRules(allow: ["pkg:pypi/Django@1.11", "pkg:generic/tool@1.0"])
        #expect(evaluate(Component(name: "django", purl: "pkg:pypi/django@1.11.0"), rules: rules).status == .approved)
        #expect(evaluate(Component(name: "tool", purl: "pkg:generic/tool@1.0"), rules: rules).status == .approved)
        #expect(evaluate(Component(name: "tool", purl: "pkg:generic/tool@1.0.0"), rules: rules).status == .unapproved)
        let commit = try SBOMRules(allow: ["pkg:golang/github.com/gorilla/context@234fd47e07d1004f0aed9c"])
        #expect(evaluate(Component(name: "context", purl: "pkg:golang/github.com/gorilla/context@234fd47e07d1004f0aed9c"),
                         rules: commit).status == .approved)
        #expect(evaluate(Component(name: "context", purl: "pkg:golang/github.com/gorilla/context@v1.1.1"),
                         rules: commit).status == .unapproved)
    }

    @Test func qualifiersInAPatternMustBePresent() throws {
        let rules = try SBOMRules(allow: ["pkg:maven/org.example/lib?type=jar"])
        #expect(evaluate(Component(name: "lib", purl: "pkg:maven/org.example/lib@1?classifier=x&type=jar"), rules: rules).status == .approved)
        #expect(evaluate(Component(name: "lib", purl: "pkg:maven/org.example/lib@1?type=war"), rules: rules).status == .unapproved)
        let ranged = try SBOMRules(allow: ["pkg:maven/org.example/lib@vers:maven/>=2.0?type=jar"])
        #expect(evaluate(Component(name: "lib", purl: "pkg:maven/org.example/lib@2.1?type=jar"), rules: ranged).status == .approved)
        #expect(evaluate(Component(name: "lib", purl: "pkg:maven/org.example/lib@1.9?type=jar"), rules: ranged).status == .unapproved)
    }

    @Test func componentWithAnUnparseablePurlIsUnapproved() throws {
        let verdict = evaluate(Component(name: "x", purl: "not-a-purl"), rules: try SBOMRules())
        #expect(verdict.status == .unapproved)
        #expect(verdict.reason.contains("purl does not parse"))
    }

    @Test func batchEvaluationKeepsOrder() throws {
        let rules = try Self.contractRules()
        let components = (0..<500).map { i in
            Self.npm(i % 3 == 0 ? "lodash" : "other\(i)", i % 2 == 0 ? "4.17.21" : "4.17.0",
                     license: i % 5 == 0 ? "AGPL-3.0-only" : "MIT")
        }
        #expect(evaluate(components, rules: rules) == components.map { evaluate($0, rules: rules) })
        #expect(evaluate([], rules: rules).isEmpty)
    }

    static let invalidRules: [([String], [String], String)] = [
        (["pkg:npm/lodash@vers:npm/<5|>=4.17.21"], [], "sbom.allow: invalid rule 'pkg:npm/lodash@vers:npm/<5|>=4.17.21'"),
        ([], ["pkg:npm/x@vers:pypi/>=1.0"], "does not fit purl type 'npm'"),
        (["pkg:/"], [], "sbom.allow: invalid rule 'pkg:/'"),
        ([], ["cpe:bad"], "sbom.deny: invalid rule 'cpe:bad'"),
        (["zlib@vers:generic/"], [], "no constraints"),
        ([" "], [], "empty rule"),
    ]

    @Test(arguments: invalidRules)
    func invalidRulesAreNamed(allow: [String], deny: [String], message: String) {
        #expect {
            try SBOMRules(allow: allow, deny: deny)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func rulesFromYAMLMappings() throws {
        let rules = SBOMRules(
            allowRules: [
                try ComponentRule(fields: ["name": "zlib", "version": "vers:generic/>=1.3"]),
                try ComponentRule(fields: ["purl": "pkg:npm/lodash", "version": "vers:npm/>=4.17.21"]),
                try ComponentRule(fields: ["cpe": "cpe:2.3:a:busybox:busybox"]),
            ],
            denyRules: [], licenses: try LicenseRules())
        #expect(evaluate(Component(name: "zlib", version: "1.3"), rules: rules).status == .approved)
        #expect(evaluate(Self.npm("lodash", "4.17.21"), rules: rules).status == .approved)
        #expect(evaluate(Self.npm("lodash", "4.17.20"), rules: rules).status == .unapproved)
        #expect(evaluate(Component(name: "bb", cpe: "cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"), rules: rules).status == .approved)
    }

    static let invalidMappings: [([String: String], String)] = [
        (["name": "zlib", "colour": "red"], "unknown key(s) colour"),
        (["name": "zlib", "purl": "pkg:generic/zlib"], "exactly one of purl, name or cpe"),
        (["version": "1.0"], "exactly one of purl, name or cpe"),
        (["purl": "pkg:npm/lodash@4.17.21", "version": "4.17.21"], "version given twice"),
        (["cpe": "cpe:2.3:a:x:y", "version": "1"], "no separate version"),
        (["purl": "lodash"], "must start with 'pkg:'"),
    ]

    @Test(arguments: invalidMappings)
    func invalidMappingsAreRejected(fields: [String: String], message: String) {
        #expect {
            try ComponentRule(fields: fields)
        } throws: { error in
            "\(error)".contains(message)
        }
    }
}
