import Foundation
@testable import InventoryStore
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension SharedPostgreSQL {
    /// The central server down, slow or refusing: each fails in bounded time with a
    /// message, and the station keeps its decisions to push later.
    @Suite(.serialized)
    struct PostgresFailureTests {
        @Test func aPortWithNoListenerFailsAtOnceAndTheStationKeepsItsDecisions() throws {
            let port = try freeLoopbackPort()
            let started = Date()
            #expect(throws: InventoryError.self) {
                try DeliveryInventory(StoreLocation("postgres://passbox:pw@127.0.0.1:\(port)/plant"), timeout: .seconds(5))
            }
            #expect(Date().timeIntervalSince(started) < 5)
            // The station recorded locally and still has the decision to push.
            let local = try TestStores.sqlite()
            defer { local.close() }
            try local.record(DecisionFixture(seq: 1).decision())
            #expect(try local.pendingPushCount() == 1)
        }

        @Test func aServerThatAcceptsAndNeverAnswersFailsAfterTheTimeout() throws {
            let listener = try SilentListener()
            defer { listener.close() }
            let started = Date()
            var message = ""
            do {
                _ = try DeliveryInventory(StoreLocation("postgres://passbox:pw@127.0.0.1:\(listener.port)/plant"), timeout: .seconds(1))
            } catch {
                message = "\(error)"
            }
            let elapsed = Date().timeIntervalSince(started)
            // Our deadline or postgres-nio's connect timeout (the same length) ends it.
            #expect(message.contains("no answer within") || message.contains("Connect timeout"), "\(message)")
            #expect(!message.contains(":pw@"))
            #expect(elapsed >= 0.9 && elapsed < 10, "\(elapsed) s")
        }

        @Test func aWrongPasswordIsRefusedWithTheServersMessage() throws {
            guard let url = TestStores.postgresURL else {
                print("NOTICE: PASSBOX_TEST_POSTGRES_URL is not set: wrong-password test SKIPPED (scripts/postgres-test.sh start)")
                return
            }
            guard var components = URLComponents(string: url) else { throw InventoryError("bad test URL") }
            components.password = "not-the-password"
            var message = ""
            do {
                _ = try DeliveryInventory(StoreLocation(components.string ?? ""), timeout: .seconds(5))
            } catch {
                message = "\(error)"
            }
            #expect(message.contains("password authentication failed") || message.contains("28P01"), "\(message)")
            #expect(!message.contains("not-the-password"))
        }

        @Test func urlsAreParsedAndPasswordsNeverShown() throws {
            let url = try PostgresURL("postgres://plant:s3cret@db.local:6543/inventory?sslmode=require")
            #expect(url.user == "plant")
            #expect(url.port == 6543)
            #expect(url.database == "inventory")
            #expect(!url.redacted.contains("s3cret"))
            #expect(try PostgresURL("postgres://u@h/d", environment: ["PGPASSWORD": "p"]).password == "p")
            #expect(throws: InventoryError.self) { try PostgresURL("postgres://u@h/d?options=-c") }
            #expect(throws: InventoryError.self) { try StoreLocation("mysql://x") }
            #expect(try StoreLocation("sqlite:/tmp/x.sqlite") == .sqlite(path: "/tmp/x.sqlite"))
        }
    }
}

/// A free TCP port on 127.0.0.1 (bound, then released).
func freeLoopbackPort() throws -> Int {
    let listener = try SilentListener()
    let port = listener.port
    listener.close()
    return port
}

/// A loopback TCP listener that accepts connections (the kernel completes the
/// handshake from its backlog) and never sends a byte: a server that hangs.
final class SilentListener: @unchecked Sendable {
    // @unchecked: fd is set once in init and closed once.
    private var fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw InventoryError("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            _ = Glibc.close(fd)
            throw InventoryError("bind/listen failed")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        self.fd = fd
    }

    /// The listening socket (for a test that accepts and answers).
    var descriptor: Int32 { fd }

    func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }
}
