import ComponentValues
import Foundation
import Logging
import WIT
import WRPCTransport

/// The HTTP/JSON gateway: libmicrohttpd in front, wRPC calls behind.
public final class Gateway: Sendable {
    public let config: GatewayConfig
    public let table: FunctionTable
    public let metrics = GatewayMetrics()
    let clients: [String: WRPCClient]
    /// `/openapi.json`, made once.
    public let openAPI: [UInt8]
    let logger: Logger
    let server: HTTPServer

    public init(resolve: Resolve, world: String? = nil, config: GatewayConfig,
                logger: Logger = Logger(label: "wrpc-gateway")) throws {
        self.config = config
        self.logger = logger
        table = try FunctionTable(resolve: resolve, world: world)
        var clients: [String: WRPCClient] = [:]
        for url in Set([config.target] + Array(config.routes.values)) {
            do {
                clients[url] = WRPCClient(transport: try Transports.client(for: url))
            } catch {
                throw GatewaySetupError("backend `\(url)`: \(error)")
            }
        }
        for instance in config.routes.keys where !table.hasInstance(instance) {
            throw GatewaySetupError("--route names `\(instance)`, which is not a callable instance; known: \(table.instances.joined(separator: ", "))")
        }
        self.clients = clients
        openAPI = OpenAPIDocument.generate(table: table, title: "wrpc-gateway: \(resolve.main.name)",
                                           urlStreams: !config.urlFetch.allowedPrefixes.isEmpty)
        let box = HandlerBox()
        server = HTTPServer(limits: config.http, bodyPolicy: { box.gateway!.streamsBody(method: $0, path: $1, headers: $2) },
                            handler: { await box.gateway!.handle($0) }, rejecter: { box.gateway!.reject($0, $1) })
        box.gateway = self
    }

    /// Binds the listen address and serves until `shutdown()`.
    public func start() throws {
        try server.start(host: config.host, port: config.port)
    }

    public var port: Int { server.port }

    /// HTTP requests being handled now.
    public var requestsInFlight: Int { server.requestsInFlight }

    /// Stops accepting and gives in-flight requests `config.shutdownGrace`.
    public func shutdown() async {
        await server.shutdown(grace: config.shutdownGrace)
    }

    // MARK: - Requests

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let started = ContinuousClock.now
        let (route, result) = await dispatch(request)
        switch result {
        case .success(let response):
            return finish(request, route: route, response: response, started: started)
        case .failure(let e):
            if let kind = e.upstreamKind { metrics.upstreamError(kind) }
            return finish(request, route: route, response: e.response, started: started)
        }
    }

    func reject(_ rejection: HTTPRejection, _ request: HTTPRequest) -> HTTPResponse {
        let e: GatewayError
        switch rejection {
        case .bodyTooLarge(let limit):
            e = GatewayError(413, "resource_exhausted", "the request body is larger than \(limit) bytes", details: [("limit", .number(limit))])
        case .tooManyHeaders(let limit):
            e = GatewayError(431, "resource_exhausted", "more than \(limit) request headers", details: [("limit", .number(limit))])
        }
        return finish(request, route: "rejected", response: e.response, started: .now)
    }

    /// Every answer's last step: the request id, the metrics, the log line.
    private func finish(_ request: HTTPRequest, route: String, response: HTTPResponse, started: ContinuousClock.Instant) -> HTTPResponse {
        let requestID = Self.requestID(request.header("x-request-id"))
        var response = response
        response.headers.append(("X-Request-Id", requestID))
        let elapsed = ContinuousClock.now - started
        metrics.request(route: route, status: response.status, duration: elapsed)
        logger.info("request", metadata: [
            "method": .string(request.method), "path": .string(request.path), "status": .stringConvertible(response.status),
            "duration_ms": .string(String(format: "%.3f", Double(elapsed.nanoseconds) / 1e6)), "request_id": .string(requestID),
        ])
        return response
    }

    /// A client's id when it is sane, else a new one.
    static func requestID(_ given: String?) -> String {
        if let given, (1...128).contains(given.utf8.count), given.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            return given
        }
        var rng = SystemRandomNumberGenerator()
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 32)
        for half in 0..<2 {
            var v = rng.next()
            for i in 0..<16 {
                out[half * 16 + i] = digits[Int(v & 0xF)]
                v >>= 4
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func dispatch(_ request: HTTPRequest) async -> (String, Result<HTTPResponse, GatewayError>) {
        let path = request.path
        if path.hasPrefix("/invoke/") {
            guard request.method == "POST" else { return ("invoke", .failure(.methodNotAllowed("POST"))) }
            return ("invoke", await invoke(request))
        }
        let route: String
        switch path {
        case "/healthz", "/readyz", "/metrics", "/functions", "/openapi.json": route = String(path.dropFirst())
        default:
            return ("unknown", .failure(.notFound("no route \(path); try POST /invoke/{instance}/{function} or GET /functions")))
        }
        guard request.method == "GET" || request.method == "HEAD" else { return (route, .failure(.methodNotAllowed("GET"))) }
        switch route {
        case "healthz": return (route, .success(Self.json(200, .object([("status", .string("ok"))]))))
        case "readyz": return (route, .success(await readiness()))
        case "openapi.json": return (route, .success(HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: openAPI)))
        case "metrics":
            return (route, .success(HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                                                 body: metrics.exposition())))
        default: return (route, .success(functionList()))
        }
    }

    static func json(_ status: Int, _ value: JSONValue) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: value.bytes + [0x0A])
    }

    private func functionList() -> HTTPResponse {
        Self.json(200, .array(table.functions.map { c in
            .object([
                ("instance", .string(c.instance)),
                ("name", .string(c.function.name)),
                ("alias", .string(c.alias)),
                ("path", .string("/invoke/\(c.instance)/\(c.alias)")),
                ("signature", .string(Signatures.signature(c.function))),
                ("target", .string(config.targetURL(for: c.instance))),
            ])
        }))
    }

    private func readiness() async -> HTTPResponse {
        let failures = await withTaskGroup(of: (String, String?).self) { group in
            for (url, client) in clients {
                group.addTask { (url, await client.transport.probe(timeout: .seconds(2))) }
            }
            var out: [(String, JSONValue)] = []
            for await (url, failure) in group {
                if let failure { out.append((url, .string(failure))) }
            }
            return out.sorted { $0.0 < $1.0 }
        }
        if failures.isEmpty { return Self.json(200, .object([("status", .string("ready"))])) }
        return GatewayError(503, "unavailable", "a backend does not accept connections", details: [("targets", .object(failures))]).response
    }

}

/// Lets the HTTP server's closures reach the gateway that owns it.
private final class HandlerBox: @unchecked Sendable {
    // Written once in `Gateway.init`, before the server can call in.
    var gateway: Gateway?
}
