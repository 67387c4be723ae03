import ArgumentParser
import BackendPool
import EventLoops
import Foundation
import Gateway
import Logging
import WIT

/// Options shared by `serve` and `demo`.
struct ServerOptions: ParsableArguments {
    @Option(help: "Listen address HOST:PORT (env WRPC_GATEWAY_LISTEN). [default: 127.0.0.1:8080]")
    var listen: String?

    @Option(help: "Largest request body in bytes (env WRPC_GATEWAY_MAX_BODY_BYTES). [default: 16777216]")
    var maxBodyBytes: Int?

    @Option(help: "Largest JSON response in bytes (env WRPC_GATEWAY_MAX_RESPONSE_BYTES). [default: 67108864]")
    var maxResponseBytes: Int?

    @Option(help: "Largest request line plus headers in bytes (env WRPC_GATEWAY_MAX_HEADER_BYTES). [default: 32768]")
    var maxHeaderBytes: Int?

    @Option(help: "Most request headers (env WRPC_GATEWAY_MAX_HEADERS). [default: 100]")
    var maxHeaders: Int?

    @Option(help: "Most concurrent client connections (env WRPC_GATEWAY_MAX_CONNECTIONS). [default: 1024]")
    var maxConnections: Int?

    @Option(help: "Seconds an idle client connection is kept (env WRPC_GATEWAY_IDLE_TIMEOUT). [default: 30]")
    var idleTimeout: Int?

    @Option(help: "Seconds the whole request head may take from the connection opening, however steadily it trickles; then 408 and closed (a kept-alive connection's next head: this plus --idle-timeout, then closed) (env WRPC_GATEWAY_HEADER_TIMEOUT). [default: 30; 0: none]")
    var headerTimeout: Int?

    @Option(help: "Bytes a second a request body must at least move, over each 10 s window while it is read; slower gets 408 and closed (env WRPC_GATEWAY_MIN_BODY_RATE). [default: 256; 0: none]")
    var minBodyRate: Int?

    @Option(help: "Concurrent connections from one client address; more get 429 (env WRPC_GATEWAY_MAX_CONNECTIONS_PER_CLIENT). [default: 0: no cap]")
    var maxConnectionsPerClient: Int?

    @Option(help: "Bytes of a response held while its request body is still coming (a full-duplex call such as a stream echoed back); past it the call fails with 413 (env WRPC_GATEWAY_MAX_EARLY_RESPONSE_BYTES). [default: 4194304]")
    var maxEarlyResponseBytes: Int?

    @Option(help: "Call deadline in ms without Wrpc-Timeout-Ms (env WRPC_GATEWAY_TIMEOUT_MS). [default: 30000]")
    var timeoutMs: Int?

    @Option(help: "Largest Wrpc-Timeout-Ms honoured (env WRPC_GATEWAY_MAX_TIMEOUT_MS). [default: 300000]")
    var maxTimeoutMs: Int?

    @Option(help: "Seconds in-flight requests get on shutdown (env WRPC_GATEWAY_SHUTDOWN_GRACE). [default: 10]")
    var shutdownGrace: Int?

    @Option(help: "Event loops: threads that each run HTTP and backend connections to completion (env WRPC_GATEWAY_THREADS). [default: the number of CPUs]")
    var threads: Int?

    @Option(help: "Microseconds an idle event loop polls before it sleeps (env WRPC_GATEWAY_LOOP_SPIN_US). [default: 50]")
    var loopSpinUs: Int?

    @Option(help: "Once stream bytes flow, seconds a call may go without any before it fails (env WRPC_GATEWAY_STREAM_IDLE_TIMEOUT). [default: 30]")
    var streamIdleTimeout: Int?

    @Option(name: .customLong("allow-url-prefix"), help: "Let stream<u8> parameters be fed from URLs whose normalised form (dot segments resolved) starts with this; repeatable (env WRPC_GATEWAY_ALLOW_URL_PREFIXES, comma-separated). [default: none: off]")
    var allowURLPrefixes: [String] = []

