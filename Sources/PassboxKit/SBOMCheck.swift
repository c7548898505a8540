import Attestation
import CryptoIO
import Foundation
import SafeText
import Intake
import SBOM

/// The `sbom` part of the report.
public struct SBOMReport: Sendable, Codable {
    /// One SBOM document found, and whether a trusted manifest covers it.
    public struct Document: Sendable, Codable {
        public var path: String
        public var format: String
        public var specVersion: String
        /// Covered by a trusted manifest (its digest verified, or named by a trusted
        /// predicate); nil when not judged (`passbox sbom`).
        public var signed: Bool?
        public var product: String?
        public var components: Int
    }
    /// One component with its status and the rule or reason that decided it.
    public struct Entry: Sendable, Codable {
        public var name: String
        public var version: String?
        public var purl: String?
        public var cpe: String?
        public var license: String?
        /// approved | unapproved | denied | license-denied
        public var status: String
        public var rule: String?
        public var reason: String
        /// The SBOM it comes from.
        public var document: String
    }
    public var documents: [Document]
    public var components: [Entry]

    /// Components per status.
    public var counts: [String: Int] {
        components.reduce(into: [:]) { $0[$1.status, default: 0] += 1 }
    }
}

/// Does this look like an SBOM? Judged on a file's first bytes, cheaply (a byte
/// search: intake asks this of every file), so that intake keeps only likely SBOMs
/// in memory; the parser decides for real.
public func looksLikeSBOM(_ head: UnsafeRawBufferPointer) -> Bool {
    guard let first = head.first(where: { $0 != 0x20 && $0 != 0x0a && $0 != 0x0d && $0 != 0x09 && $0 != 0xef && $0 != 0xbb && $0 != 0xbf })
    else { return false }
    // JSON, XML (CycloneDX, SPDX RDF/XML), tag-value (`SPDXVersion:` or a comment),
    // YAML (`spdxVersion:` or a `---` document start).
    guard first == UInt8(ascii: "{") || first == UInt8(ascii: "<") || first == UInt8(ascii: "S") || first == UInt8(ascii: "#")
            || first == UInt8(ascii: "s") || first == UInt8(ascii: "-") else {
        return false
    }
    let window = UnsafeRawBufferPointer(rebasing: head.prefix(8192))
    // SBOMs are text: a control character other than tab, line feed, form feed or
    // carriage return in the first 512 bytes means binary content (1 file in 64 of
    // random bytes starts like JSON or XML, and searching its 8 KiB for every marker
    // was the most expensive per-file step of a tar of small binaries).
    for b in window.prefix(512) where b < 0x09 || (b > 0x0d && b < 0x20) { return false }
    return sbomMarkers.contains { firstIndex(of: $0, in: window) != nil }
}

/// A name that says "SBOM": the names CycloneDX and SPDX recommend (`bom.json`,
/// `bom.xml`, `*.cdx.json`, `*.cdx.xml`, `*.spdx`, `*.spdx.json`, ...) and `*.sbom`,
/// `*.sbom.json`, `*.bom.json`, `*.bom.xml`, in any case.
/// (Compared byte by byte, ASCII letters folded: intake asks it of every file, and
/// `lowercased()` made a new string each time.)
func isSBOMFileName(_ path: String) -> Bool {
    let bytes = path.utf8
    let start = bytes.lastIndex(of: UInt8(ascii: "/")).map { bytes.index(after: $0) } ?? bytes.startIndex
    let name = bytes[start...]
    func endsWith(_ suffix: [UInt8]) -> Bool {
        name.count >= suffix.count && zip(name.suffix(suffix.count), suffix).allSatisfy { byte, expected in
            (0x41...0x5a).contains(byte) ? byte | 0x20 == expected : byte == expected
        }
    }
    if sbomWholeNames.contains(where: { $0.count == name.count && endsWith($0) }) { return true }
    return sbomSuffixes.contains(where: endsWith)
}

