import CoreMetrics
import EventLoops
import Prometheus
import Locking

/// The gateway's metrics, through swift-metrics into a Prometheus registry of
/// its own (no process-wide bootstrap, so several gateways can coexist in tests).
public struct GatewayMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    /// Where other parts of the process (the egress server) add their metrics,
    /// so that `/metrics` shows them too.
    public let factory: PrometheusMetricsFactory
    let inFlight: CoreMetrics.Meter
    let streamedBytes: CoreMetrics.Counter
    /// Handles by route and status, made once: the factory's lookup is not free.
    private let handles = HandleCache()

    final class HandleCache: Sendable {
        let counters = Locked<[String: CoreMetrics.Counter]>([:])
        /// The per-request pair, by a key that needs no string building.
        let requests = Locked<[RequestKey: (CoreMetrics.Counter, CoreMetrics.Timer)]>([:])
    }

    struct RequestKey: Hashable {
        let route: String
        let status: Int
    }

    public init() {
        registry = PrometheusCollectorRegistry()
        var f = PrometheusMetricsFactory(registry: registry)
        f.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        factory = f
        inFlight = CoreMetrics.Meter(label: "wrpc_gateway_inflight_calls", factory: f)
        streamedBytes = CoreMetrics.Counter(label: "wrpc_gateway_streamed_bytes_total", factory: f)
    }

    func request(route: String, status: Int, duration: Duration) {
        let key = RequestKey(route: route, status: status)
        let (count, timer) = handles.requests.withLock { cache in
            if let pair = cache[key] { return pair }
            let pair = (counter("wrpc_gateway_http_requests_total", [("route", route), ("status", String(status))]),
                        CoreMetrics.Timer(label: "wrpc_gateway_http_request_duration_seconds", dimensions: [("route", route)], factory: factory))
            cache[key] = pair
            return pair
        }
        count.increment()
        timer.recordNanoseconds(duration.nanoseconds)
    }

    /// A response whose body did not end cleanly: cut on purpose, or its client left.
    func incomplete(route: String, reason: String) {
        counter("wrpc_gateway_http_responses_incomplete_total", [("route", route), ("reason", reason)]).increment()
    }

    /// A request the edge refused: `unauthenticated`, `permission_denied`,
    /// `rate_limited` or `cors_origin`.
    func refusal(_ reason: String) {
        counter("wrpc_gateway_edge_refusals_total", [("reason", reason)]).increment()
    }

    /// A forward that failed: `kind` is the handler's `error-code` case, or
    /// the gateway's error code (`unavailable`, `deadline_exceeded`, …).
    func forwardUpstreamError(prefix: String, kind: String) {
        counter("wrpc_gateway_forward_upstream_errors_total", [("forward", prefix), ("kind", kind)]).increment()
    }

    func upstreamError(_ kind: String) {
        counter("wrpc_gateway_upstream_errors_total", [("kind", kind)]).increment()
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        return handles.counters.withLock { counters in
            if let c = counters[key] { return c }
            let c = CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory)
            counters[key] = c
            return c
        }
    }

    public func exposition() -> [UInt8] {
        var out: [UInt8] = []
        registry.emit(into: &out)
        return out
    }
}
