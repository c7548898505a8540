import SBOM
import Testing

@Suite struct PackageURLTests {
    @Test func componentsAreSplitAndDecoded() throws {
        let purl = try PackageURL("pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?packaging=sources&classifier=dist#sub/dir")
        #expect(purl.type == "maven")
        #expect(purl.namespace == "org.apache.xmlgraphics")
        #expect(purl.name == "batik-anim")
        #expect(purl.version == "1.9.1")
        #expect(purl.qualifiers == ["packaging": "sources", "classifier": "dist"])
        #expect(purl.subpath == "sub/dir")
    }

    /// `(input, canonical form)`.
    static let canonical: [(String, String)] = [
        ("pkg:npm/%40angular/animation@12.3.1", "pkg:npm/%40angular/animation@12.3.1"),
        ("pkg:npm/@angular/animation@12.3.1", "pkg:npm/%40angular/animation@12.3.1"),
        ("pkg:NPM/Foo@1.0.0", "pkg:npm/foo@1.0.0"),
        ("pkg:pypi/Django_Package@1.11.1", "pkg:pypi/django-package@1.11.1"),
        ("pkg:github/Package-URL/Purl-Spec@244fd47e07d1004f0aed9c", "pkg:github/package-url/purl-spec@244fd47e07d1004f0aed9c"),
        ("pkg:nuget/EnterpriseLibrary.Common@6.0.1304", "pkg:nuget/EnterpriseLibrary.Common@6.0.1304"),
        ("pkg:deb/debian/curl@7.50.3-1?distro=jessie&arch=i386", "pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie"),
        ("pkg:docker/customer/dockerimage@sha256%3A244fd47e07d10?repository_url=gcr.io",
         "pkg:docker/customer/dockerimage@sha256:244fd47e07d10?repository_url=gcr.io"),
        ("pkg:generic/openssl@1.1.10g?download_url=https://openssl.org/source/openssl-1.1.0g.tar.gz&checksum=sha256:de4d501267da",
         "pkg:generic/openssl@1.1.10g?checksum=sha256:de4d501267da&download_url=https://openssl.org/source/openssl-1.1.0g.tar.gz"),
        ("pkg:golang/google.golang.org/genproto#/googleapis/./api/../annotations/",
         "pkg:golang/google.golang.org/genproto#googleapis/api/annotations"),
        ("pkg://maven/org.apache.commons/io@1.3.4?Empty=&Type=jar", "pkg:maven/org.apache.commons/io@1.3.4?type=jar"),
        ("pkg:generic/name%20with%20spaces@1.0%2Bbuild", "pkg:generic/name%20with%20spaces@1.0%2Bbuild"),
    ]

    @Test(arguments: canonical)
    func canonicalForm(input: String, expected: String) throws {
        #expect(try PackageURL(input).description == expected)
    }

    @Test func unencodedNpmScopeIsNamespace() throws {
        let purl = try PackageURL("pkg:npm/@babel/core")
        #expect(purl.namespace == "@babel")
        #expect(purl.name == "core")
        #expect(purl.version == nil)
    }

    static let invalid: [(String, String)] = [
        ("maven/org.apache/io@1.0", "pkg:"),
        ("pkg:maven", "no '/' after the type"),
        ("pkg:3d/name", "invalid type"),
        ("pkg:ma ven/name", "invalid type"),
        ("pkg:maven/@1.3.4", "no name"),
        ("pkg:generic/name@", "invalid version"),
        ("pkg:generic/name%zz", "no name"),
        ("pkg:generic/name?novalue", "has no '='"),
        ("pkg:generic/name?1key=v", "invalid qualifier key"),
        ("pkg:generic/name?a=1&a=2", "appears twice"),
        ("pkg:generic/ns%ff/name", "percent-encoding in the namespace"),
    ]

    @Test(arguments: invalid)
    func invalidPurlsAreRejected(input: String, reason: String) {
        #expect {
            try PackageURL(input)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}