private let sbomWholeNames: [[UInt8]] = ["bom.json", "bom.xml"].map { Array($0.utf8) }
private let sbomSuffixes: [[UInt8]] = [
    ".cdx.json", ".cdx.xml", ".bom.json", ".bom.xml", ".sbom", ".sbom.json", ".sbom.xml",
    ".spdx", ".spdx.json", ".spdx.yaml", ".spdx.yml", ".spdx.xml", ".spdx.rdf", ".spdx.rdf.xml", ".spdx.jsonld",
].map { Array($0.utf8) }

private let sbomMarkers: [[UInt8]] = ["\"bomFormat\"", "\"spdxVersion\"", "SPDXVersion:", "spdxVersion: SPDX-", "spdxVersion: \"SPDX-",
                                     "cyclonedx.org/schema/bom", "spdx.org/rdf/3", "spdx.org/rdf/terms"]
    .map { Array($0.utf8) }

/// `passbox sbom`: every component of the given SBOM files under the policy.
public enum SBOMCommand {
    public static let mediaType = "application/vnd.passbox.sbom-report+json;version=1"

    /// What `passbox sbom --format json` prints.
    public struct Output: Sendable, Codable {
        public var mediaType = SBOMCommand.mediaType
        /// approved: every component is approved.
        public var verdict: String
        public var sbom: SBOMReport
        /// `--vulns`: the components' known vulnerabilities and the findings they make.
        public var vulnerabilities: VulnerabilityReport? = nil
        public var vulnerabilityFindings: [Finding]? = nil
    }

    /// Throws `EvaluationError` naming the file when one cannot be read or parsed.
    public static func run(files: [String], policy: Policy) throws -> Output {
        var documents: [SBOMReport.Document] = []
        var entries: [SBOMReport.Entry] = []
        for file in files {
            let data: Data
            do {
                data = try readFile(file, limit: SBOMLimits().maxBytes)
            } catch {
                throw EvaluationError("\(error)")
            }
            let evaluation: SBOMEvaluation
            do {
                evaluation = try SBOMEvaluation(data: data, rules: policy.sbomRules)
            } catch {
                throw EvaluationError("\(file): \(error)")
            }
            let d = evaluation.document
            documents.append(SBOMReport.Document(path: file, format: d.format.rawValue, specVersion: d.specVersion,
                                                 signed: nil, product: d.product?.displayName, components: d.components.count))
            entries += evaluation.entries(path: file, trusted: true)
        }
        let report = SBOMReport(documents: documents, components: entries)
        let allApproved = entries.allSatisfy { $0.status == ComponentVerdict.Status.approved.rawValue }
        return Output(verdict: allApproved ? "approved" : "not-approved", sbom: report)
    }
}

/// One SBOM document parsed and every component judged by the policy's rules.
public struct SBOMEvaluation: Sendable {
    public var document: SBOMDocument
    public var verdicts: [ComponentVerdict]

    public init(data: Data, rules: SBOMRules) throws {
        document = try SBOMDocument(data: data)
        verdicts = evaluate(document.components, rules: rules)
    }

    /// The report entries; an untrusted SBOM's components are never approved.
    public func entries(path: String, trusted: Bool) -> [SBOMReport.Entry] {
        zip(document.components, verdicts).map { component, verdict in
            var status = verdict.status.rawValue
            var reason = verdict.reason
            if !trusted && verdict.status == .approved {
                status = ComponentVerdict.Status.unapproved.rawValue
                reason = "the SBOM is not covered by a trusted manifest, so its claims are not trusted"
            }
            return SBOMReport.Entry(
                name: component.name, version: component.version, purl: component.purl, cpe: component.cpe,
                license: component.licenseExpression ?? component.licenseMarker?.rawValue,
                status: status, rule: verdict.rule, reason: reason, document: path)
        }
    }
}

/// The SBOM part of a verification: which SBOMs came with the delivery, whether a
/// trusted manifest covers them, their components against the policy, and their
/// hashes against the delivered files.
struct SBOMCheck {
    let inventory: Inventory
    let statuses: [FileStatus?]
    let applied: [VerifiedManifest]
    let policy: Policy
    /// Manifests, checksum lists and their signatures: kept in memory too, never SBOMs.
    let evidence: Set<Int>

