import Attestation
import Foundation
import InventoryStore
import SafeText

/// The inventory's answers as text (each line escaped with `terminalSafe`), JSON, or
/// CSV (RFC 4180; a cell that a spreadsheet would run as a formula is prefixed with ').
enum InventoryPrinter {
    static func deliveries(_ list: [DeliverySummary], format: InventoryFormat) throws {
        switch format {
        case .json: try json(list)
        case .csv:
            csv(["id", "time", "station", "seq", "command", "admitted", "verdict", "operator", "vendor", "product", "version",
                 "kind", "sha256", "medium", "folder", "files", "components"],
                list.map { d in
                    [String(d.id), d.time, d.station, d.auditSeq.map(String.init) ?? "", d.command, d.admitted ? "yes" : "no",
                     d.verdict, d.operator, d.vendor ?? "", d.product ?? "", d.version ?? "", d.kind ?? "", d.sha256,
                     medium(d), d.admittedFolder ?? "", String(d.files), String(d.components)]
                })
        case .text:
            if list.isEmpty { say("no deliveries") }
            for d in list { say(line(d)) }
        }
    }

    static func components(_ hits: [ComponentHit], format: InventoryFormat) throws {
        switch format {
        case .json: try json(hits)
        case .csv:
            csv(["delivery", "time", "station", "admitted", "vendor", "product", "version", "name", "component_version", "purl",
                 "licenses", "status", "rule", "document"],
                hits.map { h in
                    [String(h.delivery.id), h.delivery.time, h.delivery.station, h.delivery.admitted ? "yes" : "no",
                     h.delivery.vendor ?? "", h.delivery.product ?? "", h.delivery.version ?? "", h.name, h.version ?? "",
                     h.purl ?? "", h.licenses ?? "", h.status, h.rule ?? "", h.document]
                })
        case .text:
            if hits.isEmpty { say("no matching components") }
            for h in hits {
                say("\(h.purl ?? h.name)\(h.purl == nil ? h.version.map { "@" + $0 } ?? "" : "")  [\(h.status)]  in \(line(h.delivery))")
            }
            if !hits.isEmpty {
                say("\(hits.count) component(s) in \(Set(hits.map(\.delivery.id)).count) delivery(ies)")
            }
        }
    }

    static func files(_ hits: [FileHit], format: InventoryFormat) throws {
        switch format {
        case .json: try json(hits)
        case .csv:
            csv(["delivery", "time", "station", "operator", "admitted", "folder", "medium", "path", "size", "sha256", "status",
                 "manifest", "signers"],
                hits.map { h in
                    [String(h.delivery.id), h.delivery.time, h.delivery.station, h.delivery.operator,
                     h.delivery.admitted ? "yes" : "no", h.delivery.admittedFolder ?? "", medium(h.delivery), h.path,
                     String(h.size), h.sha256 ?? "", h.status, h.manifest ?? "", h.signers.joined(separator: "; ")]
                })
        case .text:
            if hits.isEmpty { say("no matching files") }
            for h in hits {
                say("\(h.path)  \(h.size) bytes  sha256 \(h.sha256 ?? "-")  [\(h.status)]")
                say("  in \(line(h.delivery))")
                say("  operator \(h.delivery.operator), medium \(medium(h.delivery).isEmpty ? "-" : medium(h.delivery))"
                    + ", signed by \(h.signers.isEmpty ? "-" : h.signers.joined(separator: ", "))"
                    + (h.manifest.map { ", manifest \($0)" } ?? ""))
            }
        }
    }

