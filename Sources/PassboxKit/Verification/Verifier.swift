import Attestation
import CryptoIO
import Foundation
import Intake

/// How to verify one delivery.
public struct VerifyOptions: Sendable {
    /// The trust store directory (`TrustStore/`: keys, roots, crls, trust.yaml).
    public var trustStoreDirectory: String
    /// Manifests registered in advance; nil for none.
    public var manifestsDirectory: String?
    /// Extra manifests (`--manifest`), always considered.
    public var manifestFiles: [String] = []
    public var policy: Policy = .builtIn
    /// Validity is judged at this time (keys, certificates, manifests).
    public var at: Date = Date()
    /// Computed for every file: sha256 always, and what `--digests` or the policy's
    /// `digests:` add. An algorithm a manifest names a file by alone is computed too,
    /// in a second pass when the manifest turns up after the bytes (docs/usage.md).
    public var algorithms: [DigestAlgorithm] = [.sha256]
    /// The vulnerability gate (the offline database, station VEX, the policy's
    /// `vulnerabilities:`); nil: components are not checked for known vulnerabilities.
    public var vulnerabilities: VulnerabilityGate?

    public init(trustStoreDirectory: String) {
        self.trustStoreDirectory = trustStoreDirectory
    }
}

/// passbox cannot evaluate (unreadable path, malformed trust store, a `--manifest`
/// that does not parse, cancelled): front ends say so (the CLI exits 2).
public struct EvaluationError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Verification of one delivery, as named stages read top to bottom.
///
/// ```swift
/// let report = try Verifier.verify(path: "/media/usb0", options: VerifyOptions(trustStoreDirectory: "TrustStore"))
/// print(report.verdict)            // .accepted / .rejected, the reasons in report.findings
/// ```
///
/// It returns a verdict with findings; it throws (`EvaluationError`) only when it
/// cannot evaluate. Fail closed: anything unchecked is never accepted.
public enum Verifier {
    /// Verifies one delivery. `progress` (optional) is told the stage, files and bytes
    /// as they go, and can cancel the run (then this throws `EvaluationError`).
    public static func verify(path: String, options: VerifyOptions, progress: VerificationProgress? = nil) throws -> Report {
        // 1. The trust store, read once.
        progress?.enter(.trustStore)
        let trust = try TrustContext(options: options)

        // 2. Evidence known before the delivery is read (--manifest, --manifests DIR,
        //    files named after a single-file delivery beside it), checked while it is read.
        progress?.enter(.evidence)
        var sources = try EvidenceSources.gather(path: path, options: options)
        let early = EarlyChecks.start(envelopes: sources.takeEnvelopes(), lists: sources.takeLists(), trust: trust)
        var reading = intakeOptions(options, progress: progress)
        var checkedFirst: [ManifestCheck]?
        if sources.earlyBytes >= EarlyChecks.checkedFirstFrom {
            // A large manifest is checked before the delivery is read: its file and
            // decoded payload are let go before the delivery's list of files grows, and
            // the list is sized for the subjects it names (EarlyChecks.expectedEntries).
            let checks = early.wait()
            reading.expectedEntries = EarlyChecks.expectedEntries(checks)
            checkedFirst = checks
        }

        // 3. Intake: walk, unpack and hash every byte once.
        progress?.enter(.reading)
        var inventory: Inventory
        do {
            inventory = try Intake.run(path: path, options: reading)
        } catch let error as IntakeError {
            early.join()
            throw EvaluationError(error.message)
        }
        try progress?.checkCancelled()

        // 4. Evidence found in the delivery: manifests and checksum lists in its root,
        //    files with detached signatures beside them, the single file's signatures.
        progress?.enter(.checkingSignatures)
        let found = DeliveryEvidence.collect(inventory: inventory, path: path, sources: sources, trust: trust)
        var checks = (checkedFirst.take() ?? early.wait()) + found.check(trust: trust)
        try refuseUnreadableExplicitManifests(checks)

        // 5. Digests a trusted manifest names files by and this run did not compute.
        var findings = found.findings
        if let second = try SecondPass.run(path: path, first: inventory, checks: checks, options: intakeOptions(options, progress: progress),
                                           progress: progress) {
            switch second {
            case .replaced(let again): inventory = again
            case .changed(let finding): findings.append(finding)
            }
        }

        // 6. Which verified manifests speak for this delivery.
        progress?.enter(.judging)
        let applied = ManifestApplication.applied(checks: checks, inventory: inventory, evidence: found.evidence)

        // 7. Judge: coverage (verified, unlisted, mismatch, missing, links), manifest
        //    problems, intake's findings under the policy, file types, SBOMs.
        let coverage = Matcher.match(inventory: inventory, evidence: found.evidence, checks: checks, applied: applied, policy: options.policy)
        // Matched: the subjects are let go (a statement naming 200,000 files holds 14 MB).
        for index in checks.indices { checks[index].verified?.releaseSubjects() }
        findings += ManifestRules.findings(checks: checks, applied: applied, trust: trust, lookedIn: sources.lookedIn(inventory))
        findings += IntakeRules.findings(inventory: inventory, policy: options.policy)
        findings += coverage.findings
        findings += FileTypeRule.findings(inventory: inventory, evidence: found.evidence, policy: options.policy)
        findings += coverage.missingFindings
        let sbom = SBOMCheck(inventory: inventory, statuses: coverage.statuses,
                             applied: applied.compactMap { checks[$0].verified }, policy: options.policy, evidence: found.evidence).run()
        findings += sbom.findings

        // 8. Known vulnerabilities of the trusted SBOMs' components (offline database,
        //    VEX covered by a trusted manifest or registered at the station).
        var vulnerabilities: VulnerabilityReport?
        if let gate = options.vulnerabilities {
            let check = try VulnerabilityCheck(gate: gate, inventory: inventory, statuses: coverage.statuses, evidence: found.evidence,
                                               sboms: sbom.parsed).run(now: Date())
            findings += check.findings
            vulnerabilities = check.report
        }

        // 9. The report and its verdict.
        progress?.enter(.done)
        var report = ReportAssembly(inventory: inventory, checks: checks, applied: applied, coverage: coverage,
                                    lookedIn: sources.lookedIn(inventory))
            .report(findings: findings, sbom: sbom.report)
        report.vulnerabilities = vulnerabilities
        report.time = RFC3339.format(Date())
        report.passboxVersion = passboxVersion
        report.policy = Report.PolicyReference(source: options.policy.source, sha256: nil)
        report.trustStore = Report.TrustStoreReference(path: options.trustStoreDirectory, sha256: nil)
        return report
    }