    @Option(help: "Connect timeout of such fetches in ms (env WRPC_GATEWAY_FETCH_CONNECT_TIMEOUT_MS). [default: 5000]")
    var fetchConnectTimeoutMs: Int?

    @Option(help: "Total timeout of such fetches in ms (env WRPC_GATEWAY_FETCH_TIMEOUT_MS). [default: 300000]")
    var fetchTimeoutMs: Int?

    @Option(help: "Largest body such a fetch may bring, in bytes (env WRPC_GATEWAY_FETCH_MAX_BYTES). [default: 1073741824]")
    var fetchMaxBytes: Int64?

    @Option(help: "Most redirects such a fetch follows (env WRPC_GATEWAY_FETCH_MAX_REDIRECTS). [default: 5]")
    var fetchMaxRedirects: Int?

    @Flag(name: .customLong("no-console"), help: "Do not serve the browser console at / (env WRPC_GATEWAY_NO_CONSOLE=1).")
    var noConsole = false

    @Option(help: "How a pool of several backends picks one: p2c (power of two choices on calls in flight) or round-robin (env WRPC_GATEWAY_BALANCE). [default: p2c]")
    var balance: String?

    @Option(help: "A backend whose connection fails is left out this many ms, doubled on each failure in a row (env WRPC_GATEWAY_EJECT_BASE_MS). [default: 500]")
    var ejectBaseMs: Int?

    @Option(help: "The longest a backend is left out before it is probed again, in ms (env WRPC_GATEWAY_EJECT_MAX_MS). [default: 30000]")
    var ejectMaxMs: Int?

    @Option(help: "Seconds between lookups of a hostname in a backend URL; every address is a backend (env WRPC_GATEWAY_DNS_REFRESH_S). [default: 5]")
    var dnsRefreshS: Int?

    @Option(help: "The longest a backend connection may take to open, in ms; then the call goes to another backend (env WRPC_GATEWAY_CONNECT_TIMEOUT_MS). [default: 2000]")
    var connectTimeoutMs: Int?

    @Option(help: "Failed calls in a row (the gateway's deadline, the backend closing mid-call) before a backend may be judged hung (env WRPC_GATEWAY_EJECT_AFTER_FAILURES). [default: 5]")
    var ejectAfterFailures: Int?

    @Option(help: "…and only once nothing it was asked completed for this many ms (env WRPC_GATEWAY_HUNG_AFTER_MS). [default: 3000]")
    var hungAfterMs: Int?

    @Option(help: "Most of a pool's backends out for failed calls at once, in percent; one may always be (env WRPC_GATEWAY_MAX_EJECTION_PERCENT). [default: 50]")
    var maxEjectionPercent: Int?

    @Option(help: "Below this percentage of healthy backends a pool also calls those out for failed calls (env WRPC_GATEWAY_PANIC_THRESHOLD_PERCENT). [default: 50]")
    var panicThresholdPercent: Int?

    @Option(help: "A file holding the secret (at least 32 bytes) that signs resource handle tokens; replicas behind one address need the same (env WRPC_GATEWAY_RESOURCE_KEY_FILE). [default: a random key per process: tokens do not survive a restart or work on another replica]")
    var resourceKeyFile: String?

    @Option(help: "Log format: text or json (env WRPC_GATEWAY_LOG_FORMAT). [default: text]")
    var logFormat: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error (env WRPC_GATEWAY_LOG_LEVEL). [default: info]")
    var logLevel: String?

    @OptionGroup var security: SecurityOptions

