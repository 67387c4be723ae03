import ArgumentParser
import Egress
import EventLoops
import Foundation
import Logging
import Metrics
import WRPCTransport

/// The egress server's limits, shared by `egress` and `serve --egress-listen`.
struct EgressOptions: ParsableArguments {
    @Option(help: "Connect timeout of outgoing requests without one, ms (env WRPC_GATEWAY_EGRESS_CONNECT_TIMEOUT_MS). [default: 10000]")
    var egressConnectTimeoutMs: Int?

    @Option(help: "Most a caller's connect-timeout may ask, ms (env WRPC_GATEWAY_EGRESS_MAX_CONNECT_TIMEOUT_MS). [default: 60000]")
    var egressMaxConnectTimeoutMs: Int?

    @Option(help: "Wait for a response's head without a first-byte-timeout, ms (env WRPC_GATEWAY_EGRESS_FIRST_BYTE_TIMEOUT_MS). [default: 60000]")
    var egressFirstByteTimeoutMs: Int?

    @Option(help: "Most a caller's first-byte-timeout may ask, ms (env WRPC_GATEWAY_EGRESS_MAX_FIRST_BYTE_TIMEOUT_MS). [default: 600000]")
    var egressMaxFirstByteTimeoutMs: Int?

    @Option(help: "Pause allowed between body bytes without a between-bytes-timeout, ms (env WRPC_GATEWAY_EGRESS_BETWEEN_BYTES_TIMEOUT_MS). [default: 60000]")
    var egressBetweenBytesTimeoutMs: Int?

    @Option(help: "Most a caller's between-bytes-timeout may ask, ms (env WRPC_GATEWAY_EGRESS_MAX_BETWEEN_BYTES_TIMEOUT_MS). [default: 600000]")
    var egressMaxBetweenBytesTimeoutMs: Int?

    @Flag(help: "Let the egress fetch any URL, not only those under an --allow-url-prefix (env WRPC_GATEWAY_ALLOW_ANY_URL=1).")
    var allowAnyURL = false

    @Flag(help: "Let the egress and stream URL feeds connect to loopback, private, link-local and metadata addresses (env WRPC_GATEWAY_ALLOW_PRIVATE_ADDRESSES=1).")
    var allowPrivateAddresses = false

    /// `--allow-private-addresses` or its variable: for the egress and the URL feeds alike.
    var privateAddressesAllowed: Bool { allowPrivateAddresses || Environment.value("allow-private-addresses") == "1" }

    @Option(help: "Most egress calls at once; more get connection-limit-reached (env WRPC_GATEWAY_EGRESS_MAX_CALLS). [default: 1024]")
    var egressMaxCalls: Int?

    @Option(help: "Largest request or response body through the egress, bytes (env WRPC_GATEWAY_EGRESS_MAX_BODY_BYTES). [default: 1099511627776]")
    var egressMaxBodyBytes: Int64?

    func config(allowedPrefixes: [String]) throws -> EgressConfig {
        var c = EgressConfig()
        c.allowedPrefixes = allowedPrefixes
        c.allowAnyURL = allowAnyURL || Environment.value("allow-any-url") == "1"
        c.allowInternalAddresses = privateAddressesAllowed
        c.maxConcurrentCalls = try Environment.pick(egressMaxCalls, "egress-max-calls", default: c.maxConcurrentCalls, parse: Int.init)
        let body = try Environment.pick(egressMaxBodyBytes, "egress-max-body-bytes", default: c.maxRequestBodyBytes, parse: Int64.init)
        c.maxRequestBodyBytes = body
        c.maxResponseBodyBytes = body
        func ms(_ given: Int?, _ flag: String, _ fallback: Duration) throws -> Duration {
            let value = try Environment.pick(given, flag, default: Int(fallback.components.seconds) * 1000, parse: Int.init)
            guard value > 0 else { throw CLIError("--\(flag) must be positive") }
            return .milliseconds(value)
        }
        c.connectTimeout = .init(fallback: try ms(egressConnectTimeoutMs, "egress-connect-timeout-ms", c.connectTimeout.fallback),
                                 maximum: try ms(egressMaxConnectTimeoutMs, "egress-max-connect-timeout-ms", c.connectTimeout.maximum))
        c.firstByteTimeout = .init(fallback: try ms(egressFirstByteTimeoutMs, "egress-first-byte-timeout-ms", c.firstByteTimeout.fallback),
                                   maximum: try ms(egressMaxFirstByteTimeoutMs, "egress-max-first-byte-timeout-ms", c.firstByteTimeout.maximum))
        c.betweenBytesTimeout = .init(fallback: try ms(egressBetweenBytesTimeoutMs, "egress-between-bytes-timeout-ms", c.betweenBytesTimeout.fallback),
                                      maximum: try ms(egressMaxBetweenBytesTimeoutMs, "egress-max-between-bytes-timeout-ms", c.betweenBytesTimeout.maximum))
        return c
    }

    /// Starts serving `wrpc:http/outgoing-handler` on `url`; the task ends when cancelled.
    func start(listen url: String, allowedPrefixes: [String], metrics: any MetricsFactory = NOOPMetricsHandler.instance,
               adjust: (inout EgressConfig) -> Void = { _ in })
        async throws -> (task: Task<Void, Never>, listener: any ServerTransport) {
        let listener: any ServerTransport
        do {
            listener = try await Transports.server(for: url)
        } catch {
            throw CLIError("--egress-listen \(url): \(error)")
        }
        var config = try config(allowedPrefixes: allowedPrefixes)
        adjust(&config)
        if config.allowedPrefixes.isEmpty && !config.allowAnyURL {
            Logger(label: "wrpc-gateway-egress").warning("no --allow-url-prefix and no --allow-any-url: every egress request will be denied")
        }
        let server = EgressServer.server(config: config, metrics: metrics)
        Logger(label: "wrpc-gateway-egress").info("egress listening", metadata: ["address": .string(listener.address)])
        return (Task { await server.serve(listener) }, listener)
    }
}

struct EgressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "egress",
        abstract: "Serve wrpc:http/outgoing-handler over wRPC: HTTP requests made for wRPC callers, with libcurl."
    )

    @Option(help: "Where to serve it: tcp://HOST:PORT or unix:///PATH (env WRPC_GATEWAY_EGRESS_LISTEN).")
    var listen: String?

    @Option(help: "Event loops (env WRPC_GATEWAY_THREADS). [default: the number of CPUs]")
    var threads: Int?

    @Option(name: .customLong("allow-url-prefix"), help: "Let the egress fetch URLs whose normalised form (dot segments resolved) starts with this; repeatable (env WRPC_GATEWAY_ALLOW_URL_PREFIXES, comma-separated).")
    var allowURLPrefixes: [String] = []

    @OptionGroup var egress: EgressOptions

    @Option(help: "Log level (env WRPC_GATEWAY_LOG_LEVEL). [default: info]")
    var logLevel: String?

    func run() async throws {
        try startLogging(format: nil, level: logLevel)
        guard let url = listen ?? Environment.value("egress-listen") else {
            throw ValidationError("--listen (or WRPC_GATEWAY_EGRESS_LISTEN) is required")
        }
        try configureEventLoops(threads: threads)
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let (task, listener) = try await egress.start(listen: url, allowedPrefixes: Environment.list(allowURLPrefixes, "allow-url-prefixes"))
        _ = await terminationSignal()
        listener.close()
        task.cancel()
    }
}
