import Attestation
import CryptoIO
import Foundation
import Intake

/// Puts the report together: the files with their statuses, the manifests with their
/// signatures, the findings (errors first), the summary, and the verdict.
struct ReportAssembly {
    let inventory: Inventory
    let checks: [ManifestCheck]
    let applied: [Int]
    let coverage: Coverage
    let lookedIn: [String]

    func report(findings: [Finding], sbom: SBOMReport?) -> Report {
        let items = inventory.items
        let status = coverage.statuses
        var files: [Report.File] = []
        var byStatus: [String: Int] = [:]
        var bytes: Int64 = 0
        var counts = [FileStatus: Int]()
        var archives = 0
        files.reserveCapacity(items.count)
        // By index and field: copying whole items (five strings each) cost more than the rest.
        for i in items.indices {
            if items[i].container == nil { bytes += items[i].size }
            if items[i].kind == .archive { archives += 1 }
            guard let s = status[i] else { continue }
            if i == inventory.rootItem && inventory.deliveryKind == .archive { continue }
            files.append(Report.File(path: items[i].path, kind: items[i].kind, size: items[i].size,
                                     digests: items[i].digests, status: s))
            counts[s, default: 0] += 1
        }
        for (s, n) in counts { byStatus[s.rawValue] = n }
        files += coverage.missing
        if !coverage.missing.isEmpty { byStatus[FileStatus.missing.rawValue] = coverage.missing.count }

        var delivery = Report.Delivery(path: inventory.deliveryPath, kind: inventory.deliveryKind)
        if let root = inventory.rootItem, root < items.count {
            delivery.format = items[root].format
            delivery.size = items[root].size
            delivery.digests = items[root].digests
            delivery.status = status[root] ?? (inventory.deliveryKind == .archive ? nil : .unlisted)
        }

        var report = Report(
            verdict: .rejected, delivery: delivery,
            evidence: lookedIn.isEmpty ? nil : Report.Evidence(lookedIn: lookedIn),
            files: files, manifests: manifests(), sbom: sbom, findings: [],
            summary: Report.Summary(files: files.count, bytes: bytes, archives: archives, byStatus: byStatus))
        report.complete = !applied.isEmpty && !inventory.stoppedEarly
        report.setFindings(findings)
        return report
    }

    private func manifests() -> [Report.Manifest] {
        checks.enumerated().map { index, check -> Report.Manifest in
            let manifestStatus: ManifestStatus
            if check.verified == nil { manifestStatus = .rejected }
            else { manifestStatus = applied.contains(index) ? .verified : .notApplicable }
            let predicate = check.verified?.statement.delivery
            return Report.Manifest(
                path: check.path, format: check.format, status: manifestStatus,
                signatures: check.signatures.map { s in
                    Report.Signature(signer: s.signer?.name ?? "unknown", status: SignatureStatus(s.status), keyid: s.keyid,
                                     algorithm: s.signer?.key.algorithm.description, fingerprint: s.signer?.fingerprint)
                } + check.detached.map { d in
                    Report.Signature(signer: d.signer?.name ?? "unknown", status: SignatureStatus(d.status), keyid: d.signer?.keyID,
                                     algorithm: d.signer.map { "\(d.format.rawValue) \($0.algorithm)" } ?? d.format.rawValue,
                                     fingerprint: d.signer?.fingerprint, subject: d.certificate?.subject,
                                     chain: d.chain.isEmpty ? nil : d.chain.map(\.subject))
                },
                subjects: check.verified?.subjectCount,
                links: predicate?.links.flatMap { $0.isEmpty ? nil : $0.count },
                predicateType: check.verified?.statement.predicateType,
                vendor: predicate?.vendor, product: predicate?.product, version: predicate?.version, kind: predicate?.kind)
        }
    }
}

extension SignatureStatus {
    init(_ status: SignatureCheck.Status) {
        self = SignatureStatus(rawValue: status.rawValue) ?? .invalid
    }

    init(_ status: DetachedSignatureCheck.Status) {
        self = SignatureStatus(rawValue: status.rawValue) ?? .invalid
    }
}
