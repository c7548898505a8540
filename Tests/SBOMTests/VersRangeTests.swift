import SBOM
import Testing

@Suite struct VersRangeTests {
    /// `(range, version, contained)`.
    static let containmentCases: [(String, String, Bool)] = [
        ("vers:npm/>=4.17.21|<5", "4.17.21", true),
        ("vers:npm/>=4.17.21|<5", "4.17.20", false),
        ("vers:npm/>=4.17.21|<5", "4.99.0", true),
        ("vers:npm/>=4.17.21|<5", "5.0.0", false),
        ("vers:pypi/1.0|>=2.0|<3.0", "1.0.0", true),
        ("vers:pypi/1.0|>=2.0|<3.0", "1.5", false),
        ("vers:pypi/1.0|>=2.0|<3.0", "2.5.post1", true),
        ("vers:pypi/1.0|>=2.0|<3.0", "3.0", false),
        ("vers:maven/<2.17.1", "2.14.1", true),
        ("vers:maven/<2.17.1", "2.17.1-SNAPSHOT", true),
        ("vers:maven/<2.17.1", "2.17.1", false),
        ("vers:generic/>=1.3", "1.2.13", false),
        ("vers:generic/>=1.3", "1.3.1", true),
        ("vers:deb/*", "1:2.3-4", true),
        ("vers:deb/>=1.0~rc1|<=1.0", "1.0~rc2", true),
        ("vers:deb/>=1.0~rc1|<=1.0", "1.0", true),
        ("vers:deb/>=1.0~rc1|<=1.0", "1.0+b1", false),
        ("vers:npm/>=1.0.0|!=1.2.0|<2.0.0", "1.2.0", false),
        ("vers:npm/>=1.0.0|!=1.2.0|<2.0.0", "1.1.9", true),
        ("vers:semver/<1.0.0|>=2.0.0", "0.9.0", true),
        ("vers:semver/<1.0.0|>=2.0.0", "1.5.0", false),
        ("vers:semver/<1.0.0|>=2.0.0", "2.0.0", true),
        ("vers:semver/>1.0.0", "1.0.0", false),
        ("vers:semver/>1.0.0", "1.0.1", true),
        ("vers:npm/1.2.3", "1.2.3", true),
        ("vers:npm/=1.2.3", "1.2.3", true),
        ("vers:npm/1.2.3|>=2.0.0", "1.2.4", false),
        ("vers:npm/!=1.0.0", "2.0.0", false),
        ("vers:golang/>=v1.2.0|<v2.0.0", "v1.5.0", true),
    ]

    @Test(arguments: containmentCases)
    func rangeContainment(range: String, version: String, contained: Bool) throws {
        #expect(try VersRange(range).contains(version) == contained)
    }

    @Test func versionsOutsideTheSchemeAreUnknown() throws {
        #expect(try VersRange("vers:npm/>=1.0.0").contains("not-a-version") == nil)
        #expect(try VersRange("vers:pypi/>=1.0").contains("1.0 final") == nil)
    }

    @Test func percentEncodedVersionsAreDecoded() throws {
        let range = try VersRange("vers:generic/>=1.0%2Bbuild|<2.0")
        #expect(range.constraints.first?.version == "1.0+build")
        #expect(range.description == "vers:generic/>=1.0+build|<2.0")
    }

    @Test func canonicalText() throws {
        #expect(try VersRange("vers:npm/>=4.17.21|<5").description == "vers:npm/>=4.17.21|<5")
        #expect(try VersRange("vers:npm/=1.2.3").description == "vers:npm/1.2.3")
        #expect(try VersRange("vers:deb/*").description == "vers:deb/*")
    }

    static let invalidCases: [(String, String)] = [
        ("vers:npm/<5|>=4.17.21", "not sorted"),
        ("vers:npm/>=1.0.0|>=2.0.0", "two lower bounds"),
        ("vers:npm/<1.0.0|<2.0.0", "two upper bounds"),
        ("vers:npm/1.0.0|<2.0.0", "upper bound"),
        ("vers:npm/1.0.0|1.0.0", "twice"),
        ("vers:npm/>=1.0.0|<1.0.0", "twice"),
        ("vers:npm/*|>1.0.0", "alone"),
        ("vers:gem/>=1.0", "unsupported versioning type"),
        ("vers:NPM/1.0.0", "unsupported versioning type"),
        ("vers:npm/", "no constraints"),
        ("vers:npm/>=1.0.0||<2.0.0", "empty constraint"),
        ("vers:npm/|>=1.0.0", "empty constraint"),
        ("npm/>=1.0.0", "vers:"),
        ("vers:npm/>=1.0.0 |<2.0.0", "whitespace"),
        ("vers:npm/>=banana", "not a valid npm version"),
        ("vers:npm/>=1.0%zz", "invalid version"),
        ("vers:npm>=1.0", "no '/'"),
    ]

    @Test(arguments: invalidCases)
    func invalidRangesAreRejected(range: String, reason: String) {
        #expect {
            try VersRange(range)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}
