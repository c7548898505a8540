import Attestation
import CryptoIO
import Foundation
import PassboxKit

/// What to admit, where, and under which settings.
public struct AdmitRequest: Sendable {
    /// The delivery: a directory (a mounted medium, a drop folder), a file or an archive.
    public var path: String
    /// The production share: the delivery becomes a new folder here.
    public var destination: String
    /// Where the reports of a rejected delivery are written, if anywhere.
    public var quarantine: String?
    /// Signs the receipt.
    public var stationKey: PrivateKey
    public var verify: VerifyOptions
    public var station: StationPolicy
    /// The policy file as given (its URI and digest go into the receipt), nil for the built-in one.
    public var policyFile: String?
    public var recorder: DecisionRecorder
    /// The state directory (versions admitted, for rollback protection).
    public var stateDirectory: String

    public init(path: String, destination: String, quarantine: String? = nil, stationKey: PrivateKey, verify: VerifyOptions,
                station: StationPolicy = StationPolicy(), policyFile: String? = nil, recorder: DecisionRecorder, stateDirectory: String) {
        self.path = path
        self.destination = destination
        self.quarantine = quarantine
        self.stationKey = stationKey
        self.verify = verify
        self.station = station
        self.policyFile = policyFile
        self.recorder = recorder
        self.stateDirectory = stateDirectory
    }
}

/// What `admit` did.
public struct AdmitOutcome: Sendable {
    /// The verification report, with what admission added (rollback, a file that changed).
    public var report: Report
    /// The new folder's name in the destination, when admitted.
    public var folder: String?
    /// The receipt's path, when admitted.
    public var receipt: String?
    /// Files copied.
    public var files: Int
    /// Reports written into the quarantine, when rejected.
    public var quarantined: [String] = []
    /// Things the operator should know that did not change the outcome (SIEM down, a
    /// version not remembered, the quarantine not writable).
    public var warnings: [String] = []
    /// The audit record's sequence number, when recorded.
    public var auditSeq: Int?

    public var admitted: Bool { folder != nil }
}

