import Foundation

/// RFC 3339 times, the one helper every module uses (reports, receipts, the audit log,
/// trust.yaml, `--at`, `--since`).
public enum RFC3339 {
    /// The two formatters, made once and used under a lock: making an ICU formatter for
    /// each time cost more than the rest of re-assessing 10,000 admitted deliveries
    /// (a second of ten, with a second try for fractional seconds).
    private final class Formatters: @unchecked Sendable {
        // @unchecked: the formatters are only used with `lock` held.
        let lock = NSLock()
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()

        init() {
            plain.formatOptions = [.withInternetDateTime]
            fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        }
    }

    private static let formatters = Formatters()

    /// `2026-12-07T17:09:02Z`, or with milliseconds (`2026-12-07T17:09:02.123Z`).
    public static func format(_ date: Date, fractional: Bool = false) -> String {
        formatters.lock.lock()
        defer { formatters.lock.unlock() }
        return (fractional ? formatters.fractional : formatters.plain).string(from: date)
    }

    /// Reads a time with or without fractional seconds; nil when it is not RFC 3339.
    public static func parse(_ text: String) -> Date? {
        formatters.lock.lock()
        defer { formatters.lock.unlock() }
        return formatters.plain.date(from: text) ?? formatters.fractional.date(from: text)
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
