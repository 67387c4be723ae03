import BackendPool
import ComponentValues
import EdgePolicy
import EventLoops
import Foundation
import Locking
import Logging
import WasiHTTP
import WIT
import WRPCTransport

/// The HTTP/JSON gateway: libmicrohttpd in front, wRPC calls behind.
public final class Gateway: Sendable {
    public let config: GatewayConfig
    public let table: FunctionTable
    public let metrics: GatewayMetrics
    /// Each distinct list of backend URLs as one pool, made at start-up.
    public let pools: [BackendPool]
    /// Each function's pool, by `CallableFunction.index`.
    let functionPools: [BackendPool]
    /// Signs and opens resource handle tokens.
    let resourceTokens: ResourceTokens
    /// Whether each function's parameters, and its result, may hold a
    /// handle, by `CallableFunction.index`: calls without any skip tokens.
    let takesHandles: [Bool]
    let returnsHandles: [Bool]
    /// Each instance's pool, for readiness.
    let instancePools: [String: BackendPool]
    /// The forwards, longest prefix first, with each one's pool and counters.
    let forwards: ForwardTable
    let forwardPools: [BackendPool]
    let forwardCounters: [ForwardCounters]
    /// `/openapi.json`, made once.
    public let openAPI: [UInt8]
    let logger: Logger
    let server: HTTPServer
    private let responder: ResponderBox
    /// Security headers, CORS, rate limits, authentication and policy, in front of the routes.
    let edge: MiddlewareChain
    /// The HTTPS credentials, when serving HTTPS.
    public let tls: TLSContext?
    /// On every answer, the gateway's own refusals included.
    let securityHeaders: [(String, String)]

    /// `resolve` may be nil when the gateway only forwards.
    public init(resolve: Resolve?, world: String? = nil, config: GatewayConfig, group: EventLoopGroup = .shared,
                logger: Logger = Logger(label: "wrpc-gateway")) throws {
        self.config = config
        self.logger = logger
        let metrics = GatewayMetrics()
        self.metrics = metrics
        guard resolve != nil || !config.forwards.isEmpty else {
            throw GatewaySetupError("nothing to serve: give a WIT (--wit) or a forward (--forward)")
        }
        let everything = try resolve.map { try FunctionTable(resolve: $0, world: world) } ?? .none
        if let implied = everything.impliedWorld {
            logger.info("serving the only world of a package without interfaces",
                        metadata: ["world": .string(implied), "functions": .stringConvertible(everything.functions.count)])
        }
        let table = try Self.exposed(everything, config.edge.exposure)
        self.table = table
        for instance in config.routes.keys where !everything.hasInstance(instance) {
            throw GatewaySetupError("--route names `\(instance)`, which is not a callable instance; known: \(everything.instances.joined(separator: ", "))")
        }
        // One pool per distinct list of URLs: instances routed alike share
        // their members' in-flight counts and ejections.
        var byURLs: [[String]: BackendPool] = [:]
        var pools: [BackendPool] = []
        func pool(_ urls: [String]) throws -> BackendPool {
            if let existing = byURLs[urls] { return existing }
            do {
                let made = try BackendPool(urls: urls, settings: config.pool, metrics: metrics.factory, logger: logger)
                byURLs[urls] = made
                pools.append(made)
                return made
            } catch {
                for p in pools { p.shutdown() }
                throw GatewaySetupError("backend `\(urls.joined(separator: ","))`: \(error)")
            }
        }
        var instancePools: [String: BackendPool] = [:]
        for instance in table.instances { instancePools[instance] = try pool(config.targetURLs(for: instance)) }
        if instancePools.isEmpty && !config.targets.isEmpty { _ = try pool(config.targets) }
        // Forwards under exposure and policy by the name `forward:PREFIX`.
        let forwards = try ForwardTable(config.forwards.filter { config.edge.exposure.serves([$0.name]) })
        for hidden in config.forwards where !config.edge.exposure.serves([hidden.name]) {
            logger.notice("forward hidden by --expose/--hide", metadata: ["forward": .string(hidden.name)])
        }
        self.forwards = forwards
        forwardPools = try forwards.routes.map { try pool($0.urls) }
        forwardCounters = forwards.routes.map { ForwardCounters(prefix: $0.prefix, factory: metrics.factory) }
        self.pools = pools
        self.instancePools = instancePools
        functionPools = table.functions.map { instancePools[$0.instance]! }
        resourceTokens = ResourceTokens(key: config.resourceKey ?? .random())
        takesHandles = table.functions.map { $0.function.params.contains { $0.type.containsHandle } }
        returnsHandles = table.functions.map { $0.function.result?.containsHandle ?? false }
        openAPI = OpenAPIDocument.generate(table: table, title: resolve.map { "wrpc-gateway: \($0.main.name)" } ?? "wrpc-gateway",
                                           urlStreams: !config.urlFetch.allowedPrefixes.isEmpty, security: OpenAPISecurity(config.edge))
        var edgeConfig = config.edge
        if config.console {
            edgeConfig.publicRoutes.paths.insert("/")
            edgeConfig.publicRoutes.prefixes.append("/console/")
        }
        securityHeaders = SecurityHeaders.all + (config.tls?.headers ?? [])
        edge = EdgeMiddleware.chain(edgeConfig, securityHeaders: securityHeaders, table: table, forwards: forwards, metrics: metrics)
        tls = try config.tls.map(TLSContext.init)
        let box = ResponderBox()
        server = HTTPServer(limits: config.http, group: group, responder: box, tls: tls)
        responder = box
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
        for pool in pools { pool.shutdown() }
        responder.gateway = nil
    }

