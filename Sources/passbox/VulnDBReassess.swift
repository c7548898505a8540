import ArgumentParser
import Foundation

extension VulnDBCommand {
    /// The earlier name of `passbox inventory vulns` on the station's own inventory,
    /// kept for scripts (docs/vulnerabilities.md, "After the gate").
    struct Reassess: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Same as `passbox inventory vulns` on the station's inventory (STATE/inventory.sqlite).",
            discussion: "Exit status: 0 none at or above failOn, 1 some delivery is, 2 could not evaluate.")

        @Option(name: .long, help: "The station's state directory (inventory.sqlite, vex/).")
        var state: String?

        @Option(name: .long, help: "Ignored (earlier versions read the admitted folders under it; the inventory has their components).")
        var to: String?

        @Option(name: .long, help: "Policy YAML whose vulnerabilities: section applies (failOn, ignore, ...).")
        var policy: String?

        @Flag(name: .long, help: "List only vulnerabilities whose records came with the newest import.")
        var sinceImport = false

        @Option(name: .long, help: "Report format: text or json.")
        var format: ReportFormat = .text

        func run() throws {
            var options = try InventoryOptions.parse([])
            options.state = state
            options.format = format == .json ? .json : .text
            let totals = try InventoryVulnerabilities.reassess(options: options, policy: policy, sinceImport: sinceImport)
            if totals.failing { throw ExitCode(Exit.rejected) }
        }
    }
}
