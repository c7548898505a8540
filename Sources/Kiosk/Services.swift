import Attestation
import CryptoIO
import Foundation
import InventoryStore
import PassboxKit
import Station
import VulnerabilityStore

/// What the routes call: the configuration read once, sign-in, the scan queue, the
/// decision recorder. No shelling out: PassboxKit and Station do the work.
public final class KioskServices: Sendable {
    public let config: KioskConfig
    public let auth: Authenticator
    public let queue: ScanQueue
    public let finder: SourceFinder
    let policyFile: PolicyFile
    let verify: VerifyOptions
    let recorder: DecisionRecorder
    let stationKey: PrivateKey
    /// The inventory every decision is recorded in and *History* reads (nil: `inventory: off`).
    let inventory: DeliveryInventory?
    /// Where uploads are spooled (under the state directory).
    let spoolDirectory: String

    public init(config: KioskConfig) throws {
        self.config = config
        auth = Authenticator(config: config)
        queue = ScanQueue(concurrent: config.limits.concurrentVerifications, queue: config.limits.queue)
        spoolDirectory = config.state + "/kiosk-spool"
        try FileManager.default.createDirectory(atPath: spoolDirectory, withIntermediateDirectories: true)
        // Uploads left by an earlier run are not deliveries anyone is waiting for.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: spoolDirectory)) ?? [] {
            try? FileManager.default.removeItem(atPath: spoolDirectory + "/" + name)
        }
        finder = SourceFinder(mediaRoots: config.mediaRoots, dropFolders: config.dropFolders)
        policyFile = try config.policy.map { try PolicyFile.load(path: $0) } ?? .builtIn
        var verify = VerifyOptions(trustStoreDirectory: config.trustStore)
        verify.manifestsDirectory = config.manifests
        verify.policy = policyFile.verification
        verify.algorithms = [.sha256] + policyFile.verification.digests.filter { $0 != .sha256 }
        // The vulnerability stage with the station's database (read when the kiosk starts).
        verify.vulnerabilities = try StationVulnerabilities.gate(stateDirectory: config.state,
                                                                 policy: policyFile.verification.vulnerabilities)
        self.verify = verify
        let siem = try SIEMDestination.resolve(url: config.syslog, format: nil, policy: policyFile.station)
        var recorder = DecisionRecorder(stateDirectory: config.state, siem: siem, version: passboxVersion)
        recorder.policySha256 = config.policy.flatMap { Receipt.sha256(ofFile: $0) }
        recorder.trustStoreSha256 = Receipt.trustStoreDigest(config.trustStore)
        try recorder.log.preflight()
        if let path = config.inventory {
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                    withIntermediateDirectories: true)
            let inventory = try DeliveryInventory(.sqlite(path: path))
            recorder.store = inventory
            self.inventory = inventory
        } else {
            inventory = nil
        }
        self.recorder = recorder
        stationKey = try Producer.loadPrivateKey(config.stationKey)
    }

    func recorder(for user: String) -> DecisionRecorder {
        var r = recorder
        r.user = user
        return r
    }

    // MARK: events that are not decisions: sign-in, sign-out, approval

    /// Appends an audit record for `command` (signin, signin-failed, signin-locked,
    /// signout, approve, approve-refused) with the user, and sends it to the SIEM.
    func audit(_ command: String, user: String, input: String = "kiosk", verdict: String = "ok", report: Report? = nil) {
        let r = recorder(for: user)
        var draft = AuditRecord(command: command, input: input, deliverySha256: report.map { deliveryDigest($0) } ?? "",
                                verdict: verdict, findings: [])
        draft.user = user
        draft.policySha256 = r.policySha256
        draft.trustStoreSha256 = r.trustStoreSha256
        if let record = try? r.log.append(draft) { _ = r.send(record, recorded: true) } else { _ = r.send(draft, recorded: false) }
    }

    // MARK: scans

    /// Queues a verification of `path` (already an allowed real path); throws `Busy`.
    public func startScan(path: String, label: String, by user: String, spool: String? = nil) throws -> Scan {
        let scan = Scan(id: Authenticator.token(), path: path, label: label, startedBy: user, spool: spool)
        let recorder = recorder(for: user)
        let options = verify
        let quarantine = config.quarantine
        try queue.submit(scan) {
            scan.set(.running)
            do {
                var report = try Verifier.verify(path: path, options: options, progress: scan.progress)
                let (record, _) = recorder.record(command: "verify", input: path, report: report)
                report.annotate(recorder: recorder, record: record.seq > 0 ? record : nil, policyFile: self.config.policy)
                var written: [String] = []
                if report.verdict == .rejected { written = (try? Self.writeQuarantine(report, label: label, into: quarantine)) ?? [] }
                scan.finish(report: report, quarantined: written)
                // A rejected upload is not kept (its report is); an accepted one waits for admission.
                if report.verdict == .rejected, let spool { try? FileManager.default.removeItem(atPath: spool) }
            } catch let error as EvaluationError {
                recorder.recordError(command: "verify", input: path, message: error.message)
                scan.fail(error.message)
                if let spool { try? FileManager.default.removeItem(atPath: spool) }
            } catch {
                recorder.recordError(command: "verify", input: path, message: "\(error)")
                scan.fail("The delivery could not be checked.")
                if let spool { try? FileManager.default.removeItem(atPath: spool) }
            }
        }
        return scan
    }

    /// Admits an accepted scan: verifies again and copies (Station's `Admission.admit`).
    /// Returns a reason when it cannot (then nothing was admitted).
    func admit(_ scan: Scan, by user: String, reason: String, approvedBy: String?) async -> String? {
        guard let report = scan.report, report.verdict == .accepted else { return "only an accepted delivery can be admitted" }
        guard scan.claimAdmission() else { return "this delivery is being admitted or was admitted already" }
        defer { scan.releaseAdmission() }
        let recorder = recorder(for: approvedBy.map { "\(user)+\($0)" } ?? user)
        let request = AdmitRequest(path: scan.path, destination: config.production, quarantine: config.quarantine,
                                   stationKey: stationKey, verify: verify, station: policyFile.station, policyFile: config.policy,
                                   recorder: recorder, stateDirectory: config.state)
        let label = scan.label
        do {
            let outcome = try await onThread {
                try Admission.admit(request, writeQuarantine: { report, dir in try Self.writeQuarantine(report, label: label, into: dir) })
            }
            scan.setAdmission(Scan.Admission(folder: outcome.folder, receipt: outcome.receipt, files: outcome.files, by: user,
                                             reason: reason, approvedBy: approvedBy, report: outcome.report, warnings: outcome.warnings))
            if let spool = scan.spool { try? FileManager.default.removeItem(atPath: spool) }
            return outcome.admitted ? nil : "rejected when read again for admission: nothing admitted"
        } catch {
            recorder.recordError(command: "admit", input: scan.path, message: "\(error)")
            return "not admitted: the station could not complete the admission (see the audit log)"
        }
    }

    static func writeQuarantine(_ report: Report, label: String, into directory: String) throws -> [String] {
        try Admission.writeQuarantineReports(report, label: label, into: directory)
    }

    /// The JSON report, as the CLI writes it.
    static func json(_ report: Report) throws -> Data {
        var out = Data()
        try ReportJSONWriter().write(report, to: { out.append(contentsOf: $0) })
        out.append(UInt8(ascii: "\n"))
        return out
    }
}