    // MARK: - Requests

    func respond(to request: HTTPRequest, sink: any ResponseSink) async {
        let started = ContinuousClock.now
        let context = RequestContext(requestID: Self.requestID(request.header("x-request-id")))
        let recorder = RecordingSink(sink, context: context) { [self] record in
            self.record(request, context, record, started: started)
        }
        // Answers the edge gives itself (refusals, preflights) are counted
        // under this route; the routes name themselves.
        recorder.route("edge")
        await edge.run(request, context: context, sink: recorder) { request, _ in await dispatch(request, recorder) }
        recorder.responderReturned()
    }

    /// The table without what `--expose`/`--hide` take out.
    private static func exposed(_ table: FunctionTable, _ exposure: Exposure) throws -> FunctionTable {
        guard !exposure.isEverything else { return table }
        let kept = table.filtered { exposure.serves($0.names) }
        if kept.functions.isEmpty, !table.functions.isEmpty {
            throw GatewaySetupError("--expose and --hide leave no function callable")
        }
        return kept
    }

    func reject(_ rejection: HTTPRejection, _ request: HTTPRequest) -> HTTPResponse {
        let e: GatewayError
        switch rejection {
        case .bodyTooLarge(let limit):
            e = GatewayError(413, "resource_exhausted", "the request body is larger than \(limit) bytes", details: [("limit", .number(limit))])
        case .tooManyHeaders(let limit):
            e = GatewayError(431, "resource_exhausted", "more than \(limit) request headers", details: [("limit", .number(limit))])
        case .malformed(let why):
            e = GatewayError(400, "invalid_argument", "malformed request: \(why)")
        case .unsupportedTransferCoding(let coding):
            e = GatewayError(501, "unimplemented", "transfer coding `\(coding)` is not supported; send `chunked` or a Content-Length",
                             details: [("coding", .string(coding))])
        case .earlyResponseTooLarge(let limit):
            e = GatewayError(413, "resource_exhausted",
                             "the response began before the request body ended and outgrew the \(limit) bytes held until it does "
                                 + "(no response goes out before the whole request is in); send a smaller body",
                             details: [("limit", .number(limit))])
        case .tooManyConnections(let limit):
            e = GatewayError(503, "unavailable", "the server has its \(limit) connections open; try again shortly", details: [("limit", .number(limit))])
        case .tooManyConnectionsFromClient(let limit):
            e = GatewayError(429, "resource_exhausted", "more than \(limit) connections from this address", details: [("limit", .number(limit))])
        case .headerTimeout(let seconds):
            e = GatewayError(408, "deadline_exceeded", "the request head did not arrive within \(seconds) s", details: [("limit", .number(seconds))])
        case .bodyTooSlow(let rate):
            e = GatewayError(408, "deadline_exceeded", "the request body came slower than \(rate) bytes a second", details: [("limit", .number(rate))])
        case .shuttingDown:
            e = GatewayError(503, "unavailable", "the server is shutting down; the call was cancelled at the end of its grace period")
        }
        let context = RequestContext(requestID: Self.requestID(request.header("x-request-id")))
        var response = e.response
        response.headers += securityHeaders + [("X-Request-Id", context.requestID)]
        record(request, context, RecordingSink.Record(route: "rejected", status: response.status,
                                                        bytes: Int64(response.body.count), outcome: .complete), started: .now)
        return response
    }

