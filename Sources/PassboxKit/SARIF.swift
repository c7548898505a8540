import Attestation
import Foundation

/// SARIF 2.1.0 and HTML renderings of verification reports (`--format sarif|html`).
public enum ReportFormats {}

extension ReportFormats {
    /// One SARIF 2.1.0 log with one run per delivery (valid against the official
    /// schema, tested): every finding is a result whose rule is the finding code and
    /// whose location is the path in the delivery (a percent-encoded URI relative to
    /// `DELIVERY`); every file is an artifact with its hashes; the invocation carries the
    /// exit code the verdict means; the verdict and the report's context are the run's
    /// properties.
    public static func sarif(_ reports: [Report]) throws -> Data {
        var runs: [[String: Any]] = []
        for report in reports {
            // One rule per finding code, and one per vulnerability (its id, the
            // finding code as its property): vuln.affected findings use those.
            var codes: [FindingCode] = []
            for finding in report.findings where !codes.contains(finding.code) { codes.append(finding.code) }
            var rules: [[String: Any]] = codes.map { code in
                ["id": code.rawValue, "shortDescription": ["text": code.summary],
                 "helpUri": "https://passbox.dev/docs/report#finding-codes"]
            }
            let vulnerabilityRules = VulnerabilitySARIF(report.vulnerabilities, findings: report.findings, firstIndex: rules.count)
            rules += vulnerabilityRules.rules
            let results: [[String: Any]] = report.findings.enumerated().map { position, finding in
                let vulnerability = vulnerabilityRules.rule(forFinding: position)
                var result: [String: Any] = [
                    "ruleId": vulnerability?.id ?? finding.code.rawValue,
                    "ruleIndex": vulnerability?.index ?? codes.firstIndex(of: finding.code) ?? 0,
                    "level": finding.severity == .error ? "error" : finding.severity == .warning ? "warning" : "note",
                    "message": ["text": finding.message],
                ]
                if let path = finding.path {
                    result["locations"] = [["physicalLocation": ["artifactLocation": ["uri": uriReference(path), "uriBaseId": "DELIVERY"]]]]
                }
                return result
            }
            let artifacts: [[String: Any]] = report.files.map { file in
                var artifact: [String: Any] = [
                    "location": ["uri": uriReference(file.path), "uriBaseId": "DELIVERY"],
                    "length": file.size,
                    "properties": ["status": file.status.rawValue, "kind": file.kind.rawValue],
                ]
                var hashes: [String: String] = [:]
                for (algorithm, hex) in file.digests { hashes[sarifHashName(algorithm.rawValue)] = hex }
                if !hashes.isEmpty { artifact["hashes"] = hashes }
                return artifact
            }
            var properties: [String: Any] = ["verdict": report.verdict.rawValue, "mediaType": report.mediaType]
            if let time = report.time { properties["time"] = time }
            if let station = report.station { properties["station"] = station }
            if let digest = report.deliveryDigest?["sha256"] { properties["deliverySha256"] = digest }
            if let seq = report.auditSeq { properties["auditSeq"] = seq }
            if let admitted = report.admitted { properties["admitted"] = ["folder": admitted.folder, "receipt": admitted.receipt] }
            var invocation: [String: Any] = [
                "executionSuccessful": true,
                "exitCode": report.verdict == .accepted ? 0 : 1,
                "exitCodeDescription": report.verdict == .accepted ? "accepted" : "rejected",
            ]
            if let time = report.time { invocation["endTimeUtc"] = time }
            runs.append([
                "tool": ["driver": [
                    "name": "passbox", "version": passboxVersion, "informationUri": "https://passbox.dev",
                    "rules": rules,
                ]],
                "invocations": [invocation],
                "originalUriBaseIds": ["DELIVERY": ["uri": baseURI(report)]],
                "artifacts": artifacts,
                "results": results,
                "properties": properties,
            ])
        }
        let log: [String: Any] = [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": runs,
        ]
        return try JSONSerialization.data(withJSONObject: log, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    /// SARIF's names for hash algorithms (`sha-256`, as in its examples).
    static func sarifHashName(_ algorithm: String) -> String {
        algorithm.hasPrefix("sha") ? "sha-" + algorithm.dropFirst(3) : algorithm
    }

    /// A delivery path as a relative URI reference: every byte outside RFC 3986's
    /// unreserved characters and `!$&'()*+,;=@/` percent-encoded (spaces, `#`, `?`, `%`,
    /// `:` — a colon in the first segment would read as a scheme — and non-ASCII).
    static func uriReference(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
                 UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
                 UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: "@"),
                 UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// The delivery root as a URI ending in "/" (paths in findings are relative to it).
    static func baseURI(_ report: Report) -> String {
        let uri = URL(fileURLWithPath: report.delivery.path, isDirectory: report.delivery.kind == .directory).absoluteString
        return uri.hasSuffix("/") ? uri : uri + "/"
    }
}

/// SARIF rules for vulnerabilities: one rule per vulnerability (its primary id,
/// aliases and severity as properties), used by its `vuln.affected` and
/// `vuln.suppressed` results.
struct VulnerabilitySARIF {
    var rules: [[String: Any]] = []
    /// Finding position -> (rule id, rule index).
    private var byFinding: [Int: (id: String, index: Int)] = [:]

    init(_ report: VulnerabilityReport?, findings: [Finding], firstIndex: Int) {
        guard let report else { return }
        var ruleIndex: [String: Int] = [:]
        var idLists: [(list: String, id: String)] = []
        for component in report.components {
            for v in component.vulnerabilities {
                idLists.append((([v.id] + v.aliases).joined(separator: ", "), v.id))
                guard ruleIndex[v.id] == nil else { continue }
                ruleIndex[v.id] = firstIndex + rules.count
                var properties: [String: Any] = ["aliases": v.aliases, "findingCode": FindingCode.vulnAffected.rawValue]
                if let severity = v.severity { properties["severity"] = severity }
                if let score = v.score { properties["security-severity"] = String(format: "%.1f", score) }
                rules.append([
                    "id": v.id,
                    "shortDescription": ["text": v.summary.map { String($0.prefix(200)) } ?? "Known vulnerability \(v.id)"],
                    "helpUri": "https://osv.dev/vulnerability/\(v.id)",
                    "properties": properties,
                ])
            }
        }
        // Longest id lists first, so that one list that starts another is not taken for it.
        idLists.sort { $0.list.count > $1.list.count }
        for (position, finding) in findings.enumerated() where finding.code == .vulnAffected || finding.code == .vulnSuppressed {
            guard let hit = idLists.first(where: { finding.message.contains($0.list) }), let index = ruleIndex[hit.id] else { continue }
            byFinding[position] = (hit.id, index)
        }
    }

    func rule(forFinding position: Int) -> (id: String, index: Int)? { byFinding[position] }
}