    func apply(to config: inout GatewayConfig) async throws {
        let (host, port) = try parseListen(try Environment.pick(listen, "listen", default: "127.0.0.1:8080") { $0 })
        config.host = host
        config.port = port
        config.http.maxBodyBytes = try Environment.pick(maxBodyBytes, "max-body-bytes", default: config.http.maxBodyBytes, parse: Int.init)
        config.maxResponseBytes = try Environment.pick(maxResponseBytes, "max-response-bytes", default: config.maxResponseBytes, parse: Int.init)
        config.http.maxHeaderBytes = try Environment.pick(maxHeaderBytes, "max-header-bytes", default: config.http.maxHeaderBytes, parse: Int.init)
        config.http.maxHeaderCount = try Environment.pick(maxHeaders, "max-headers", default: config.http.maxHeaderCount, parse: Int.init)
        config.http.maxConnections = try Environment.pick(maxConnections, "max-connections", default: config.http.maxConnections, parse: Int.init)
        config.http.idleTimeoutSeconds = try Environment.pick(idleTimeout, "idle-timeout", default: config.http.idleTimeoutSeconds, parse: Int.init)
        config.http.headerTimeoutSeconds = try Environment.pick(headerTimeout, "header-timeout", default: config.http.headerTimeoutSeconds, parse: Int.init)
        config.http.minBodyRate = try Environment.pick(minBodyRate, "min-body-rate", default: config.http.minBodyRate, parse: Int.init)
        config.http.maxConnectionsPerClient = try Environment.pick(maxConnectionsPerClient, "max-connections-per-client",
                                                                   default: config.http.maxConnectionsPerClient, parse: Int.init)
        config.http.maxEarlyResponseBytes = try Environment.pick(maxEarlyResponseBytes, "max-early-response-bytes",
                                                                 default: config.http.maxEarlyResponseBytes, parse: Int.init)
        let spin = try Environment.pick(loopSpinUs, "loop-spin-us", default: 50, parse: Int.init)
        guard spin >= 0 else { throw CLIError("--loop-spin-us must not be negative") }
        try configureEventLoops(threads: threads, spin: .microseconds(spin))
        config.streamIdleTimeout = .seconds(try Environment.pick(streamIdleTimeout, "stream-idle-timeout", default: 30, parse: Int.init))
        config.defaultTimeout = .milliseconds(try Environment.pick(timeoutMs, "timeout-ms", default: 30_000, parse: Int.init))
        config.maxTimeout = .milliseconds(try Environment.pick(maxTimeoutMs, "max-timeout-ms", default: 300_000, parse: Int.init))
        config.shutdownGrace = .seconds(try Environment.pick(shutdownGrace, "shutdown-grace", default: 10, parse: Int.init))
        config.urlFetch.allowedPrefixes = Environment.list(allowURLPrefixes, "allow-url-prefixes")
        config.urlFetch.limits.connectTimeout = .milliseconds(try Environment.pick(fetchConnectTimeoutMs, "fetch-connect-timeout-ms", default: 5000, parse: Int.init))
        config.urlFetch.limits.totalTimeout = .milliseconds(try Environment.pick(fetchTimeoutMs, "fetch-timeout-ms", default: 300_000, parse: Int.init))
        config.urlFetch.limits.maxBytes = try Environment.pick(fetchMaxBytes, "fetch-max-bytes", default: 1 << 30, parse: Int64.init)
        config.urlFetch.maxRedirects = try Environment.pick(fetchMaxRedirects, "fetch-max-redirects", default: 5, parse: Int.init)
        config.console = !(noConsole || Environment.value("no-console") == "1")
        try await security.apply(to: &config)
        config.pool.balance = try Environment.pick(balance.map { try Self.balance($0) }, "balance", default: .powerOfTwoChoices) { Balance(rawValue: $0) }
        let ejectBase = try Environment.pick(ejectBaseMs, "eject-base-ms", default: 500, parse: Int.init)
        let ejectMax = try Environment.pick(ejectMaxMs, "eject-max-ms", default: 30_000, parse: Int.init)
        guard ejectBase > 0, ejectMax >= ejectBase else { throw CLIError("--eject-base-ms must be positive and at most --eject-max-ms") }
        config.pool.ejectBase = .milliseconds(ejectBase)
        config.pool.ejectMax = .milliseconds(ejectMax)
        let refresh = try Environment.pick(dnsRefreshS, "dns-refresh-s", default: 5, parse: Int.init)
        guard refresh > 0 else { throw CLIError("--dns-refresh-s must be positive") }
        config.pool.dnsRefresh = .seconds(refresh)
        let connect = try Environment.pick(connectTimeoutMs, "connect-timeout-ms", default: 2000, parse: Int.init)
        guard connect > 0 else { throw CLIError("--connect-timeout-ms must be positive") }
        config.pool.connectTimeout = .milliseconds(connect)
        config.pool.ejectAfterFailures = try Environment.pick(ejectAfterFailures, "eject-after-failures", default: 5, parse: Int.init)
        guard config.pool.ejectAfterFailures > 0 else { throw CLIError("--eject-after-failures must be positive") }
        let hungAfter = try Environment.pick(hungAfterMs, "hung-after-ms", default: 3000, parse: Int.init)
        guard hungAfter >= 0 else { throw CLIError("--hung-after-ms must not be negative") }
        config.pool.hungAfter = .milliseconds(hungAfter)
        config.pool.maxEjectionPercent = try Environment.pick(maxEjectionPercent, "max-ejection-percent", default: 50, parse: Int.init)
        config.pool.panicThresholdPercent = try Environment.pick(panicThresholdPercent, "panic-threshold-percent", default: 50, parse: Int.init)
        guard (0...100).contains(config.pool.maxEjectionPercent), (0...100).contains(config.pool.panicThresholdPercent) else {
            throw CLIError("--max-ejection-percent and --panic-threshold-percent must be between 0 and 100")
        }
        config.resourceKey = try (resourceKeyFile ?? Environment.value("resource-key-file")).map { path in
            do {
                return try ResourceKey(secret: try SecurityOptions.read(path, "--resource-key-file"))
            } catch let error as GatewaySetupError {
                throw CLIError("--resource-key-file \(path): \(error)")
            }
        }
    }

