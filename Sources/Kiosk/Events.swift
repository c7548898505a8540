import Foundation
import Hummingbird
import PassboxKit

/// Progress as server-sent events: one `progress` event a few times a second, then
/// one `done` event when the verdict is known (or the run failed).
enum Events {
    static func snapshotJSON(_ scan: Scan) -> [String: Any] {
        let s = scan.progress.snapshot()
        var out: [String: Any] = [
            "id": scan.id, "state": scan.state.rawValue, "stage": s.stage.rawValue, "items": s.items, "bytesRead": s.bytesRead,
            "elapsed": (s.elapsed * 10).rounded() / 10, "throughput": s.throughput.rounded(), "current": s.current,
            "stageText": HTML.stageText(s.stage, scan.state), "bytesText": HTML.bytes(s.bytesRead),
            "speedText": HTML.bytes(Int64(s.throughput)) + "/s",
        ]
        if let total = s.totalBytes { out["totalBytes"] = total }
        if let archive = s.archive { out["archive"] = archive }
        if let eta = s.eta { out["eta"] = eta.rounded() }
        if let report = scan.report { out["verdict"] = report.verdict.rawValue }
        if let error = scan.error { out["error"] = error }
        return out
    }

    static func data(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func stream(_ scan: Scan) -> Response {
        let body = ResponseBody { writer in
            // At most an hour of events per connection; the browser reconnects.
            for _ in 0..<(3600 * 4) {
                let finished = scan.state == .done || scan.state == .failed
                let event = finished ? "done" : "progress"
                try await writer.write(ByteBuffer(string: "event: \(event)\ndata: \(data(snapshotJSON(scan)))\n\n"))
                if finished { break }
                try await Task.sleep(nanoseconds: 250_000_000)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }
}
