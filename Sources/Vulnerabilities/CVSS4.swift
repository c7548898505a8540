import Foundation

/// A CVSS v4.0 vector and its score, computed as the specification (section 8) and
/// FIRST's reference calculator define it: the vector's MacroVector (EQ1–EQ6) gives
/// the score of its highest-severity vector from the lookup table, then the score
/// is interpolated down by the vector's severity distance from the MacroVector's
/// highest vectors, averaged over the EQs that have a lower MacroVector.
struct CVSS4 {
    let metrics: [String: String]

    static let base = ["AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"]
    static let allowed: [String: Set<String>] = [
        "AV": ["N", "A", "L", "P"], "AC": ["L", "H"], "AT": ["N", "P"], "PR": ["N", "L", "H"],
        "UI": ["N", "P", "A"], "VC": ["H", "L", "N"], "VI": ["H", "L", "N"], "VA": ["H", "L", "N"],
        "SC": ["H", "L", "N"], "SI": ["H", "L", "N"], "SA": ["H", "L", "N"],
        // Threat.
        "E": ["X", "A", "P", "U"],
        // Environmental.
        "CR": ["X", "H", "M", "L"], "IR": ["X", "H", "M", "L"], "AR": ["X", "H", "M", "L"],
        "MAV": ["X", "N", "A", "L", "P"], "MAC": ["X", "L", "H"], "MAT": ["X", "N", "P"],
        "MPR": ["X", "N", "L", "H"], "MUI": ["X", "N", "P", "A"],
        "MVC": ["X", "H", "L", "N"], "MVI": ["X", "H", "L", "N"], "MVA": ["X", "H", "L", "N"],
        "MSC": ["X", "H", "L", "N"], "MSI": ["X", "S", "H", "L", "N"], "MSA": ["X", "S", "H", "L", "N"],
        // Supplemental (no effect on the score).
        "S": ["X", "N", "P"], "AU": ["X", "N", "Y"], "R": ["X", "A", "U", "I"], "V": ["X", "D", "C"],
        "RE": ["X", "L", "M", "H"], "U": ["X", "Clear", "Green", "Amber", "Red"],
    ]

    init(_ vector: String) throws(CVSSError) {
        metrics = try parseMetrics(vector, prefix: "CVSS:4.0/", allowed: Self.allowed, mandatory: Self.base)
    }

    /// The effective value of a metric: E, CR, IR, AR default to their worst case;
    /// a modified base metric (M…) other than X replaces the base value.
    func value(_ metric: String) -> String {
        let selected = metrics[metric] ?? "X"
        switch metric {
        case "E" where selected == "X": return "A"
        case "CR", "IR", "AR": return selected == "X" ? "H" : selected
        default: break
        }
        if let modified = metrics["M" + metric], modified != "X" { return modified }
        return selected
    }

    var macroVector: [Int] {
        let av = value("AV"), pr = value("PR"), ui = value("UI")
        let eq1: Int
        if av == "N" && pr == "N" && ui == "N" {
            eq1 = 0
        } else if (av == "N" || pr == "N" || ui == "N") && av != "P" {
            eq1 = 1
        } else {
            eq1 = 2
        }
        let eq2 = value("AC") == "L" && value("AT") == "N" ? 0 : 1
        let vc = value("VC"), vi = value("VI"), va = value("VA")
        let eq3: Int
        if vc == "H" && vi == "H" {
            eq3 = 0
        } else if vc == "H" || vi == "H" || va == "H" {
            eq3 = 1
        } else {
            eq3 = 2
        }
        let eq4: Int
        if value("MSI") == "S" || value("MSA") == "S" {
            eq4 = 0
        } else if value("SC") == "H" || value("SI") == "H" || value("SA") == "H" {
            eq4 = 1
        } else {
            eq4 = 2
        }
        let eq5: Int
        switch value("E") {
        case "A": eq5 = 0
        case "P": eq5 = 1
        default: eq5 = 2
        }
        let eq6 = (value("CR") == "H" && vc == "H") || (value("IR") == "H" && vi == "H") || (value("AR") == "H" && va == "H") ? 0 : 1
        return [eq1, eq2, eq3, eq4, eq5, eq6]
    }

    static func key(_ eqs: [Int]) -> Int { eqs.reduce(0) { $0 * 10 + $1 } }
    static func lookup(_ eqs: [Int]) -> Double? { macroVectorScores[key(eqs)] }

