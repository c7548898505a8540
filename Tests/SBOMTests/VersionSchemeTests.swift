import Foundation
import SBOM
import Testing

/// `(lower, higher)`: each pair must compare ascending, and reversed descending.
private func expectAscending(_ pairs: [(String, String)], _ scheme: VersionScheme, sourceLocation: SourceLocation = #_sourceLocation) {
    for (lower, higher) in pairs {
        #expect(scheme.compare(lower, higher) == .orderedAscending, "\(lower) < \(higher)", sourceLocation: sourceLocation)
        #expect(scheme.compare(higher, lower) == .orderedDescending, "\(higher) > \(lower)", sourceLocation: sourceLocation)
    }
}

private func expectEqual(_ pairs: [(String, String)], _ scheme: VersionScheme, sourceLocation: SourceLocation = #_sourceLocation) {
    for (a, b) in pairs {
        #expect(scheme.compare(a, b) == .orderedSame, "\(a) == \(b)", sourceLocation: sourceLocation)
    }
}

@Suite struct SemanticVersionOrderTests {
    @Test func semverSpecificationPrecedence() {
        expectAscending([
            ("1.0.0", "2.0.0"), ("2.0.0", "2.1.0"), ("2.1.0", "2.1.1"),
            ("1.0.0-alpha", "1.0.0-alpha.1"), ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
            ("1.0.0-alpha.beta", "1.0.0-beta"), ("1.0.0-beta", "1.0.0-beta.2"),
            ("1.0.0-beta.2", "1.0.0-beta.11"), ("1.0.0-beta.11", "1.0.0-rc.1"), ("1.0.0-rc.1", "1.0.0"),
            ("1.2.3", "1.10.0"), ("1.0.0", "99999999999999999999999.0.0"),
        ], .semver)
    }

    @Test func buildMetadataAndPrefixesAreIgnored() {
        expectEqual([("1.0.0+build.1", "1.0.0+build.2"), ("v1.2.3", "1.2.3"), ("5", "5.0.0"), ("5.1", "5.1.0")], .npm)
        expectAscending([("v0.0.0-20191109021931-daa7c04131f5", "v0.1.0"), ("v1.2.3", "v1.2.4+incompatible")], .golang)
    }

    @Test func invalidSemanticVersionsHaveNoOrder() {
        for invalid in ["01.2.3", "1.2.3-01", "1.2.3-", "1.2.3+", "a.b.c", "1.2.3.4", "", "1..2", "1.2.3-beta..1"] {
            #expect(VersionScheme.semver.compare(invalid, "1.0.0") == nil, "\(invalid)")
        }
    }
}

@Suite struct PEP440OrderTests {
    @Test func pep440SummaryOrdering() {
        let ordered = [
            "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2",
            "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7",
            "1.0+5", "1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1",
        ]
        expectAscending(Array(zip(ordered, ordered.dropFirst())), .pypi)
    }

    @Test func epochsWin() {
        expectAscending([("2.0", "1!1.0"), ("1!1.0", "2!0.1")], .pypi)
    }

    @Test func normalisedSpellingsAreEqual() {
        expectEqual([
            ("1.0", "1.0.0"), ("1.0", "v1.0"), ("1.0-alpha1", "1.0a1"), ("1.0c1", "1.0rc1"), ("1.0-1", "1.0.post1"),
            ("1.0.POST", "1.0.post0"), ("1.0_dev1", "1.0.dev1"), ("1.0-preview.2", "1.0rc2"), ("1.0.rev3", "1.0.post3"),
            (" 1.0 ", "1.0"), ("1.0+Ubuntu-1", "1.0+ubuntu.1"),
        ], .pypi)
    }

    @Test func invalidPEP440VersionsHaveNoOrder() {
        for invalid in ["1.0.0.x", "foo", "1.0+", "1.0 beta", "1.0-", "!1.0", "1.0a1b2"] {
            #expect(VersionScheme.pypi.compare(invalid, "1.0") == nil, "\(invalid)")
        }
    }
}

@Suite struct MavenOrderTests {
    @Test func qualifierOrder() {
        let ordered = ["1.0-alpha1", "1.0-beta1", "1.0-milestone1", "1.0-rc1", "1.0-SNAPSHOT", "1.0", "1.0-sp1", "1.0-foo"]
        expectAscending(Array(zip(ordered, ordered.dropFirst())), .maven)
    }

    @Test func numbersAndSeparators() {
        expectAscending([
            ("1", "1.1"), ("1-snapshot", "1"), ("1", "1-sp"), ("1-foo2", "1-foo10"), ("1.9.9", "2.0"),
            ("1", "1.0.0.1"), ("1-1", "1.1"), ("1.0-alpha-1", "1.0-alpha-2"), ("2.17.0", "2.17.1"),
            ("2.17.1-SNAPSHOT", "2.17.1"), ("1.0.0-M1", "1.0.0-RC1"),
        ], .maven)
    }

    @Test func equivalentSpellings() {
        expectEqual([
            ("1", "1.0"), ("1", "1.0.0"), ("1", "1-ga"), ("1", "1.ga"), ("1", "1-final"), ("1.0", "1.0.RELEASE"),
            ("1.0-rc1", "1.0-cr1"), ("1-a1", "1-alpha-1"), ("1-b2", "1-beta-2"), ("1.0-ALPHA1", "1.0-alpha1"),
        ], .maven)
    }
}

@Suite struct DebianOrderTests {
    @Test func dpkgOrdering() {
        expectAscending([
            ("1.0", "1.1"), ("1.0~rc1", "1.0"), ("1.0", "1.0+b1"), ("2.0", "1:0.9"), ("1.0-1", "1.0-2"),
            ("1.0-1", "1.0.1-1"), ("2.30-1", "2.30.1-1"), ("1.0a", "1.0b"), ("1.0~~", "1.0~"), ("1.0~~a", "1.0~"),
            ("1.2.3", "1.2.10"), ("1.0-1ubuntu1", "1.0-1ubuntu2"), ("1.0-9", "1.0-10"), ("1.0+a", "1.0.a"),
        ], .deb)
    }

    @Test func equalVersions() {
        expectEqual([("0:1.0", "1.0"), ("1.0-0", "1.0"), ("1.01", "1.1"), ("1:2.3-4", "1:2.3-4")], .deb)
    }

    @Test func invalidDebianVersionsHaveNoOrder() {
        for invalid in ["a1.0", "1:", "x:1.0", "1.0-", "1.0 beta", ""] {
            #expect(VersionScheme.deb.compare(invalid, "1.0") == nil, "\(invalid)")
        }
    }
}

@Suite struct GenericOrderTests {
    @Test func numbersBeforeWords() {
        expectAscending([
            ("1.0", "1.1"), ("1.9", "1.10"), ("1.0rc1", "1.0"), ("1.0-beta", "1.0"), ("1.0", "1.0.1"),
            ("1.99.99", "2.0"), ("1.0a", "1.0b"), ("2024.01", "2024.2"), ("r9", "r10"), ("1.2.13", "1.3"),
        ], .generic)
        expectEqual([("1.0", "1.0.0"), ("1.0-BETA", "1.0-beta"), ("1_2", "1.2")], .generic)
    }
}
