import CoreMetrics
import Prometheus

/// The gateway's metrics, through swift-metrics into a Prometheus registry of
/// its own (no process-wide bootstrap, so several gateways can coexist in tests).
public struct GatewayMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    let inFlight: CoreMetrics.Meter
    let streamedBytes: CoreMetrics.Counter

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
        CoreMetrics.Counter(label: "wrpc_gateway_http_requests_total", dimensions: [("route", route), ("status", String(status))], factory: factory).increment()
        CoreMetrics.Timer(label: "wrpc_gateway_http_request_duration_seconds", dimensions: [("route", route)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    func upstreamError(_ kind: String) {
        CoreMetrics.Counter(label: "wrpc_gateway_upstream_errors_total", dimensions: [("kind", kind)], factory: factory).increment()
    }

    public func exposition() -> [UInt8] {
        var out: [UInt8] = []
        registry.emit(into: &out)
        return out
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (s, a) = components
        return s * 1_000_000_000 + a / 1_000_000_000
    }
}
