import CoreMetrics

/// A forward's byte counters, made once at start-up: they are bumped per
/// chunk, where a lookup by labels would cost more than the chunk.
struct ForwardCounters: Sendable {
    let requestBytes: CoreMetrics.Counter
    let responseBytes: CoreMetrics.Counter
    /// Response fields dropped because their value held a control byte.
    let droppedFields: CoreMetrics.Counter

    init(prefix: String, factory: any MetricsFactory) {
        requestBytes = CoreMetrics.Counter(label: "wrpc_gateway_forward_bytes_total",
                                           dimensions: [("forward", prefix), ("direction", "request")], factory: factory)
        responseBytes = CoreMetrics.Counter(label: "wrpc_gateway_forward_bytes_total",
                                            dimensions: [("forward", prefix), ("direction", "response")], factory: factory)
        droppedFields = CoreMetrics.Counter(label: "wrpc_gateway_forward_dropped_fields_total",
                                            dimensions: [("forward", prefix)], factory: factory)
    }
}