    static func balance(_ text: String) throws -> Balance {
        guard let b = Balance(rawValue: text) else {
            throw CLIError("--balance \(text): expected \(Balance.allCases.map(\.rawValue).joined(separator: " or "))")
        }
        return b
    }

    func bootstrapLogging() throws {
        try startLogging(format: logFormat, level: logLevel)
    }
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the WIT's functions over HTTP, calling a wRPC backend."
    )

    @Option(help: "A .wit file or a WIT package directory (env WRPC_GATEWAY_WIT).")
    var wit: String?

    @Option(help: "Serve the interfaces this world imports and exports (env WRPC_GATEWAY_WORLD). [default: every interface of the main package]")
    var world: String?

    @Option(name: .customLong("target"), help: "The default wRPC backend: tcp://HOST:PORT or unix:///PATH; several (repeat it, or comma-separate) make a balanced pool, and a hostname is looked up again and again (env WRPC_GATEWAY_TARGET, comma-separated).")
    var targets: [String] = []

    @Option(name: .customLong("route"), help: "INSTANCE=URL[,URL…]: send one instance to other backends; repeatable (env WRPC_GATEWAY_ROUTES, comma-separated).")
    var routes: [String] = []

    @Option(name: .customLong("forward"), help: "PREFIX=URL[,URL…]: pass HTTP requests under PREFIX, any method, as they are to the wrpc:http/incoming-handler at those backends; repeatable (env WRPC_GATEWAY_FORWARDS, comma-separated).")
    var forwards: [String] = []

    @Option(name: .customLong("feature"), help: "Enable @unstable items of this feature; repeatable (env WRPC_GATEWAY_FEATURES, comma-separated).")
    var features: [String] = []

    @Option(help: "Also serve wrpc:http/outgoing-handler (egress) here: tcp://HOST:PORT or unix:///PATH (env WRPC_GATEWAY_EGRESS_LISTEN).")
    var egressListen: String?

    @OptionGroup var egress: EgressOptions

    @OptionGroup var server: ServerOptions

    func run() async throws {
        try server.bootstrapLogging()
        let forwardRoutes = try RouteSpecs.parse(Environment.list(forwards, "forwards"), flag: "--forward", key: "PREFIX")
            .map { ForwardRoute(prefix: $0.key, urls: $0.value) }
        let witPath = wit ?? Environment.value("wit")
        guard witPath != nil || !forwardRoutes.isEmpty else {
            throw ValidationError("--wit (or WRPC_GATEWAY_WIT) is required, unless the gateway only forwards (--forward)")
        }
        let targetURLs = Environment.urls(targets, "target")
        guard !targetURLs.isEmpty || witPath == nil else { throw ValidationError("--target (or WRPC_GATEWAY_TARGET) is required") }
        let resolve = try witPath.map { try WITSource.load($0, options: LoadOptions(features: Set(Environment.list(features, "features")))) }
        var config = GatewayConfig(targets: targetURLs)
        config.routes = try RouteSpecs.parse(Environment.list(routes, "routes"))
        config.forwards = forwardRoutes
        try await server.apply(to: &config)
        config.urlFetch.allowInternalAddresses = egress.privateAddressesAllowed
        let gateway = try Gateway(resolve: resolve, world: world ?? Environment.value("world"), config: config)
        let egressServing = try await (egressListen ?? Environment.value("egress-listen")).asyncMap {
            try await egress.start(listen: $0, allowedPrefixes: config.urlFetch.allowedPrefixes, metrics: gateway.metrics.factory)
        }
        defer {
            egressServing?.listener.close()
            egressServing?.task.cancel()
        }
        try await runUntilSignalled(gateway)
    }
}

