import Foundation
import Hummingbird
import HummingbirdTLS
import NIOSSL
import HTTPTypes
import Intake
import Logging

/// `passbox serve`: the kiosk's web UI and API on one Hummingbird application.
public enum KioskServer {
    /// The router with every route and the security middleware (tests use it directly).
    public static func router(_ services: KioskServices) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: Guard(secure: services.config.usesTLS))
        WebRoutes(services: services).register(router)
        APIRoutes(services: services).register(router)
        return router
    }

    public static func application(_ services: KioskServices, logger: Logger? = nil) throws -> some ApplicationProtocol {
        let config = services.config
        var log = logger ?? Logger(label: "passbox.kiosk")
        if logger == nil { log.logLevel = .notice }
        let address = BindAddress.hostname(config.host, port: config.port)
        let configuration = ApplicationConfiguration(address: address, serverName: "passbox")
        if let cert = config.tlsCertificate, let key = config.tlsKey {
            let certificates: [NIOSSLCertificateSource] = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: certificates,
                                                               privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            return Application(router: router(services), server: try .tls(.http1(), tlsConfiguration: tls),
                               configuration: configuration, logger: log)
        }
        return Application(router: router(services), server: .http1(), configuration: configuration, logger: log)
    }

    /// Runs until SIGINT or SIGTERM, then finishes the requests in flight.
    public static func run(config: KioskConfig) async throws {
        let services = try KioskServices(config: config)
        // As the CLI does (limits.maxMemory, RLIMIT_DATA): libarchive allocates what a
        // header declares, so past the cap an allocation fails instead of the server
        // being killed; room for every verification running at once, and the server.
        let perScan = services.verify.policy.limits.maxMemory
        try Intake.capMemory(perScan * Int64(config.limits.concurrentVerifications) + (1 << 30))
        let app = try application(services)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}

/// Security headers on every response, and errors as short fixed pages: no stack,
/// no path, no internal message reaches the client.
struct Guard<Context: RequestContext>: RouterMiddleware {
    let secure: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let api = request.uri.path.hasPrefix("/api/")
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as PageError {
            response = api ? Self.apiError(error.status, error.message) : Web.html(HTML.error(Int(error.status.code), error.message), status: error.status)
        } catch let error as APIError {
            response = Self.apiError(error.status, error.message)
            if let retry = error.retryAfter { response.headers[.retryAfter] = String(retry) }
        } catch let error as HTTPResponseError {
            let status = error.status
            let message = status == .notFound ? "Not found." : status == .contentTooLarge ? "Too large." : "The request could not be served."
            response = api ? Self.apiError(status, message) : Web.html(HTML.error(Int(status.code), message), status: status)
        } catch {
            context.logger.error("request failed: \(String(describing: error).prefix(500))")
            response = api ? Self.apiError(.internalServerError, "internal error")
                           : Web.html(HTML.error(500, "Something went wrong. Ask security for help."), status: .internalServerError)
        }
        let report = request.uri.path.hasSuffix("report.html") || request.uri.queryParameters.get("format") == "html"
        // The stored HTML report carries its own inline style (never script).
        response.headers[.contentSecurityPolicy] = report
            ? "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            : "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.referrerPolicy] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        if secure { response.headers[.strictTransportSecurity] = "max-age=31536000" }
        return response
    }

    static func apiError(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Web.json(["error": ["status": Int(status.code), "message": message]], status: status)
    }
}

extension HTTPField.Name {
    static var xFrameOptions: Self { Self("X-Frame-Options")! }
    static var referrerPolicy: Self { Self("Referrer-Policy")! }
}
