import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Kiosk
#if canImport(Glibc)
import Glibc
#endif

/// Every sign-in, scan, admit and approval reaches the SIEM (syslog over UDP on
/// loopback) with the person or token that did it, as in the audit log.
@Suite struct SIEMTests {
    @Test func signInScanAdmitAndApprovalReachTheSIEMWithTheUser() async throws {
        let collector = try UDPCollector()
        let policy = NSTemporaryDirectory() + "kiosk-policy-" + UUID().uuidString + "-warn.yaml"
        try Data("version: 1\nmanifest:\n  unlisted: warn\n".utf8).write(to: URL(fileURLWithPath: policy))
        defer { try? FileManager.default.removeItem(atPath: policy) }
        let station = try TestStation(yamlExtra: "syslog: udp://127.0.0.1:\(collector.port)\napproval: {warnings: true}\npolicy: \(policy)\n",
                                      tampered: false)
        try Data("field engineer's notes\n".utf8).write(to: URL(fileURLWithPath: station.drop + "/delivery/notes.txt"))
        let services = try station.services()
        try await app(services).test(.router) { client in
            var mallory = Browser()
            _ = try await mallory.signIn(client, "alice", password: "wrong")
            var alice = Browser()
            try await alice.signIn(client, "alice")
            let csrf = try await alice.csrf(client)
            let started = try await alice.post(client, "/scan", form: ["csrf": csrf, "path": station.drop + "/delivery"])
            let id = try #require(scanID(fromLocation: started.headers[.location]))
            _ = try await waitDone(services, id)
            _ = try await alice.post(client, "/scan/\(id)/admit", form: ["csrf": csrf, "reason": "WO-5"])
            var bob = Browser()
            try await bob.signIn(client, "bob")
            let approved = try await bob.post(client, "/scan/\(id)/approve", form: ["csrf": try await bob.csrf(client)])
            #expect(approved.headers[.location] == "/scan/\(id)/receipt")
            _ = try await alice.post(client, "/signout", form: ["csrf": csrf])
        }
        let messages = collector.drain()
        func sent(_ command: String, _ user: String) -> Bool {
            messages.contains { $0.contains("command=\"\(command)\"") && $0.contains("user=\"\(user)\"") }
        }
        #expect(sent("signin-failed", "alice"), "\(messages)")
        #expect(sent("signin", "alice"))
        #expect(sent("signin", "bob"))
        #expect(sent("verify", "alice"))
        #expect(sent("approval-requested", "alice"))
        #expect(sent("approve", "bob"))
        #expect(sent("admit", "alice+bob"))
        #expect(sent("signout", "alice"))
    }
}

/// A UDP socket on 127.0.0.1 (an ephemeral port); the kernel queues the datagrams
/// until the test reads them.
final class UDPCollector {
    let fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TimeoutError() }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var size = Int32(1 << 20)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { close(fd); throw TimeoutError() }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        port = UInt16(bigEndian: addr.sin_port)
    }

    deinit { close(fd) }

    /// Every datagram waiting (each read waits at most 500 ms for the next).
    func drain() -> [String] {
        var out: [String] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while out.count < 1000 {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 500) > 0 else { break }
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { break }
            out.append(String(decoding: buffer.prefix(n), as: UTF8.self))
        }
        return out
    }
}