/// Serves until SIGINT or SIGTERM, then shuts down gracefully.
func runUntilSignalled(_ gateway: Gateway, announce: (Int) async throws -> Void = { _ in }) async throws {
    let logger = Logger(label: "wrpc-gateway")
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    try gateway.start()
    logger.info("listening", metadata: ["address": "\(gateway.config.host):\(gateway.port)", "functions": "\(gateway.table.functions.count)",
                                        "scheme": .string(gateway.tls == nil ? "http" : "https"),
                                        "allocator": .string(ProcessAllocator.description)])
    let reloading = gateway.tls.map(reloadOnHangUp)
    defer { reloading?.cancel() }
    do {
        try await announce(gateway.port)
    } catch {
        await gateway.shutdown()
        throw error
    }
    let signalName = await terminationSignal()
    logger.info("shutting down", metadata: ["signal": .string(signalName)])
    await gateway.shutdown()
    logger.info("stopped")
}

/// SIGHUP reads the TLS files again: new connections get the new
/// certificates, open ones keep theirs. A failed reload keeps the old ones.
func reloadOnHangUp(_ tls: TLSContext) -> any DispatchSourceSignal {
    let logger = Logger(label: "wrpc-gateway")
    signal(SIGHUP, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
    source.setEventHandler {
        do {
            try tls.reload()
            logger.info("TLS certificates reloaded")
        } catch {
            logger.error("TLS reload failed; the certificates in use stay", metadata: ["error": "\(error)"])
        }
    }
    source.resume()
    return source
}

/// Waits for SIGINT or SIGTERM (which must be ignored first, so they only
/// reach this handler) and names the one that came.
func terminationSignal() async -> String {
    await withCheckedContinuation { (c: CheckedContinuation<String, Never>) in
        let once = Once(c)
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { once.resume(name) }
            source.resume()
            once.keep(source)
        }
    }
}

/// Resumes a continuation once, from whichever signal comes first.
final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<String, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ c: CheckedContinuation<String, Never>) { continuation = c }

    func keep(_ s: any DispatchSourceSignal) {
        lock.lock()
        sources.append(s)
        lock.unlock()
    }

    func resume(_ name: String) {
        lock.lock()
        let c = continuation
        continuation = nil
        lock.unlock()
        c?.resume(returning: name)
    }
}

extension Optional {
    func asyncMap<U>(_ transform: (Wrapped) async throws -> U) async rethrows -> U? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
