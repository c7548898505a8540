import CryptoIO
import Foundation

/// Who is asking: a signed-in person (session) or a pipeline (API token).
public struct Principal: Sendable, Equatable {
    public var name: String
    public var role: Role
    /// The session's CSRF token (nil for API tokens, which are not sent by browsers).
    public var csrf: String?
}

/// Sign-in, sessions, lockout and API tokens, in memory: a restart signs everyone out.
public final class Authenticator: @unchecked Sendable {
    public enum SignIn: Equatable, Sendable {
        case ok(sessionID: String, Principal)
        case wrong
        case locked
    }

    struct Session {
        var principal: Principal
        var expires: Date
    }

    private let lock = NSLock()
    private var sessions: [String: Session] = [:]
    private var failures: [String: (count: Int, lockedUntil: Date?)] = [:]
    private let users: [String: KioskUser]
    private let tokens: [APIToken]
    private let sessionLifetime: TimeInterval
    private let lockoutFailures: Int
    private let lockoutTime: TimeInterval
    /// Injected for tests (expiry, lockout).
    var now: @Sendable () -> Date = { Date() }
    /// A hash to check when the user does not exist, so the time does not tell.
    private let decoy: String

    public init(config: KioskConfig) {
        users = Dictionary(config.users.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        tokens = config.tokens
        sessionLifetime = TimeInterval(config.limits.sessionMinutes * 60)
        lockoutFailures = config.limits.lockoutFailures
        lockoutTime = TimeInterval(config.limits.lockoutMinutes * 60)
        decoy = config.users.first?.passwordHash ?? "pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    }

    public func signIn(name: String, password: String) -> SignIn {
        let t = now()
        lock.lock()
        if let until = failures[name]?.lockedUntil, until > t {
            lock.unlock()
            return .locked
        }
        lock.unlock()
        let user = users[name]
        let ok = PasswordHash.verify(password, stored: user?.passwordHash ?? decoy) && user != nil
        lock.lock()
        defer { lock.unlock() }
        guard ok, let user else {
            var entry = failures[name] ?? (0, nil)
            if let until = entry.lockedUntil, until <= t { entry = (0, nil) }
            entry.count += 1
            if entry.count >= lockoutFailures { entry.lockedUntil = t.addingTimeInterval(lockoutTime) }
            // Bounded: names that do not exist are not remembered without end.
            if failures.count < 10_000 || failures[name] != nil { failures[name] = entry }
            return entry.lockedUntil != nil ? .locked : .wrong
        }
        failures[name] = nil
        let id = Self.token()
        let principal = Principal(name: user.name, role: user.role, csrf: Self.token())
        sessions = sessions.filter { $0.value.expires > t }
        sessions[id] = Session(principal: principal, expires: t.addingTimeInterval(sessionLifetime))
        return .ok(sessionID: id, principal)
    }

    /// The session's principal; each use extends it (idle expiry).
    public func session(_ id: String?) -> Principal? {
        guard let id else { return nil }
        let t = now()
        lock.lock()
        defer { lock.unlock() }
        guard var s = sessions[id] else { return nil }
        guard s.expires > t else {
            sessions[id] = nil
            return nil
        }
        s.expires = t.addingTimeInterval(sessionLifetime)
        sessions[id] = s
        return s.principal
    }

    public func signOut(_ id: String?) {
        guard let id else { return }
        lock.lock()
        sessions[id] = nil
        lock.unlock()
    }

    /// An API token (`Authorization: Bearer TOKEN`), compared by its SHA-256.
    public func token(_ bearer: String) -> Principal? {
        let digest = Hex.encode(Hasher.digest(.sha256, Data(bearer.utf8)))
        for t in tokens where constantTimeEqual(t.sha256, digest) {
            return Principal(name: "token:" + t.name, role: t.role, csrf: nil)
        }
        return nil
    }

    /// 32 random bytes, URL-safe base64.
    static func token() -> String {
        let bytes = (try? randomBytes(32)) ?? Data((0..<32).map { _ in UInt8.random(in: 0...255) })
        return bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
