import Foundation

/// A CVSS v3.0 or v3.1 vector and its base score (specification sections 7.1, 7.4,
/// appendix A for Roundup).
struct CVSS3 {
    let minor: Int
    let metrics: [String: String]

    static let base = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"]
    static let allowed: [String: Set<String>] = [
        "AV": ["N", "A", "L", "P"], "AC": ["L", "H"], "PR": ["N", "L", "H"], "UI": ["N", "R"],
        "S": ["U", "C"], "C": ["H", "L", "N"], "I": ["H", "L", "N"], "A": ["H", "L", "N"],
        // Temporal.
        "E": ["X", "U", "P", "F", "H"], "RL": ["X", "O", "T", "W", "U"], "RC": ["X", "U", "R", "C"],
        // Environmental.
        "CR": ["X", "L", "M", "H"], "IR": ["X", "L", "M", "H"], "AR": ["X", "L", "M", "H"],
        "MAV": ["X", "N", "A", "L", "P"], "MAC": ["X", "L", "H"], "MPR": ["X", "N", "L", "H"],
        "MUI": ["X", "N", "R"], "MS": ["X", "U", "C"],
        "MC": ["X", "N", "L", "H"], "MI": ["X", "N", "L", "H"], "MA": ["X", "N", "L", "H"],
    ]

    init(_ vector: String) throws(CVSSError) {
        if vector.hasPrefix("CVSS:3.0/") {
            minor = 0
        } else if vector.hasPrefix("CVSS:3.1/") {
            minor = 1
        } else {
            throw CVSSError(vector, "not a CVSS v3 vector")
        }
        metrics = try parseMetrics(vector, prefix: "CVSS:3.\(minor)/", allowed: Self.allowed, mandatory: Self.base)
    }

    /// The base score. All metrics exist (checked at parse time); the `?? 0` never applies.
    var baseScore: Double {
        let changed = metrics["S"] == "C"
        let av: Double = ["N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2][metrics["AV"] ?? ""] ?? 0
        let ac: Double = ["L": 0.77, "H": 0.44][metrics["AC"] ?? ""] ?? 0
        let pr: Double = (changed ? ["N": 0.85, "L": 0.68, "H": 0.5] : ["N": 0.85, "L": 0.62, "H": 0.27])[metrics["PR"] ?? ""] ?? 0
        let ui: Double = ["N": 0.85, "R": 0.62][metrics["UI"] ?? ""] ?? 0
        func cia(_ key: String) -> Double { ["H": 0.56, "L": 0.22, "N": 0][metrics[key] ?? ""] ?? 0 }
        let iss = 1 - (1 - cia("C")) * (1 - cia("I")) * (1 - cia("A"))
        let impact = changed ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15) : 6.42 * iss
        let exploitability = 8.22 * av * ac * pr * ui
        guard impact > 0 else { return 0 }
        return Self.roundUp(min((changed ? 1.08 : 1) * (impact + exploitability), 10))
    }

    /// Roundup as CVSS v3.1 appendix A defines it: the smallest number with one
    /// decimal that is >= the input, computed on integers so that binary floating
    /// point does not push 4.0000000001 to 4.1. v3.0's text says `ceil(x * 10) / 10`;
    /// v3.1 changed only how it is computed, to give the result of exact decimal
    /// arithmetic, so the same function serves both.
    static func roundUp(_ value: Double) -> Double {
        let scaled = Int((value * 100_000).rounded())
        if scaled % 10_000 == 0 { return Double(scaled) / 100_000 }
        return Double(scaled / 10_000 + 1) / 10
    }
}