    /// An SBOM of the delivery as parsed, for the checks after this one (vulnerabilities).
    struct Parsed {
        var index: Int
        var path: String
        var signed: Bool
        var document: SBOMDocument
    }

    func run() -> (report: SBOMReport?, findings: [Finding], parsed: [Parsed]) {
        var findings: [Finding] = []
        var parsed: [Parsed] = []
        var documents: [SBOMReport.Document] = []
        var entries: [SBOMReport.Entry] = []
        let items = inventory.items

        // SBOMs a trusted manifest names by digest (passbox's delivery predicate).
        var referenced: [(manifest: String, name: String, digests: [String: String])] = []
        for manifest in applied {
            for reference in manifest.statement.delivery?.sbom ?? [] {
                referenced.append((manifest.path, reference.name, reference.digest))
            }
        }
        func namedByPredicate(_ item: Item) -> Bool {
            referenced.contains { ref in
                ref.digests.contains { algorithm, hex in
                    DigestAlgorithm(rawValue: algorithm).flatMap { item.digests[$0] } == hex.lowercased()
                }
            }
        }

        for index in inventory.tooLargeToCapture.sorted() where index < items.count && !evidence.contains(index) {
            findings.append(Finding(code: .sbomMalformed, severity: .error, path: items[index].path,
                                    message: "looks like an SBOM but is larger than passbox reads (64 MiB)"))
        }
        for (index, data) in inventory.captured.sorted(by: { $0.key < $1.key }) where index < items.count && !evidence.contains(index) {
            let item = items[index]
            // Kept for other reasons too (manifests, lists, signatures): only SBOMs here.
            // A file named like an SBOM is judged as one whatever its first bytes.
            guard data.withUnsafeBytes({ looksLikeSBOM($0) }) || isSBOMFileName(item.path) else { continue }
            let evaluation: SBOMEvaluation
            do {
                evaluation = try SBOMEvaluation(data: data, rules: policy.sbomRules)
            } catch let error as SBOMError {
                // Found by a marker in its first bytes, but no SBOM document at all (the
                // CycloneDX JSON and XML schemas that SBOM tools ship, documentation): just
                // a file. One the delivery calls an SBOM (by its predicate or its name)
                // must be one.
                if error.kind == .unrecognizedFormat && !namedByPredicate(item) && !isSBOMFileName(item.path) { continue }
                findings.append(Finding(code: .sbomMalformed, severity: .error, path: item.path, message: "\(error)"))
                continue
            } catch {
                findings.append(Finding(code: .sbomMalformed, severity: .error, path: item.path, message: "\(error)"))
                continue
            }
            let status = index < statuses.count ? statuses[index] : nil
            let signed = status == .verified || status == .covered || namedByPredicate(item)
            let document = evaluation.document
            parsed.append(Parsed(index: index, path: item.path, signed: signed, document: document))
            documents.append(SBOMReport.Document(
                path: item.path, format: document.format.rawValue, specVersion: document.specVersion, signed: signed,
                product: document.product?.displayName, components: document.components.count))
            if !signed {
                findings.append(Finding(code: .sbomUnsigned, severity: .error, path: item.path,
                                        message: "no trusted manifest covers this SBOM: its \(document.components.count) component(s) are not trusted as approved"))
            }
            for (component, verdict) in zip(document.components, evaluation.verdicts) {
                let code: FindingCode
                switch verdict.status {
                case .approved: continue
                case .denied: code = .componentDenied
                case .licenseDenied: code = .licenseDenied
                case .unapproved:
                    guard signed else { continue } // sbom.unsigned says it for all of them
                    code = .componentUnapproved
                }
                findings.append(Finding(code: code, severity: .error, path: item.path,
                                        message: "\(component.displayName): \(verdict.reason)"))
            }
            entries += evaluation.entries(path: item.path, trusted: signed)
            findings += hashMismatches(document, sbomPath: item.path)
        }

        for ref in referenced where !items.contains(where: { $0.kind != .directory && namedByPredicate($0) }) {
            findings.append(Finding(code: .sbomMissing, severity: .error, path: ref.name,
                                    message: "the trusted manifest \(ref.manifest) names this SBOM by digest, but no delivered file has that digest"))
        }
        if documents.isEmpty && policy.sbomRequired && !findings.contains(where: { $0.code == .sbomMalformed }) {
            findings.append(Finding(code: .sbomMissing, severity: .error, path: nil,
                                    message: "the policy requires an SBOM and the delivery has none"))
        }
        let report = documents.isEmpty && !policy.sbomRequired ? nil : SBOMReport(documents: documents, components: entries)
        return (report, findings, parsed)
    }

