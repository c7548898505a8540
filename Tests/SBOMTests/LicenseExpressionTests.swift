import SBOM
import Testing

@Suite struct LicenseExpressionParsingTests {
    private static func term(_ id: String, plus: Bool = false, with exception: String? = nil) -> LicenseExpression {
        .license(LicenseTerm(id: id, orLater: plus, exception: exception))
    }

    @Test func andBindsTighterThanOr() throws {
        #expect(try LicenseExpression("MIT OR Apache-2.0 AND BSD-3-Clause")
            == .or([Self.term("MIT"), .and([Self.term("Apache-2.0"), Self.term("BSD-3-Clause")])]))
        #expect(try LicenseExpression("MIT AND Apache-2.0 OR BSD-3-Clause")
            == .or([.and([Self.term("MIT"), Self.term("Apache-2.0")]), Self.term("BSD-3-Clause")]))
    }

    @Test func parenthesesGroup() throws {
        #expect(try LicenseExpression("(MIT OR Apache-2.0) AND BSD-3-Clause")
            == .and([.or([Self.term("MIT"), Self.term("Apache-2.0")]), Self.term("BSD-3-Clause")]))
        #expect(try LicenseExpression("((MIT))") == Self.term("MIT"))
    }

    @Test func withBindsTighterThanAnd() throws {
        #expect(try LicenseExpression("GPL-2.0-only WITH Classpath-exception-2.0 AND MIT")
            == .and([Self.term("GPL-2.0-only", with: "Classpath-exception-2.0"), Self.term("MIT")]))
    }

    @Test func operatorsAreCaseInsensitive() throws {
        #expect(try LicenseExpression("gpl-2.0+ with Classpath-exception-2.0 and mit Or BSD-2-Clause")
            == .or([.and([Self.term("gpl-2.0", plus: true, with: "Classpath-exception-2.0"), Self.term("mit")]),
                    Self.term("BSD-2-Clause")]))
    }

    @Test func nestedParenthesesWithExceptions() throws {
        let expression = try LicenseExpression("((Apache-2.0 OR (MIT AND (GPL-3.0-or-later WITH GCC-exception-3.1))) AND Zlib)")
        #expect(expression == .and([
            .or([Self.term("Apache-2.0"), .and([Self.term("MIT"), Self.term("GPL-3.0-or-later", with: "GCC-exception-3.1")])]),
            Self.term("Zlib"),
        ]))
        #expect(expression.description == "(Apache-2.0 OR MIT AND GPL-3.0-or-later WITH GCC-exception-3.1) AND Zlib")
        #expect(expression.terms.map(\.id) == ["Apache-2.0", "MIT", "GPL-3.0-or-later", "Zlib"])
    }

    @Test func references() throws {
        #expect(try LicenseExpression("LicenseRef-acme-1 OR DocumentRef-other.doc:LicenseRef-x")
            == .or([Self.term("LicenseRef-acme-1"), Self.term("DocumentRef-other.doc:LicenseRef-x")]))
        #expect(try LicenseExpression("GPL-3.0-only WITH AdditionRef-my-exception")
            == Self.term("GPL-3.0-only", with: "AdditionRef-my-exception"))
    }

    static let invalid: [(String, String)] = [
        ("", "empty"),
        ("MIT AND", "ends where a license was expected"),
        ("AND MIT", "expected a license, found AND"),
        ("(MIT", "missing ')'"),
        ("MIT)", "unexpected ')'"),
        ("MIT OR OR BSD-2-Clause", "found OR"),
        ("(MIT OR BSD-2-Clause) WITH Classpath-exception-2.0", "WITH must follow a single license"),
        ("MIT WITH", "followed by an exception"),
        ("Apache 2.0", "unexpected '2.0'"),
        ("MI$T", "invalid license identifier"),
        ("LicenseRef-x+", "'+' cannot follow a LicenseRef"),
        ("GPL-2.0 WITH Bad$Exception", "invalid exception identifier"),
        (String(repeating: "(", count: 65) + "MIT" + String(repeating: ")", count: 65), "nested deeper than 64"),
        (Array(repeating: "MIT", count: 20_000).joined(separator: " AND "), "longer than"),
    ]

    @Test(arguments: invalid)
    func invalidExpressionsAreRejected(text: String, reason: String) {
        #expect {
            try LicenseExpression(text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}

@Suite struct LicenseRulesTests {
    /// `(allow, deny, expression, acceptable)`.
    static let cases: [([String]?, [String], String, Bool)] = [
        (["MIT", "Apache-2.0"], [], "MIT", true),
        (["MIT", "Apache-2.0"], [], "GPL-3.0-only", false),
        (["MIT", "Apache-2.0"], [], "MIT OR GPL-3.0-only", true),
        (["MIT", "Apache-2.0"], [], "MIT AND GPL-3.0-only", false),
        (["MIT", "Apache-2.0"], [], "(MIT OR GPL-3.0-only) AND Apache-2.0", true),
        (["MIT", "Apache-2.0"], [], "(GPL-3.0-only OR AGPL-3.0-only) AND MIT", false),
        (["MIT", "Apache-2.0"], [], "mit", true),
        (nil, ["AGPL-3.0-only"], "MIT OR AGPL-3.0-only", true),
        (nil, ["AGPL-3.0-only"], "MIT AND AGPL-3.0-only", false),
        (nil, ["AGPL-3.0-only"], "agpl-3.0-only", false),
        (nil, ["AGPL-3.0-only"], "LicenseRef-whatever", true),
        (["GPL-2.0-only"], [], "GPL-2.0-only WITH Classpath-exception-2.0", true),
        (["GPL-2.0-only WITH Classpath-exception-2.0"], [], "GPL-2.0-only", false),
        (["GPL-2.0-only WITH Classpath-exception-2.0"], [], "GPL-2.0-only WITH Classpath-exception-2.0", true),
        (["GPL-2.0-only WITH Classpath-exception-2.0"], ["GPL-2.0-only"], "GPL-2.0-only WITH Classpath-exception-2.0", false),
        (nil, ["GPL-2.0-only"], "GPL-2.0-only WITH Classpath-exception-2.0 OR MIT", true),
        (nil, ["GPL-2.0-only"], "GPL-2.0-only WITH Classpath-exception-2.0 AND MIT", false),
        (["GPL-2.0"], [], "GPL-2.0+", true),
        (nil, ["LGPL-2.1+"], "LGPL-2.1", true),
        (nil, ["LGPL-2.1+"], "LGPL-2.1+", false),
        (["MIT", "Apache-2.0"], ["Apache-2.0"], "Apache-2.0", false),
        (["MIT", "Apache-2.0"], ["Apache-2.0"], "Apache-2.0 OR MIT", true),
        ([], [], "MIT", false),
    ]

    @Test(arguments: cases)
    func expressionAcceptance(allow: [String]?, deny: [String], expression: String, acceptable: Bool) throws {
        let rules = try LicenseRules(allow: allow, deny: deny)
        #expect((rules.problem(with: try LicenseExpression(expression)) == nil) == acceptable)
    }

    @Test func reasonNamesTheOffendingLicenses() throws {
        let rules = try LicenseRules(allow: ["MIT"], deny: ["AGPL-3.0-only"])
        let problem = rules.problem(with: try LicenseExpression("MIT AND (AGPL-3.0-only OR GPL-3.0-only)"))
        #expect(problem == "license 'MIT AND (AGPL-3.0-only OR GPL-3.0-only)' is not allowed: AGPL-3.0-only is denied; GPL-3.0-only is not in licenses.allow")
    }

    @Test func missingLicenseIsJudgedAsItsMarker() throws {
        let unknown = Component(name: "x")
        let none = Component(name: "x", licenseMarker: .noLicense)
        #expect(try LicenseRules(allow: ["MIT"]).problem(for: unknown) != nil)
        #expect(try LicenseRules(allow: ["MIT", "NOASSERTION"]).problem(for: unknown) == nil)
        #expect(try LicenseRules(allow: ["MIT", "NOASSERTION"]).problem(for: none) != nil)
        #expect(try LicenseRules(deny: ["GPL-3.0-only"]).problem(for: unknown) == nil)
        #expect(try LicenseRules().problem(for: Component(name: "x", licenseExpression: "not ( valid")) == nil)
    }

    @Test func unparseableExpressionIsNotAcceptable() throws {
        let component = Component(name: "x", licenseExpression: "MIT and/or BSD")
        let problem = try LicenseRules(deny: ["GPL-3.0-only"]).problem(for: component)
        #expect(problem?.hasPrefix("license expression does not parse") == true)
    }

    @Test func invalidEntriesNameTheirList() {
        #expect(throws: SBOMRuleError(list: "licenses.allow", rule: "MIT AND BSD-2-Clause",
                                      message: "a license entry is one license (optionally with + or WITH), not an AND/OR expression")) {
            try LicenseRules(allow: ["MIT", "MIT AND BSD-2-Clause"])
        }
        #expect {
            try LicenseRules(deny: ["GPL ("])
        } throws: { error in
            (error as? SBOMRuleError)?.list == "licenses.deny" && "\(error)".contains("'GPL ('")
        }
    }
}