    /// Every answer's last step, once its body has ended: the metrics and the log line.
    private func record(_ request: HTTPRequest, _ context: RequestContext, _ record: RecordingSink.Record,
                        started: ContinuousClock.Instant) {
        let route = record.route
        let elapsed = ContinuousClock.now - started
        let status = record.status ?? 499
        metrics.request(route: route, status: status, duration: elapsed)
        switch record.outcome {
        case .complete: break
        case .open, .clientGone: metrics.incomplete(route: route, reason: "client_gone")
        case .cut: metrics.incomplete(route: route, reason: "cut")
        }
        guard logger.logLevel <= .info else { return }
        var metadata: Logger.Metadata = [
            "method": .string(request.method), "path": .string(request.path), "status": .stringConvertible(status),
            "duration_ms": .string(String(format: "%.3f", Double(elapsed.nanoseconds) / 1e6)), "request_id": .string(context.requestID),
            "bytes": .stringConvertible(record.bytes),
        ]
        if let identity = context.identity { metadata["identity"] = .string(identity.description) }
        switch record.outcome {
        case .complete:
            break
        case .open, .clientGone:
            metadata["outcome"] = "client_gone"
        case .cut(let reason):
            metadata["outcome"] = "cut"
            metadata["error"] = .string(reason)
        }
        logger.info("request", metadata: metadata)
    }

