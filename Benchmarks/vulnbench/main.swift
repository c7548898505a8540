// vulnbench: times the Vulnerabilities module's import and matching for
// Benchmarks/vulns.sh (not a user tool).
//
//   vulnbench import ZIP...            import records into an in-memory index
//   vulnbench match ZIP PURLS.txt      import, then match one component per line
//                                      (VULNBENCH_REPEAT=N: N match runs, default 3)
//   vulnbench decode-only ZIP...       read and check records, keep none (decoding cost)
//   vulnbench compare x                100,000 PEP 440 comparisons (VersionScheme.compare)
import Foundation
import SBOM
import Vulnerabilities

/// CPU time of this process, all threads (not inflated when other processes share the cores).
func processCPU() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

func load(_ paths: ArraySlice<String>) -> VulnerabilityIndex {
    var index = VulnerabilityIndex()
    var accepted = 0, skipped = 0, withdrawn = 0
    let start = DispatchTime.now()
    for path in paths {
        do {
            let summary = try OSVImporter().importPath(URL(fileURLWithPath: path)) { index.add($0) }
            accepted += summary.accepted
            skipped += summary.skippedTotal
            withdrawn += summary.withdrawn
        } catch {
            FileHandle.standardError.write(Data("vulnbench: \(error)\n".utf8))
            exit(2)
        }
    }
    let read = seconds(since: start)
    index.finish()
    print(String(format: "import: %d records accepted, %d skipped, %d withdrawn, %d package keys; read %.2f s, index %.2f s, total %.2f s",
                 accepted, skipped, withdrawn, index.keyCount, read, seconds(since: start) - read, seconds(since: start)))
    return index
}

let args = CommandLine.arguments
guard args.count >= 3 else {
    FileHandle.standardError.write(Data("usage: vulnbench import ZIP... | vulnbench match ZIP PURLS.txt\n".utf8))
    exit(2)
}
switch args[1] {
case "import":
    _ = load(args[2...])
case "compare":
    let versions = (0..<100_000).map { "\($0 % 7).\($0 % 13).\($0 % 5)rc\($0 % 3)" }
    let start = DispatchTime.now()
    var n = 0
    for i in 0..<(versions.count - 1) where VersionScheme.pypi.compare(versions[i], versions[i + 1]) == .orderedAscending { n += 1 }
    print(String(format: "compare: %d pypi compares, %.3f s", versions.count - 1, seconds(since: start)), n)
case "decode-only":
    var n = 0
    let start = DispatchTime.now()
    for path in args[2...] { n += (try? OSVImporter().importPath(URL(fileURLWithPath: path)) { _ in })?.accepted ?? 0 }
    print(String(format: "decode-only: %d records, %.2f s", n, seconds(since: start)))
case "match" where args.count == 4:
    let index = load(args[2...2])
    guard let text = try? String(contentsOfFile: args[3], encoding: .utf8) else { exit(2) }
    let components = text.split(separator: "\n").map { Component(name: String($0), purl: String($0)) }
    var walls: [Double] = [], cpus: [Double] = []
    var report = MatchReport()
    for _ in 0..<(Int(ProcessInfo.processInfo.environment["VULNBENCH_REPEAT"] ?? "") ?? 3) {
        let start = DispatchTime.now(), cpu = processCPU()
        report = index.match(components)
        walls.append(seconds(since: start))
        cpus.append(processCPU() - cpu)
    }
    let vulnerable = Set(report.matches.map(\.componentIndex)).count
    print(String(format: "match: %d components, %d matches on %d components, %d unmapped, %d GIT ranges not evaluated",
                 components.count, report.matches.count, vulnerable, report.unmapped.count, report.gitRangesNotEvaluated))
    print("match runs (wall s): " + walls.map { String(format: "%.3f", $0) }.joined(separator: " ")
          + "; process CPU s: " + cpus.map { String(format: "%.3f", $0) }.joined(separator: " "))
default:
    FileHandle.standardError.write(Data("vulnbench: unknown command \(args[1])\n".utf8))
    exit(2)
}