    /// Intake as verification needs it: the policy's limits, the digests asked for, and
    /// the files kept in memory (manifests, lists and signatures in the root; signatures
    /// on the medium; SBOMs found by content or by name).
    static func intakeOptions(_ options: VerifyOptions, progress: VerificationProgress?) -> IntakeOptions {
        var intake = IntakeOptions()
        intake.limits = options.policy.limits
        intake.algorithms = options.algorithms
        intake.captureRootFile = { isManifestFileName($0) || ChecksumList.isListFileName($0) || isSignatureFileName($0) }
        intake.captureMediumFile = { isSignatureFileName($0) }
        intake.captureLimit = maxManifestBytes
        let vex = options.vulnerabilities != nil
        intake.captureContent = { looksLikeSBOM($0) || (vex && looksLikeOpenVEX($0)) }
        intake.captureNamed = { isSBOMFileName($0) || (vex && isVEXFileName($0)) }
        intake.progress = progress?.intake
        return intake
    }

    /// Evidence the operator named (`--manifest`) that does not parse cannot be
    /// evaluated: exit 2, as for an unreadable one (docs/usage.md).
    static func refuseUnreadableExplicitManifests(_ checks: [ManifestCheck]) throws {
        for check in checks where check.origin == .explicit {
            for case .malformed(let message) in check.problems {
                throw EvaluationError("--manifest \(check.path): \(message)")
            }
        }
    }
}

/// The trust store as verification uses it: read once (`TrustStoreContents`), with the
/// verifiers built from it.
struct TrustContext: Sendable {
    let contents: TrustStoreContents
    let manifests: ManifestVerifier
    let detached: DetachedSignatureVerifier
    let time: Date

    init(options: VerifyOptions) throws {
        do {
            contents = try TrustStoreContents.read(directory: options.trustStoreDirectory)
        } catch let error as TrustStoreError {
            throw EvaluationError("trust store: \(error)")
        }
        time = options.at
        manifests = ManifestVerifier(trustStore: contents.store, time: options.at)
        var detached = DetachedSignatureVerifier(trust: contents.vendor, time: options.at)
        detached.trust.requireCRL = options.policy.requireCRL
        self.detached = detached
    }

    var store: TrustStore { contents.store }
}
