import CoreMetrics
import Locking

/// One member's series, labelled `target`: calls started on it, errors by
/// kind, calls in flight, ejections, ejections the pool's maximum share
/// held back, and calls it took while out because the pool was in panic. Through swift-metrics, so they land in
/// whatever registry the caller hands in (the gateway's `/metrics`).
final class BackendMetrics: Sendable {
    let calls: CoreMetrics.Counter
    let inFlight: CoreMetrics.Meter
    let ejections: CoreMetrics.Counter
    let ejectionsWithheld: CoreMetrics.Counter
    let panicCalls: CoreMetrics.Counter
    private let target: String
    private let factory: any MetricsFactory
    private let errors = Locked<[String: CoreMetrics.Counter]>([:])

    init(target: String, factory: any MetricsFactory) {
        self.target = target
        self.factory = factory
        calls = CoreMetrics.Counter(label: "wrpc_gateway_backend_calls_total", dimensions: [("target", target)], factory: factory)
        inFlight = CoreMetrics.Meter(label: "wrpc_gateway_backend_inflight_calls", dimensions: [("target", target)], factory: factory)
        ejections = CoreMetrics.Counter(label: "wrpc_gateway_backend_ejections_total", dimensions: [("target", target)], factory: factory)
        ejectionsWithheld = CoreMetrics.Counter(label: "wrpc_gateway_backend_ejections_withheld_total", dimensions: [("target", target)],
                                                factory: factory)
        panicCalls = CoreMetrics.Counter(label: "wrpc_gateway_backend_panic_calls_total", dimensions: [("target", target)], factory: factory)
    }

    func error(_ kind: String) {
        let counter = errors.withLock { all in
            if let c = all[kind] { return c }
            let c = CoreMetrics.Counter(label: "wrpc_gateway_backend_errors_total",
                                        dimensions: [("target", target), ("kind", kind)], factory: factory)
            all[kind] = c
            return c
        }
        counter.increment()
    }
}
