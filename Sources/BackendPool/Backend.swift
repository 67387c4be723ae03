import CoreMetrics
import Synchronization
import WRPCTransport
import Locking

/// One member of a pool: a transport to one address, its calls in flight
/// and its health.
final class Backend: Sendable {
    let target: String
    let url: String
    let transport: any ClientTransport
    let metrics: BackendMetrics
    let inFlight = Atomic<Int>(0)
    /// `BackendState` as a byte, read lock-free on every pick.
    private let condition = Atomic<UInt8>(Backend.healthy)
    private let health = Locked(Health())

    private static let healthy: UInt8 = 0, ejected: UInt8 = 1, draining: UInt8 = 2

    private struct Health {
        var reason: String?
        /// Ejections in a row (reset once it stays healthy for a while).
        var failures = 0
        var readmitted: ContinuousClock.Instant?
        var probe: Task<Void, Never>?
    }

    init(url: String, transport: any ClientTransport, factory: any MetricsFactory) {
        self.url = url
        self.transport = transport
        target = transport.target
        metrics = BackendMetrics(target: target, factory: factory)
    }

    var isAvailable: Bool { condition.load(ordering: .relaxed) == Self.healthy }
    var isDraining: Bool { condition.load(ordering: .relaxed) == Self.draining }

    var state: BackendState {
        switch condition.load(ordering: .relaxed) {
        case Self.healthy: return .healthy
        case Self.ejected: return .ejected
        default: return .draining
        }
    }

    /// A call starts on this member.
    func began() {
        inFlight.add(1, ordering: .relaxed)
        metrics.calls.increment()
        metrics.inFlight.increment()
    }

    /// A call on this member ends (its connection closed or never opened).
    func ended() {
        inFlight.subtract(1, ordering: .relaxed)
        metrics.inFlight.decrement()
    }

    /// Leaves a healthy member out; returns the back-off, or nil when it was
    /// not healthy (already ejected by a concurrent failure, or draining).
    func eject(reason: String, settings: PoolSettings) -> Duration? {
        health.withLock { h -> Duration? in
            guard condition.compareExchange(expected: Self.healthy, desired: Self.ejected, ordering: .relaxed).exchanged else {
                return nil
            }
            // A member that stayed up longer than the longest back-off starts over.
            if let readmitted = h.readmitted, ContinuousClock.now - readmitted > settings.ejectMax { h.failures = 0 }
            h.failures += 1
            h.reason = reason
            metrics.ejections.increment()
            return settings.backoff(after: h.failures)
        }
    }

    /// A probe of an ejected member failed again: the next back-off.
    func stillFailing(reason: String, settings: PoolSettings) -> Duration {
        health.withLock { h in
            h.failures += 1
            h.reason = reason
            return settings.backoff(after: h.failures)
        }
    }

    /// A probe found an ejected member answering.
    func readmit() {
        health.withLock { h in
            guard condition.compareExchange(expected: Self.ejected, desired: Self.healthy, ordering: .relaxed).exchanged else { return }
            h.reason = nil
            h.readmitted = .now
            h.probe = nil
        }
    }

    func keepProbe(_ task: Task<Void, Never>) {
        let stale = health.withLock { h -> Bool in
            guard condition.load(ordering: .relaxed) == Self.ejected else { return true }
            h.probe = task
            return false
        }
        if stale { task.cancel() }
    }

    /// Gone from DNS: takes no new calls; any probe stops.
    func drain() {
        let probe = health.withLock { h -> Task<Void, Never>? in
            condition.store(Self.draining, ordering: .relaxed)
            h.reason = nil
            defer { h.probe = nil }
            return h.probe
        }
        probe?.cancel()
    }

    /// Back in DNS while draining: takes calls again.
    func undrain() {
        _ = condition.compareExchange(expected: Self.draining, desired: Self.healthy, ordering: .relaxed)
    }

    /// Stops the probe for good (the pool shuts down).
    func stop() {
        health.withLock { h -> Task<Void, Never>? in
            defer { h.probe = nil }
            return h.probe
        }?.cancel()
    }

    var status: BackendStatus {
        health.withLock { h in
            BackendStatus(target: target, url: url, state: state, inFlight: max(0, inFlight.load(ordering: .relaxed)),
                          reason: h.reason, failures: h.failures)
        }
    }
}
