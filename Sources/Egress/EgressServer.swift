import CoreMetrics
import EventLoops
import Logging
import Synchronization
import WasiHTTP
import WRPCTransport

/// `wrpc:http/outgoing-handler@0.1.0`: HTTP requests that wRPC callers (Wasm
/// components, their hosts) make, performed with libcurl on the event loops
/// — the role wasmCloud's HTTP client provider plays.
public enum EgressServer {
    public static func server(config: EgressConfig = EgressConfig(), metrics factory: any MetricsFactory = NOOPMetricsHandler.instance,
                              logger: Logger = Logger(label: "wrpc-gateway-egress")) -> WRPCServer {
        var server = WRPCServer(logger: logger)
        let metrics = EgressMetrics(factory: factory)
        let active = Atomic<Int>(0)
        server.handleRaw(instance: WrpcHTTPWIT.outgoingInstance, name: "handle") { inv in
            let started = ContinuousClock.now
            let outcome = EgressCall.Outcome()
            var describe = "(before the request was read)"
            metrics.inFlight.increment()
            defer {
                metrics.inFlight.decrement()
                let o = outcome.snapshot
                metrics.call(outcome: o.outcome)
                logger.info("egress", metadata: [
                    "request": .string(describe), "outcome": .string(o.outcome), "status": .string(o.status.map(String.init) ?? "-"),
                    "request_bytes": .stringConvertible(o.sent), "response_bytes": .stringConvertible(o.received),
                    "duration_ms": .stringConvertible((ContinuousClock.now - started).nanoseconds / 1_000_000),
                ])
            }
            let call = EgressCall(inv: inv, config: config, metrics: metrics, logger: logger)
            guard active.add(1, ordering: .relaxed).newValue <= config.maxConcurrentCalls else {
                active.subtract(1, ordering: .relaxed)
                outcome.set(ErrorCode.connectionLimitReached.caseName)
                return try await inv.send(path: [], data: HandleResult.failure(.connectionLimitReached).encode())
            }
            defer { active.subtract(1, ordering: .relaxed) }
            do {
                try await call.run(url: &describe, outcome: outcome)
            } catch {
                if outcome.snapshot.outcome == "ok" { outcome.set("cut") }
                throw error
            }
        }
        return server
    }
}