    var score: Double {
        if ["VC", "VI", "VA", "SC", "SI", "SA"].allSatisfy({ value($0) == "N" }) { return 0 }
        let mv = macroVector
        guard var result = Self.lookup(mv) else { return 0 }
        let (eq1, eq2, eq3, eq4, eq5, eq6) = (mv[0], mv[1], mv[2], mv[3], mv[4], mv[5])

        // Scores of the next lower MacroVector of each EQ (nil when there is none).
        let lowerEQ1 = Self.lookup([eq1 + 1, eq2, eq3, eq4, eq5, eq6])
        let lowerEQ2 = Self.lookup([eq1, eq2 + 1, eq3, eq4, eq5, eq6])
        let lowerEQ3EQ6: Double?
        switch (eq3, eq6) {
        case (1, 1), (0, 1): lowerEQ3EQ6 = Self.lookup([eq1, eq2, eq3 + 1, eq4, eq5, eq6])
        case (1, 0): lowerEQ3EQ6 = Self.lookup([eq1, eq2, eq3, eq4, eq5, eq6 + 1])
        case (0, 0):
            let left = Self.lookup([eq1, eq2, eq3, eq4, eq5, eq6 + 1])
            let right = Self.lookup([eq1, eq2, eq3 + 1, eq4, eq5, eq6])
            // The reference takes left only when it is greater than right.
            if let l = left, let r = right, l > r { lowerEQ3EQ6 = l } else { lowerEQ3EQ6 = right }
        default: lowerEQ3EQ6 = Self.lookup([eq1, eq2, eq3 + 1, eq4, eq5, eq6 + 1])
        }
        let lowerEQ4 = Self.lookup([eq1, eq2, eq3, eq4 + 1, eq5, eq6])
        let lowerEQ5 = Self.lookup([eq1, eq2, eq3, eq4, eq5 + 1, eq6])

        // The first highest-severity vector of the MacroVector that the vector does not exceed.
        var distances: [String: Double] = [:]
        for candidate in Self.maxVectors(mv) {
            var d: [String: Double] = [:]
            var ok = true
            for (metric, levels) in Self.levels {
                let own = levels[value(metric)] ?? 0
                let max = levels[candidate[metric] ?? ""] ?? 0
                d[metric] = own - max
                if own - max < 0 { ok = false }
            }
            distances = d
            if ok { break }
        }
        func dist(_ m: String) -> Double { distances[m] ?? 0 }
        let current1 = dist("AV") + dist("PR") + dist("UI")
        let current2 = dist("AC") + dist("AT")
        let current36 = dist("VC") + dist("VI") + dist("VA") + dist("CR") + dist("IR") + dist("AR")
        let current4 = dist("SC") + dist("SI") + dist("SA")

        let step = 0.1
        let depth1 = Double([1, 4, 5][eq1]) * step
        let depth2 = Double([1, 2][eq2]) * step
        let depth36 = Double(eq3 == 0 ? (eq6 == 0 ? 7 : 6) : eq3 == 1 ? 8 : 10) * step
        let depth4 = Double([6, 5, 4][eq4]) * step

        var existing = 0
        var total = 0.0
        if let lower = lowerEQ1 { existing += 1; total += (result - lower) * (current1 / depth1) }
        if let lower = lowerEQ2 { existing += 1; total += (result - lower) * (current2 / depth2) }
        if let lower = lowerEQ3EQ6 { existing += 1; total += (result - lower) * (current36 / depth36) }
        if let lower = lowerEQ4 { existing += 1; total += (result - lower) * (current4 / depth4) }
        if lowerEQ5 != nil { existing += 1 }  // EQ5's proportion is always 0.
        if existing > 0 { result -= total / Double(existing) }
        result = Swift.min(Swift.max(result, 0), 10)
        // Round half up to one decimal; the tiny epsilon keeps 4.45 computed as
        // 4.4499999999 from rounding down (as the reference implementations do).
        return ((result + 1e-6) * 10).rounded(.toNearestOrAwayFromZero) / 10
    }

    /// Severity levels of each metric value used for the distance (lower is more severe).
    static let levels: [(String, [String: Double])] = [
        ("AV", ["N": 0.0, "A": 0.1, "L": 0.2, "P": 0.3]),
        ("PR", ["N": 0.0, "L": 0.1, "H": 0.2]),
        ("UI", ["N": 0.0, "P": 0.1, "A": 0.2]),
        ("AC", ["L": 0.0, "H": 0.1]),
        ("AT", ["N": 0.0, "P": 0.1]),
        ("VC", ["H": 0.0, "L": 0.1, "N": 0.2]),
        ("VI", ["H": 0.0, "L": 0.1, "N": 0.2]),
        ("VA", ["H": 0.0, "L": 0.1, "N": 0.2]),
        ("SC", ["H": 0.1, "L": 0.2, "N": 0.3]),
        ("SI", ["S": 0.0, "H": 0.1, "L": 0.2, "N": 0.3]),
        ("SA", ["S": 0.0, "H": 0.1, "L": 0.2, "N": 0.3]),
        ("CR", ["H": 0.0, "M": 0.1, "L": 0.2]),
        ("IR", ["H": 0.0, "M": 0.1, "L": 0.2]),
        ("AR", ["H": 0.0, "M": 0.1, "L": 0.2]),
    ]

    /// The highest-severity vectors of each EQ level (specification table 24–29).
    static let maxEQ1 = [["AV:N/PR:N/UI:N"], ["AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"], ["AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"]]
    static let maxEQ2 = [["AC:L/AT:N"], ["AC:H/AT:N", "AC:L/AT:P"]]
    /// EQ3 level -> EQ6 level -> vectors.
    static let maxEQ3EQ6: [[Int: [String]]] = [
        [0: ["VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"], 1: ["VC:H/VI:H/VA:L/CR:M/IR:M/AR:H", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M"]],
        [0: ["VC:L/VI:H/VA:H/CR:H/IR:H/AR:H", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H"],
         1: ["VC:L/VI:H/VA:L/CR:H/IR:M/AR:H", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M", "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M",
             "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H", "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M"]],
        [1: ["VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"]],
    ]
    static let maxEQ4 = [["SC:H/SI:S/SA:S"], ["SC:H/SI:H/SA:H"], ["SC:L/SI:L/SA:L"]]

    /// Every combination of the EQs' highest vectors, in the reference's order.
    static func maxVectors(_ mv: [Int]) -> [[String: String]] {
        let eq36 = maxEQ3EQ6[mv[2]][mv[5]] ?? []
        var result: [[String: String]] = []
        for a in maxEQ1[mv[0]] {
            for b in maxEQ2[mv[1]] {
                for c in eq36 {
                    for d in maxEQ4[mv[3]] {
                        var values: [String: String] = [:]
                        for part in [a, b, c, d].joined(separator: "/").split(separator: "/") {
                            let kv = part.split(separator: ":")
                            if kv.count == 2 { values[String(kv[0])] = String(kv[1]) }
                        }
                        result.append(values)
                    }
                }
            }
        }
        return result
    }
}
