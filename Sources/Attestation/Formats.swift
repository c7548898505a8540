import Foundation

/// RFC 3339 times, the one helper every module uses (reports, receipts, the audit log,
/// trust.yaml, `--at`, `--since`).
public enum RFC3339 {
    /// `2026-12-07T17:09:02Z`, or with milliseconds (`2026-12-07T17:09:02.123Z`).
    public static func format(_ date: Date, fractional: Bool = false) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = fractional ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return f.string(from: date)
    }

    /// Reads a time with or without fractional seconds; nil when it is not RFC 3339.
    public static func parse(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text)
    }
}

/// `RFC3339.format` (seconds).
func rfc3339(_ date: Date) -> String { RFC3339.format(date) }

/// `RFC3339.parse`.
public func parseRFC3339(_ text: String) -> Date? { RFC3339.parse(text) }

/// The one JSON encoder factory: reports, receipts, manifests, listings and state
/// files are written with sorted keys and unescaped slashes; pretty-printed for
/// people unless `compact` (payloads that are signed).
public enum JSONOutput {
    public static func encoder(compact: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = compact ? [.sortedKeys, .withoutEscapingSlashes] : [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
