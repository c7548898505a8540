import Foundation
import Hummingbird
import PassboxKit
import Station

/// Helpers the routes share: responses, forms, cookies, who is asking.
enum Web {
    static let sessionCookie = "passbox_session"
    static let preCookie = "passbox_pre"

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ data: Data, status: HTTPResponse.Status = .ok, type: String = "application/json") -> Response {
        Response(status: status, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return json(data, status: status)
    }

    static func text(_ string: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: string)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// An `application/x-www-form-urlencoded` body, at most 64 KiB.
    static func form(_ request: Request) async throws -> [String: String] {
        var request = request
        let buffer = try await request.collectBody(upTo: 64 << 10)
        return fields(String(buffer: buffer))
    }

    /// The query string as a form sends it (GET): `+` is a space, `%2B` a plus.
    static func query(_ request: Request) -> [String: String] {
        fields(String((request.uri.query ?? "").prefix(16 << 10)))
    }

    /// `application/x-www-form-urlencoded` fields (at most 64; of a name given twice, the last).
    static func fields(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&").prefix(64) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            guard let key = kv.first else { continue }
            out[decode(key)] = kv.count > 1 ? decode(kv[1]) : ""
        }
        return out
    }

    static func cookie(_ request: Request, _ name: String) -> String? {
        request.cookies[name]?.value
    }

    static func setCookie(_ response: inout Response, _ name: String, _ value: String, secure: Bool, maxAge: Int? = nil) {
        response.setCookie(Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .strict))
    }

    /// Constant-time text comparison (CSRF tokens).
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}

/// A failure shown to the person: a status and a short, fixed message; nothing internal.
struct PageError: Error {
    let status: HTTPResponse.Status
    let message: String
}