extension Admission {
    /// Verifies, refuses an older version than the station already admitted, copies
    /// exactly the verified bytes (re-hashed while copied) into a new folder, writes a
    /// signed receipt, records the decision, and only then makes the folder appear with
    /// one rename. Rejected: nothing is copied; the report goes to the quarantine.
    ///
    /// Throws `StationError` (nothing admitted) when it cannot go on: the audit log
    /// cannot be written, the destination is missing, the receipt cannot be written;
    /// and `EvaluationError` when the delivery cannot be evaluated.
    public static func admit(_ request: AdmitRequest, progress: VerificationProgress? = nil,
                             writeQuarantine: (Report, String) throws -> [String] = { _, _ in [] }) throws -> AdmitOutcome {
        try preflight(request)
        removeStaleIncoming(in: request.destination)

        var report = try Verifier.verify(path: request.path, options: request.verify, progress: progress)
        let digest = deliveryDigest(report)
        let described = report.manifests.filter { $0.status == .verified }.first { $0.product != nil }
        var outcome = AdmitOutcome(report: report, files: 0)

        if report.verdict == .accepted { try checkRollback(&report, described: described, request: request) }

        var copied: (incoming: String, name: String, files: [CopiedFile])?
        if report.verdict == .accepted {
            let name = folderName(described: described, path: request.path, digest: digest)
            if exists(request.destination, name) {
                throw StationError("\(request.destination)/\(name) already exists: this delivery was admitted before; passbox never replaces an admitted delivery")
            }
            let plan = AdmitPlan(report: report, path: request.path, extractPatterns: request.station.admitExtract,
                                 maxPathLength: request.verify.policy.limits.maxPathLength)
            do {
                let result = try copyToIncoming(sourceRoot: plan.sourceRoot, files: plan.files, extract: plan.archives, destination: request.destination)
                copied = (result.incoming, name, result.copied)
            } catch let changed as FileChanged {
                report.add(Finding(code: .fileMismatch, severity: .error, path: changed.path, message: "\(changed.message); nothing admitted"))
                if let i = report.files.firstIndex(where: { $0.path == changed.path }) { report.files[i].status = .mismatch }
            } catch {
                throw StationError("\(error); nothing admitted")
            }
        }

        guard report.verdict == .accepted, let copied else {
            let (record, problems) = request.recorder.record(command: "admit", input: request.path, report: report)
            let recorded = !problems.contains { $0.hasPrefix("not recorded in the audit log") }
            report.annotate(recorder: request.recorder, record: recorded ? record : nil, policyFile: request.policyFile)
            outcome.report = report
            outcome.auditSeq = report.auditSeq
            outcome.warnings += problems
            if let quarantine = request.quarantine {
                do {
                    outcome.quarantined = try writeQuarantine(report, quarantine)
                } catch {
                    outcome.warnings.append("cannot write the report into the quarantine \(quarantine): \(error)")
                }
            }
            return outcome
        }

        // The receipt first, then the audit record, then the one rename that admits.
        let receiptPath = request.destination + "/" + copied.name + receiptSuffix
        func abandon(_ message: String) -> StationError {
            try? FileManager.default.removeItem(atPath: request.destination + "/" + copied.incoming)
            unlink(receiptPath)
            return StationError("\(message); nothing admitted")
        }
        do {
            let facts = ReceiptFacts(
                folder: copied.name, files: copied.files,
                resourceURI: URL(fileURLWithPath: request.path).standardizedFileURL.absoluteString,
                deliverySha256: digest,
                policyURI: request.policyFile.map { URL(fileURLWithPath: $0).standardizedFileURL.absoluteString } ?? "https://passbox.dev/policy/built-in",
                policySha256: request.policyFile.flatMap { Receipt.sha256(ofFile: $0) },
                attestations: report.manifests.filter { $0.status == .verified }.map { attestation($0.path, report: report, path: request.path) },
                trustStoreSha256: Receipt.trustStoreDigest(request.verify.trustStoreDirectory),
                vendor: described?.vendor, product: described?.product, version: described?.version,
                time: Date())
            try replaceAtomically(receiptPath, try Receipt.envelope(facts, key: request.stationKey, version: passboxVersion))
        } catch {
            throw abandon("cannot write the receipt: \(error)")
        }
        let (record, problem) = request.recorder.append(command: "admit", input: request.path, report: report, admitted: copied.name)
        if let problem { throw abandon("the audit log cannot be written: \(problem)") }
        // The inventory record, like the audit record, comes before the rename: a
        // delivery that could not be recorded is not admitted.
        if let failure = request.recorder.store(Decision(
            command: "admit", input: request.path, report: report, audit: record, admittedFolder: copied.name,
            receiptPath: receiptPath, receiptSha256: Receipt.sha256(ofFile: receiptPath),
            policySha256: request.recorder.policySha256, trustStoreSha256: request.recorder.trustStoreSha256)) {
            throw abandon(failure)
        }
        do {
            try commit(incoming: copied.incoming, destination: request.destination, finalName: copied.name)
        } catch {
            throw abandon("\(error)")
        }
        // Sent once the folder is there under its final name (the record came first).
        if let failure = request.recorder.send(record, recorded: true) { outcome.warnings.append(failure) }
        if let product = described?.product, let version = described?.version {
            do {
                try VersionStore(directory: request.stateDirectory)
                    .record(vendor: described?.vendor, product: product, version: version, deliverySha256: digest)
            } catch {
                outcome.warnings.append("admitted, but the version could not be remembered for rollback protection: \(error)")
            }
        }
        report.annotate(recorder: request.recorder, record: record, policyFile: request.policyFile)
        report.admitted = Report.Admitted(folder: request.destination + "/" + copied.name, receipt: receiptPath)
        outcome.report = report
        outcome.folder = copied.name
        outcome.receipt = receiptPath
        outcome.files = copied.files.count
        outcome.auditSeq = record.seq
        return outcome
    }