    static func detail(_ d: DeliveryDetail, format: InventoryFormat) throws {
        switch format {
        case .json: try json(d)
        case .csv:
            csv(["path", "kind", "size", "sha256", "status", "manifest"],
                d.files.map { [$0.path, $0.kind, String($0.size), $0.sha256 ?? "", $0.status, $0.manifest ?? ""] })
        case .text:
            let s = d.delivery
            say(line(s))
            say("  uid \(s.uid), station \(s.station), audit seq \(s.auditSeq.map(String.init) ?? "-"), operator \(s.operator)")
            say("  input \(s.input)" + (d.absolutePath.map { " (\($0))" } ?? ""))
            say("  medium \(medium(s).isEmpty ? "-" : medium(s))" + (d.mediumMountPoint.map { " at \($0)" } ?? ""))
            if let folder = s.admittedFolder { say("  admitted as \(folder)") }
            if let receipt = d.receiptSha256 { say("  receipt \(d.receiptPath ?? "-") sha256 \(receipt)") }
            say("  policy sha256 \(d.policySha256 ?? "built-in"), trust store sha256 \(d.trustStoreSha256 ?? "-")")
            say("signers (\(d.signers.count)):")
            for g in d.signers {
                say("  \(g.signer) [\(g.status)] \(g.algorithm ?? "") \(g.fingerprint ?? g.keyid ?? "")"
                    + (g.subject.map { " subject \($0)" } ?? "") + " — \(g.manifest) (\(g.manifestFormat), \(g.manifestStatus))")
            }
            say("files (\(shown(d.files.count, of: d.delivery.files, from: d.page.offset))):")
            for f in d.files { say("  \(f.path)  \(f.size)  \(f.sha256 ?? "-")  [\(f.status)]") }
            say("SBOMs (\(d.sbomDocuments.count)), components (\(shown(d.components.count, of: d.delivery.components, from: d.page.offset))):")
            for c in d.components {
                say("  \(c.purl ?? c.name + (c.version.map { "@" + $0 } ?? ""))  [\(c.status)]" + (c.licenses.map { "  \($0)" } ?? ""))
            }
            say("findings (\(d.findings.count)):")
            for f in d.findings { say("  \(f.severity) \(f.code)\(f.path.map { " \($0)" } ?? ""): \(f.message)") }
        }
    }

    static func check(_ check: InventoryCheck, format: InventoryFormat) throws {
        switch format {
        case .json: try json(check)
        case .csv:
            csv(["station", "seq", "time", "command", "verdict", "input", "sha256"],
                check.missing.map { [$0.station, String($0.seq), $0.time, $0.command, $0.verdict, $0.input, $0.deliverySha256] })
        case .text:
            for problem in check.auditProblems { say("audit log: \(problem)") }
            let errors = check.errors > 0 ? " (and \(check.errors) record(s) of commands that could not evaluate, which have no contents)" : ""
            if check.missing.isEmpty {
                say("inventory complete: all \(check.records) decision(s) of the audit log are recorded" + errors)
            } else {
                say("\(check.missing.count) of \(check.records) decision(s) of the audit log are missing from the inventory:")
                for m in check.missing {
                    say("  \(m.station) seq \(m.seq) \(m.time) \(m.command) \(m.verdict) \(m.input) sha256 \(m.deliverySha256)")
                }
            }
        }
    }

    static func push(_ result: PushResult, to target: String, format: InventoryFormat) throws {
        switch format {
        case .json: try json(result)
        case .csv: csv(["pushed", "already_there", "remaining"], [[String(result.pushed), String(result.alreadyThere), String(result.remaining)]])
        case .text:
            say("pushed \(result.pushed) decision(s) to \(target)" + (result.alreadyThere > 0 ? " (\(result.alreadyThere) were there already)" : ""))
        }
    }

    /// "20" when all are shown, else "1001–2000 of 50000" (`show --offset/--limit`).
    static func shown(_ count: Int, of total: Int64, from offset: Int) -> String {
        if offset == 0, Int64(count) >= total { return "\(count)" }
        return count == 0 ? "none of \(total) from \(offset + 1)" : "\(offset + 1)–\(offset + count) of \(total)"
    }

    static func line(_ d: DeliverySummary) -> String {
        let product = [d.vendor, d.product, d.version].compactMap { $0 }.joined(separator: " ")
        return "#\(d.id) \(d.time) \(d.station) \(d.admitted ? "admitted" : d.command + " " + d.verdict)"
            + " \(product.isEmpty ? "(no product)" : product)\(d.kind.map { " [\($0)]" } ?? "") sha256 \(d.sha256.prefix(16))"
            + " by \(d.operator)" + (d.admittedFolder.map { " as \($0)" } ?? "")
    }

    static func medium(_ d: DeliverySummary) -> String {
        [d.mediumDevice, d.mediumLabel.map { "label \($0)" }, d.mediumUUID.map { "uuid \($0)" }].compactMap { $0 }.joined(separator: " ")
    }

    static func json<T: Encodable>(_ value: T) throws {
        let data = try JSONOutput.encoder().encode(value)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    static func csv(_ header: [String], _ rows: [[String]]) {
        var out = header.joined(separator: ",") + "\r\n"
        for row in rows { out += row.map(csvCell).joined(separator: ",") + "\r\n" }
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    /// RFC 4180 quoting; a leading = + - @ (or tab/CR) gets a ' so a spreadsheet shows it as text.
    static func csvCell(_ value: String) -> String {
        var text = value
        if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
