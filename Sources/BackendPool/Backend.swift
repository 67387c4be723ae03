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
    /// `BackendState` (and why it is out) as a byte, read lock-free on every pick.
    private let condition = Atomic<UInt8>(Backend.healthy)
    private let health = Locked(Health())

    private static let healthy: UInt8 = 0, refused: UInt8 = 1, draining: UInt8 = 2, failing: UInt8 = 3

    private struct Health {
        var reason: String?
        /// Ejections in a row (reset once it stays healthy for a while).
        var failures = 0
        var readmitted: ContinuousClock.Instant?
        var probe: Task<Void, Never>?
        /// Failed calls since the last completed one, and when the oldest
        /// of them was sent. Kept across a readmission: only a completed
        /// call shows the member answers again.
        var failedCalls = 0
        var failingSince: ContinuousClock.Instant?
        var lastCompletion: ContinuousClock.Instant?
    }

    init(url: String, transport: any ClientTransport, factory: any MetricsFactory) {
        self.url = url
        self.transport = transport
        target = transport.target
        metrics = BackendMetrics(target: target, factory: factory)
    }

    var isAvailable: Bool { condition.load(ordering: .relaxed) == Self.healthy }
    var isDraining: Bool { condition.load(ordering: .relaxed) == Self.draining }
    /// Out for failed calls, not for refusing: a pool in panic still calls it.
    var isOutForFailures: Bool { condition.load(ordering: .relaxed) == Self.failing }

    var state: BackendState {
        switch condition.load(ordering: .relaxed) {
        case Self.healthy: return .healthy
        case Self.refused, Self.failing: return .ejected
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
    /// One out for failures that then refuses a connection is out for that
    /// from then on (its probe is already running).
    func eject(reason: String, cause: EjectionCause, settings: PoolSettings) -> Duration? {
        health.withLock { h -> Duration? in
            let desired = cause == .connect ? Self.refused : Self.failing
            guard condition.compareExchange(expected: Self.healthy, desired: desired, ordering: .relaxed).exchanged else {
                if cause == .connect, condition.compareExchange(expected: Self.failing, desired: Self.refused, ordering: .relaxed).exchanged {
                    h.reason = reason
                }
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
            _ = condition.compareExchange(expected: Self.failing, desired: Self.refused, ordering: .relaxed)
            h.failures += 1
            h.reason = reason
            return settings.backoff(after: h.failures)
        }
    }

    /// A probe found an ejected member answering; whether it was still out
    /// (a completed call may have readmitted it first).
    func readmit() -> Bool {
        health.withLock { h in
            guard condition.compareExchange(expected: Self.refused, desired: Self.healthy, ordering: .relaxed).exchanged
                || condition.compareExchange(expected: Self.failing, desired: Self.healthy, ordering: .relaxed).exchanged else { return false }
            h.reason = nil
            h.readmitted = .now
            h.probe = nil
            return true
        }
    }

    /// A call on it completed: the failures in a row end, and a member out
    /// for failures (called because the pool is in panic) is back at once.
    /// Whether it was readmitted so.
    func completed() -> Bool {
        let (readmitted, probe) = health.withLock { h -> (Bool, Task<Void, Never>?) in
            h.failedCalls = 0
            h.failingSince = nil
            h.lastCompletion = .now
            guard condition.compareExchange(expected: Self.failing, desired: Self.healthy, ordering: .relaxed).exchanged else {
                return (false, nil)
            }
            h.reason = nil
            h.readmitted = .now
            defer { h.probe = nil }
            return (true, h.probe)
        }
        probe?.cancel()
        return readmitted
    }

    /// A call sent at `sent` failed after its connection opened; why it
    /// should now be judged hung, or nil while it should not: fewer than
    /// `ejectAfterFailures` in a row, or one completed less than
    /// `hungAfter` after the oldest of them was sent.
    func failed(sent: ContinuousClock.Instant, what: String, settings: PoolSettings) -> String? {
        health.withLock { h -> String? in
            h.failedCalls += 1
            let since = min(h.failingSince ?? sent, sent)
            h.failingSince = since
            let quiet = ContinuousClock.now - since
            guard h.failedCalls >= settings.ejectAfterFailures, quiet >= settings.hungAfter,
                  condition.load(ordering: .relaxed) == Self.healthy else { return nil }
            let last = h.lastCompletion.map { "its last completed call ended \(ContinuousClock.now - $0) ago" } ?? "no call on it has completed"
            return "\(h.failedCalls) calls in a row failed (the last: \(what)) and nothing it was asked completed for \(quiet); \(last)"
        }
    }

    func keepProbe(_ task: Task<Void, Never>) {
        let stale = health.withLock { h -> Bool in
            guard state == .ejected else { return true }
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