    /// A component whose name is a delivered file's path or file name, with a
    /// digest that differs from that file's.
    private func hashMismatches(_ document: SBOMDocument, sbomPath: String) -> [Finding] {
        var byName: [String: [Int]] = [:]
        for (i, item) in inventory.items.enumerated() where item.kind == .regular || item.kind == .archive {
            byName[item.path, default: []].append(i)
            if let base = item.path.split(separator: "/").last, base != Substring(item.path) {
                byName[String(base), default: []].append(i)
            }
        }
        var findings: [Finding] = []
        for component in document.components where !component.hashes.isEmpty {
            for index in byName[component.name] ?? [] {
                let item = inventory.items[index]
                for algorithm in DigestAlgorithm.allCases {
                    guard let declared = component.hashes[algorithm.rawValue], let actual = item.digests[algorithm] else { continue }
                    if declared.lowercased() != actual {
                        findings.append(Finding(code: .sbomHashMismatch, severity: .error, path: item.path,
                            message: "\(sbomPath) says \(component.displayName) has \(algorithm.rawValue) \(declared.prefix(16))…, the delivered file has \(actual.prefix(16))…"))
                        break
                    }
                }
            }
        }
        return findings
    }
}

extension SBOMReport {
    static let statusOrder = ["approved", "unapproved", "denied", "license-denied"]

    /// "3000: 2990 approved, 8 unapproved, 2 denied"
    var countsLine: String {
        let counts = self.counts
        let parts = Self.statusOrder.compactMap { key in counts[key].map { "\($0) \(key)" } }
        return "\(components.count)" + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", "))
    }

    /// For a person, at any size: the documents, counts by status, then only the
    /// components that are not approved, grouped by status and reason.
    public func text(perGroup: Int = 50) -> String {
        var out = ""
        // Fields come from the SBOM: escaped (SafeText) before they reach a terminal.
        let safe = terminalSafe
        for d in documents {
            var line = "  \(safe(d.path))  \(d.format) \(safe(d.specVersion)), \(d.components) component(s)"
            if let product = d.product { line += ", product \(safe(product))" }
            if let signed = d.signed { line += signed ? ", signed" : ", NOT covered by a trusted manifest" }
            out += line + "\n"
        }
        out += "  components \(countsLine)\n"
        for status in Self.statusOrder.dropFirst() {
            let group = components.filter { $0.status == status }
            guard !group.isEmpty else { continue }
            var byReason: [String: [Entry]] = [:]
            var order: [String] = []
            for entry in group {
                let key = entry.rule.map { "rule \($0)" } ?? entry.reason
                if byReason[key] == nil { order.append(key) }
                byReason[key, default: []].append(entry)
            }
            out += "  \(status) (\(group.count))\n"
            for key in order {
                let entries = byReason[key] ?? []
                out += "    \(safe(key)) (\(entries.count)):\n"
                for entry in entries.prefix(perGroup) {
                    let name = entry.purl ?? (entry.version.map { "\(entry.name)@\($0)" } ?? entry.name)
                    let reason = entry.rule == nil ? "" : "  — \(entry.reason)"
                    out += "      \(safe(name))\(safe(reason))\n"
                }
                if entries.count > perGroup { out += "      …and \(entries.count - perGroup) more (see --format json)\n" }
            }
        }
        return out
    }
}
