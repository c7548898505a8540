import Foundation
@testable import InventoryStore
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension SharedPostgreSQL {
    /// TLS to the central PostgreSQL: the throwaway server of scripts/postgres-test.sh runs
    /// with ssl=on and a certificate from its own test CA (.build-pg/tls-ca.pem); a second
    /// CA (.build-pg/tls-wrong-ca.pem) signed nothing the server has.
    @Suite(.serialized)
    struct PostgresTLSTests {
        /// The repository's .build-pg directory (where scripts/postgres-test.sh writes).
        static let state = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build-pg").path

        /// The server's URL and the two CAs, or nil with a printed notice.
        static func server(_ test: String) -> (url: String, ca: String, wrongCA: String)? {
            guard let url = TestStores.postgresURL else {
                print("NOTICE: PASSBOX_TEST_POSTGRES_URL is not set: TLS test \(test) SKIPPED (scripts/postgres-test.sh start)")
                return nil
            }
            let ca = state + "/tls-ca.pem", wrong = state + "/tls-wrong-ca.pem"
            guard FileManager.default.fileExists(atPath: ca), FileManager.default.fileExists(atPath: wrong) else {
                print("NOTICE: no \(ca): TLS test \(test) SKIPPED (the server was not started by scripts/postgres-test.sh with TLS)")
                return nil
            }
            return (url, ca, wrong)
        }

        /// Whether this store's connection is encrypted, as the server sees it (pg_stat_ssl).
        static func encrypted(_ store: DeliveryInventory) throws -> (ssl: Bool, version: String?) {
            let row = try store.database.read { session in
                try session.query("SELECT CASE WHEN ssl THEN 1 ELSE 0 END, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()", [])
            }.first
            return (row?.first?.integer == 1, row?.dropFirst().first?.text)
        }

        /// A database of its own on the test server (the shared suite empties passbox_test
        /// while other suites run), dropped by `drop`.
        static func ownDatabase(_ url: String) throws -> (url: String, drop: () -> Void) {
            guard var components = URLComponents(string: url) else { throw InventoryError("bad test URL") }
            let name = "passbox_tls_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
            let admin = try PostgresDatabase(url: PostgresURL(url), timeout: .seconds(10))
            // The name is the test's own (letters and digits): CREATE DATABASE takes no parameter.
            try admin.read { try $0.execute("CREATE DATABASE \(name)", []) }
            components.path = "/" + name
            let own = components.string ?? url
            return (own, {
                _ = try? admin.read { try $0.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", []) }
                admin.close()
            })
        }

        @Test func sslmodeRequireConnectsOverTLSAndPushes() throws {
            guard let server = Self.server(#function) else { return }
            let database = try Self.ownDatabase(server.url)
            defer { database.drop() }
            let central = try DeliveryInventory(StoreLocation(database.url + "?sslmode=require&sslrootcert=" + server.ca), timeout: .seconds(10))
            defer { central.close() }
            let tls = try Self.encrypted(central)
            #expect(tls.ssl, "the connection is not encrypted")
            #expect(tls.version?.hasPrefix("TLS") == true, "\(tls.version ?? "no version")")
            // A push over it (the arrays of the children's rows included).
            let local = try TestStores.sqlite()
            defer { local.close() }
            try local.record(DecisionFixture(seq: 1, components: [("a", "1", "pkg:npm/a@1"), ("b", nil, nil)]).decision())
            #expect(try local.push(to: central).pushed == 1)
            #expect(try central.components(matching: "pkg:npm/a", DeliveryFilter()).count == 1)
        }

        @Test func withoutSslmodeTheConnectionIsPlain() throws {
            guard let server = Self.server(#function) else { return }
            let store = try DeliveryInventory(StoreLocation(server.url), timeout: .seconds(10))
            defer { store.close() }
            #expect(try Self.encrypted(store).ssl == false)
        }

        @Test func verifyFullWithTheServersCAConnects() throws {
            guard let server = Self.server(#function) else { return }
            let store = try DeliveryInventory(StoreLocation(server.url + "?sslmode=verify-full&sslrootcert=" + server.ca), timeout: .seconds(10))
            defer { store.close() }
            #expect(try Self.encrypted(store).ssl)
        }

        @Test func verifyFullWithAnotherCAIsRefusedWithAClearMessage() throws {
            guard let server = Self.server(#function) else { return }
            var message = ""
            do {
                _ = try DeliveryInventory(StoreLocation(server.url + "?sslmode=verify-full&sslrootcert=" + server.wrongCA), timeout: .seconds(10))
                Issue.record("connected although the server's certificate is not from the CA given")
            } catch {
                message = "\(error)"
            }
            #expect(message.contains("TLS certificate") && message.contains("not trusted"), "\(message)")
            #expect(message.contains("sslrootcert"), "\(message)")
            #expect(!message.contains(URLComponents(string: server.url)?.password ?? "no password in the URL"), "\(message)")
        }

        @Test func requireWithoutTheCAChecksTheSystemRootsAndRefusesASelfSignedServer() throws {
            guard let server = Self.server(#function) else { return }
            var message = ""
            do {
                _ = try DeliveryInventory(StoreLocation(server.url + "?sslmode=require"), timeout: .seconds(10))
                Issue.record("sslmode=require accepted a certificate no system root signed")
            } catch {
                message = "\(error)"
            }
            #expect(message.contains("not trusted"), "\(message)")
        }

        @Test func aServerThatDoesNotOfferTLSIsNamed() throws {
            // A listener that answers PostgreSQL's SSLRequest with 'N' (no TLS), as a
            // server with ssl=off does.
            let listener = try SilentListener()
            defer { listener.close() }
            let answered = Thread {
                let client = accept(listener.descriptor, nil, nil)
                guard client >= 0 else { return }
                var request = [UInt8](repeating: 0, count: 8)
                _ = read(client, &request, 8)
                _ = write(client, "N", 1)
                Thread.sleep(forTimeInterval: 2)
                _ = Glibc.close(client)
            }
            answered.start()
            var message = ""
            do {
                _ = try DeliveryInventory(StoreLocation("postgres://u:pw@127.0.0.1:\(listener.port)/d?sslmode=require"), timeout: .seconds(5))
                Issue.record("connected with sslmode=require to a server without TLS")
            } catch {
                message = "\(error)"
            }
            #expect(message.contains("does not offer TLS"), "\(message)")
        }

        @Test func aMissingRootCertificateFileIsNamed() throws {
            let url = try PostgresURL("postgres://u@127.0.0.1:1/d?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")
            #expect(throws: InventoryError.self) { try url.tls() }
            do {
                _ = try url.tls()
            } catch {
                #expect("\(error)".contains("/nonexistent/ca.pem"), "\(error)")
            }
        }
    }
}
