import Foundation

/// SARIF 2.1.0 and HTML renderings of verification reports (`--format sarif|html`).
public enum ReportFormats {
    /// One SARIF log with one run per delivery: every finding is a result whose
    /// rule is the finding code and whose location is the path in the delivery.
    public static func sarif(_ reports: [Report]) throws -> Data {
        var runs: [[String: Any]] = []
        for report in reports {
            var codes: [String] = []
            for finding in report.findings where !codes.contains(finding.code.rawValue) { codes.append(finding.code.rawValue) }
            let rules: [[String: Any]] = codes.map { code in
                ["id": code, "shortDescription": ["text": FindingCode(rawValue: code)?.summary ?? code]]
            }
            let results: [[String: Any]] = report.findings.map { finding in
                var result: [String: Any] = [
                    "ruleId": finding.code.rawValue,
                    "level": finding.severity == .error ? "error" : finding.severity == .warning ? "warning" : "note",
                    "message": ["text": finding.message],
                ]
                if let path = finding.path {
                    result["locations"] = [["physicalLocation": ["artifactLocation": ["uri": path, "uriBaseId": "DELIVERY"]]]]
                }
                return result
            }
            runs.append([
                "tool": ["driver": [
                    "name": "passbox", "version": passboxVersion,
                    "rules": rules,
                ]],
                "originalUriBaseIds": ["DELIVERY": ["uri": baseURI(report)]],
                "results": results,
                "properties": ["verdict": report.verdict.rawValue, "mediaType": report.mediaType],
            ])
        }
        let log: [String: Any] = [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": runs,
        ]
        return try JSONSerialization.data(withJSONObject: log, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    /// A self-contained HTML page (no scripts, no external resources) for the kiosk
    /// screen or an e-mail: the verdict, the manifests, the findings, the files.
    public static func html(_ reports: [Report]) -> String {
        var out = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>passbox report</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:2em;color:#222}
        .accepted{color:#116611}.rejected{color:#aa1111}
        table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:0.2em 0.6em;text-align:left;vertical-align:top}
        code{font-size:90%}
        </style></head><body>

        """
        for report in reports {
            let verdict = report.verdict.rawValue
            out += "<h1 class=\"\(verdict)\">\(escape(verdict.uppercased())): \(escape(report.delivery.path))</h1>\n"
            out += "<p>\(escape(report.delivery.kind.rawValue))"
            if let format = report.delivery.format { out += ", \(escape(format))" }
            out += "; \(report.summary.files) file(s), \(escape(formatBytes(report.summary.bytes))) read</p>\n"
            out += "<h2>Findings</h2>\n"
            if report.findings.isEmpty {
                out += "<p>none</p>\n"
            } else {
                out += "<table><tr><th>severity</th><th>code</th><th>path</th><th>message</th></tr>\n"
                for f in report.findings {
                    out += "<tr><td>\(escape(f.severity.rawValue))</td><td><code>\(escape(f.code.rawValue))</code></td><td><code>\(escape(f.path ?? ""))</code></td><td>\(escape(f.message))</td></tr>\n"
                }
                out += "</table>\n"
            }
            out += "<h2>Manifests</h2>\n<table><tr><th>manifest</th><th>status</th><th>signers</th></tr>\n"
            for m in report.manifests {
                let signers = m.signatures.map { "\($0.signer) (\($0.status.rawValue))" }.joined(separator: ", ")
                out += "<tr><td><code>\(escape(m.path))</code></td><td>\(escape(m.status.rawValue))</td><td>\(escape(signers))</td></tr>\n"
            }
            out += "</table>\n<h2>Files</h2>\n<table><tr><th>path</th><th>status</th><th>size</th><th>sha256</th></tr>\n"
            for file in report.files {
                out += "<tr><td><code>\(escape(file.path))</code></td><td>\(escape(file.status.rawValue))</td><td>\(file.size)</td><td><code>\(escape(file.digests.sha256 ?? ""))</code></td></tr>\n"
            }
            out += "</table>\n"
        }
        return out + "</body></html>\n"
    }

    /// The delivery root as a URI ending in "/" (paths in findings are relative to it).
    static func baseURI(_ report: Report) -> String {
        let uri = URL(fileURLWithPath: report.delivery.path, isDirectory: report.delivery.kind == .directory).absoluteString
        return uri.hasSuffix("/") ? uri : uri + "/"
    }

    /// Everything from the delivery is text an attacker chose: escaped.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if c.value < 0x20 && c != "\n" && c != "\t" { out += "&#x\(String(c.value, radix: 16));" } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }
}
