import Foundation
import SafeText

extension Report {
    /// For a person at the kiosk: what was checked, who signed, then one line per finding.
    /// At most `perCode` findings of one code are listed; JSON has them all.
    public func text(perCode: Int = 25) -> String {
        var out = ""
        // Every line passes through SafeText: names, signers, vendors and messages come
        // from the delivery and must not drive the terminal.
        func line(_ s: String = "") { out += terminalSafe(s) + "\n" }
        line("passbox verify: \(verdict == .accepted ? "ACCEPTED" : "REJECTED")")
        var what = "\(delivery.path) (\(delivery.kind)"
        if let format = delivery.format { what += ", \(format)" }
        what += ")"
        line("  delivery   \(what)")
        if let sha = delivery.digests?.sha256 { line("  sha256     \(sha)") }
        let statusOrder = ["verified", "covered", "unlisted", "mismatch", "missing", "skipped"]
        let counts = statusOrder.compactMap { key in summary.byStatus[key].map { "\($0) \(key)" } }
        line("  checked    \(summary.files) file(s), \(formatBytes(summary.bytes)) read, \(summary.archives) archive(s) opened")
        if !counts.isEmpty { line("  files      \(counts.joined(separator: ", "))") }
        if manifests.isEmpty {
            line("  manifests  none found")
        }
        for (i, m) in manifests.enumerated() {
            let label = i == 0 ? "  manifests  " : "             "
            var text = "\(m.path) [\(m.status)]"
            let signers = m.signatures.filter { $0.status == .valid }.map { s in
                "\(s.signer) (\(s.algorithm ?? "?"), \(s.fingerprint.map { String($0.prefix(16)) } ?? "?"))"
            }
            if !signers.isEmpty { text += " signed by \(signers.joined(separator: ", "))" }
            var product: [String] = []
            if let v = m.vendor { product.append(v) }
            if let p = m.product { product.append(p) }
            if let v = m.version { product.append(v) }
            if let k = m.kind { product.append("(\(k))") }
            if !product.isEmpty { text += "; \(product.joined(separator: " "))" }
            if let n = m.subjects { text += "; \(n) subject(s)" }
            if let n = m.links { text += ", \(n) symbolic link(s)" }
            line(label + text)
        }
        if let sbom {
            let signed = sbom.documents.filter { $0.signed == true }.count
            line("  sbom       \(sbom.documents.count) document(s), \(signed) covered by a trusted manifest; components \(sbom.countsLine)")
        }
        if let vulnerabilities {
            line("  vulnerabilities")
            out += vulnerabilities.text()
        }
        if findings.isEmpty {
            line("  findings   none")
        } else {
            line("  findings   \(findings.filter { $0.severity == .error }.count) error(s), \(findings.filter { $0.severity == .warning }.count) warning(s)")
            var shown: [FindingCode: Int] = [:]
            for f in findings {
                shown[f.code, default: 0] += 1
                let n = shown[f.code, default: 0]
                if n <= perCode {
                    let path = f.path.map { "  \($0)" } ?? ""
                    line("    \(f.severity.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(f.code.rawValue)\(path): \(f.message)")
                }
            }
            for (code, n) in shown.sorted(by: { $0.key < $1.key }) where n > perCode {
                line("    …and \(n - perCode) more \(code.rawValue) (see --format json)")
            }
        }
        return out
    }
}

func formatBytes(_ n: Int64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(n)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(n) bytes" : String(format: "%.1f %@", value, units[unit])
}
