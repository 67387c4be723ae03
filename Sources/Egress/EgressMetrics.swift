import CoreMetrics
import Locking

/// The egress server's counters, through swift-metrics (the gateway's own
/// Prometheus registry when it runs beside the gateway).
final class EgressMetrics: Sendable {
    let inFlight: CoreMetrics.Meter
    let requestBytes: CoreMetrics.Counter
    let responseBytes: CoreMetrics.Counter
    /// Response fields dropped because their value held a control byte.
    let droppedFields: CoreMetrics.Counter
    private let factory: any MetricsFactory
    private let outcomes = Locked<[String: CoreMetrics.Counter]>([:])

    init(factory: any MetricsFactory) {
        self.factory = factory
        inFlight = CoreMetrics.Meter(label: "wrpc_gateway_egress_inflight_calls", factory: factory)
        requestBytes = CoreMetrics.Counter(label: "wrpc_gateway_egress_bytes_total", dimensions: [("direction", "request")], factory: factory)
        responseBytes = CoreMetrics.Counter(label: "wrpc_gateway_egress_bytes_total", dimensions: [("direction", "response")], factory: factory)
        droppedFields = CoreMetrics.Counter(label: "wrpc_gateway_egress_dropped_fields_total", factory: factory)
    }

    /// A finished call: `ok` (a response whose body ended), the error-code
    /// case name, or `cut` (a body that broke after the head).
    func call(outcome: String) {
        let counter = outcomes.withLock { all in
            if let c = all[outcome] { return c }
            let c = CoreMetrics.Counter(label: "wrpc_gateway_egress_calls_total", dimensions: [("outcome", outcome)], factory: factory)
            all[outcome] = c
            return c
        }
        counter.increment()
    }
}