    /// Nothing is verified unless the decision can be recorded and the destination exists.
    private static func preflight(_ request: AdmitRequest) throws {
        do {
            try request.recorder.log.preflight()
        } catch {
            throw StationError("the audit log cannot be written, so nothing is admitted: \(error)")
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: request.destination, isDirectory: &isDir), isDir.boolValue else {
            throw StationError("--to \(request.destination) is not an existing directory")
        }
        if let quarantine = request.quarantine {
            guard FileManager.default.fileExists(atPath: quarantine, isDirectory: &isDir), isDir.boolValue else {
                throw StationError("--quarantine \(quarantine) is not an existing directory")
            }
        }
    }

    /// Rollback: never an older version of a product than one already admitted (a
    /// warning when the station policy allows it for that product).
    private static func checkRollback(_ report: inout Report, described: Report.Manifest?, request: AdmitRequest) throws {
        guard let product = described?.product, let version = described?.version else { return }
        let newer: VersionStore.Entry?
        do {
            newer = try VersionStore(directory: request.stateDirectory).newerAdmitted(vendor: described?.vendor, product: product, version: version)
        } catch {
            throw StationError("\(error)")
        }
        guard let newer else { return }
        if request.station.rollbackAllowed.contains(product) {
            report.add(Finding(code: .versionRollback, severity: .warning, path: nil,
                               message: "\(product) \(version) is older than \(newer.version), admitted before; the policy allows rollback for \(product)"))
        } else {
            report.add(Finding(code: .versionRollback, severity: .error, path: nil,
                               message: "\(product) \(version) is older than \(newer.version), which this station admitted on \(newer.time): an old delivery replayed? (a policy may allow it: rollback: {allow: [\(product)]})"))
        }
    }

    /// `<product>-<version>-<digest>`, or `<name>-<digest>` without passbox's predicate.
    static func folderName(described: Report.Manifest?, path: String, digest: String) -> String {
        if let product = described?.product {
            return safeFolderName("\(product)-\(described?.version ?? "unversioned")-\(digest.prefix(12))")
        }
        return safeFolderName("\(URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent)-\(digest.prefix(12))")
    }

    /// A manifest as an input attestation: its file URI and sha256 (read again here).
    private static func attestation(_ manifestPath: String, report: Report, path: String) -> (uri: String, sha256: String?) {
        let bare = manifestPath.split(separator: "#").first.map(String.init) ?? manifestPath
        var candidates: [String] = []
        if report.delivery.kind == .directory { candidates.append(path + "/" + bare) }
        candidates.append(bare)
        for c in candidates where FileManager.default.fileExists(atPath: c) {
            return (URL(fileURLWithPath: c).standardizedFileURL.absoluteString + (bare == manifestPath ? "" : "#" + manifestPath.dropFirst(bare.count + 1)),
                    Receipt.sha256(ofFile: c))
        }
        return (manifestPath, nil)
    }
}

extension Admission {
    /// The report of a rejected delivery, into the quarantine folder: JSON for tools and
    /// HTML for a person, named `<label>-<digest12>-<ISO 8601 time, basic, UTC>.report.json|html`.
    public static func writeQuarantineReports(_ report: Report, label: String, into directory: String) throws -> [String] {
        let time = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC") ?? .current,
                                               formatOptions: [.withYear, .withMonth, .withDay, .withTime, .withTimeZone])
        let base = safeFolderName("\(label)-\(deliveryDigest(report).prefix(12))-\(time)")
        let json = directory + "/" + base + ".report.json"
        try replaceAtomically(json) { write in
            try ReportJSONWriter().write(report, to: write)
            try [UInt8(ascii: "\n")].withUnsafeBytes(write)
        }
        let html = directory + "/" + base + ".report.html"
        try replaceAtomically(html, Data(ReportFormats.html([report]).utf8))
        return [json, html]
    }
}