    /// A client's id when it is sane, else a new one.
    static func requestID(_ given: String?) -> String {
        if let given, (1...128).contains(given.utf8.count), given.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            return given
        }
        return RequestIDs.next()
    }

    /// Answers `request` through `sink`, naming its route for the metrics.
    private func dispatch(_ request: HTTPRequest, _ sink: RecordingSink) async {
        let path = request.path
        if path.hasPrefix("/invoke/") {
            sink.route("invoke")
            guard request.method == "POST" else {
                request.bodyStream?.discard()
                return await answer(sink, .failure(.methodNotAllowed("POST")))
            }
            return await invoke(request, sink)
        }
        if let match = forwards.match(path: path, target: request.target) {
            sink.route(match.route.name)
            return await forward(request, match, sink)
        }
        if config.console && (path == "/" || path.hasPrefix("/console/")) {
            sink.route("console")
            guard request.method == "GET" || request.method == "HEAD" else {
                return await answer(sink, .failure(.methodNotAllowed("GET")))
            }
            return await answer(sink, Self.console(path))
        }
        let route: String
        switch path {
        case "/healthz", "/readyz", "/metrics", "/functions", "/openapi.json": route = String(path.dropFirst())
        default:
            return await answer(sink, .failure(.notFound("no route \(path); try POST /invoke/{instance}/{function} or GET /functions")))
        }
        sink.route(route)
        guard request.method == "GET" || request.method == "HEAD" else {
            return await answer(sink, .failure(.methodNotAllowed("GET")))
        }
        switch route {
        case "healthz": await answer(sink, .success(Self.json(200, .object([("status", .string("ok"))]))))
        case "readyz": await answer(sink, .success(await readiness(details: await readinessDetails(for: request))))
        case "openapi.json": await answer(sink, .success(HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: openAPI)))
        case "metrics":
            await answer(sink, .success(HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                                                     body: metrics.exposition())))
        default: await answer(sink, .success(functionList()))
        }
    }

    /// A whole answer, or the error body; a client that left gets nothing.
    func answer(_ sink: any ResponseSink, _ result: Result<HTTPResponse, GatewayError>) async {
        switch result {
        case .success(let response):
            try? await sink.respond(response)
        case .failure(let e):
            if let kind = e.upstreamKind { metrics.upstreamError(kind) }
            try? await sink.respond(e.response)
        }
    }

    static func json(_ status: Int, _ value: JSONValue) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: value.bytes + [0x0A])
    }

    /// The functions, then the forwards (each with `forward`: its prefix).
    private func functionList() -> HTTPResponse {
        let forwarded: [JSONValue] = forwards.routes.indices.map { i in
            let pool = forwardPools[i]
            return .object([
                ("forward", .string(forwards.routes[i].prefix)),
                ("instance", .string(WrpcHTTPWIT.incomingInstance)),
                ("name", .string("handle")),
                ("path", .string(forwards.routes[i].prefix)),
                ("target", .string(pool.target)),
                ("backends", .array(pool.status.map(Self.backendJSON))),
            ])
        }
        return Self.json(200, .array(table.functions.map { c in
            var members: [(String, JSONValue)] = [
                ("instance", .string(c.instance)),
                ("name", .string(c.function.name)),
                ("alias", .string(c.alias)),
                ("path", .string("/invoke/\(c.instance)/\(c.alias)")),
                ("signature", .string(Signatures.signature(c.function))),
                ("target", .string(functionPools[c.index].target)),
                ("backends", .array(functionPools[c.index].status.map(Self.backendJSON))),
            ]
            if let docs = c.function.docs { members.append(("docs", .string(docs))) }
            return .object(members)
        } + forwarded))
    }

    static func backendJSON(_ b: BackendStatus) -> JSONValue {
        var members: [(String, JSONValue)] = [("target", .string(b.target)), ("url", .string(b.url)),
                                              ("state", .string(b.state.rawValue)), ("in_flight", .number(b.inFlight))]
        if let reason = b.reason { members.append(("reason", .string(reason))) }
        return .object(members)
    }

    /// Whether `/readyz` names backends: with `--readyz-details`, or to a
    /// caller with credentials the gateway accepts (the route itself is
    /// public, for orchestrators, and backend addresses are not).
    private func readinessDetails(for request: HTTPRequest) async -> Bool {
        if config.readyzDetails { return true }
        guard let authenticator = config.edge.authenticator else { return false }
        if case .success = await authenticator.authenticate(header: request.header) { return true }
        return false
    }

    /// Ready while every instance has a healthy backend. Each check probes
    /// the members thought healthy (ejecting those that refuse); ejected ones
    /// are left to their background probes. With `details`, unhealthy
    /// members are listed either way.
    private func readiness(details: Bool) async -> HTTPResponse {
        await withTaskGroup(of: Void.self) { group in
            for pool in pools { group.addTask { await pool.check() } }
        }
        var unhealthy: [String: String] = [:]
        for pool in pools {
            for member in pool.status where member.state == .ejected { unhealthy[member.target] = member.reason ?? "ejected" }
        }
        let targets = JSONValue.object(unhealthy.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
        let down = instancePools.filter { !$0.value.isHealthy }.keys.sorted()
            + forwards.routes.indices.filter { !forwardPools[$0].isHealthy }.map { forwards.routes[$0].name }
        if down.isEmpty {
            return Self.json(200, .object([("status", .string("ready"))] + (details ? [("unhealthy", targets)] : [])))
        }
        return GatewayError(503, "unavailable", "no healthy backend for \(down.joined(separator: ", "))",
                            details: (details ? [("targets", targets)] : []) + [("instances", .array(down.map { .string($0) }))]).response
    }

}

/// The gateway as the HTTP server's responder. A box, because the server
/// is made in the gateway's initialiser, before `self` is complete. It
/// holds the gateway (a running server keeps its gateway alive) until
/// `Gateway.shutdown()` lets go, which breaks the cycle gateway → server →
/// box → gateway; after that it answers as a server that is shutting down.
private final class ResponderBox: HTTPResponder, Sendable {
    private let held = Locked<Gateway?>(nil)

    var gateway: Gateway? {
        get { held.withLock { $0 } }
        set { held.withLock { $0 = newValue } }
    }

    func respond(to request: HTTPRequest, sink: any ResponseSink) async {
        guard let gateway else {
            try? await sink.respond(Self.closed.response)
            return
        }
        await gateway.respond(to: request, sink: sink)
    }

    func streamsBody(method: String, path: String, headers: [(String, String)]) -> Bool {
        gateway?.streamsBody(method: method, path: path, headers: headers) ?? false
    }

    func reject(_ rejection: HTTPRejection, _ request: HTTPRequest) -> HTTPResponse {
        gateway?.reject(rejection, request) ?? Self.closed.response
    }

    func forwardsRaw(method: String, path: String, target: String) -> Bool {
        gateway?.forwardsRaw(method: method, path: path, target: target) ?? false
    }

    private static var closed: GatewayError { GatewayError(503, "unavailable", "the server is shutting down") }
}
