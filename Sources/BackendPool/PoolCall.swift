import Locking

/// Which member served a call, for a caller that wants to know: it sets one
/// up around the call (`PoolCall.$current.withValue`), the pool fills it in
/// when the connection opens. The caller then names the member in errors,
/// counts its failures by kind, and tells how the call ended: the pool
/// judges the member's health from that (`BackendPool.record`).
public final class PoolCall: Sendable {
    @TaskLocal public static var current: PoolCall?

    private let lease = Locked<Lease?>(nil)

    public init() {}

    func served(by lease: Lease) {
        self.lease.withLock { $0 = lease }
    }

    /// The member's address; nil when no connection was opened.
    public var target: String? { lease.withLock { $0?.backend.target } }

    /// The call failed after its connection opened; `kind` is the caller's
    /// name for it (the gateway's error code).
    public func failed(kind: String) {
        lease.withLock { $0 }?.backend.metrics.error(kind)
    }

    /// How the call ended, for the pool's judgement of the member; nothing
    /// when no connection was opened (the pool saw that itself). Calls that
    /// end otherwise (the caller went away, refused a too large answer) say
    /// nothing about the member and are not reported.
    public func finished(_ outcome: CallOutcome) {
        guard let lease = lease.withLock({ $0 }) else { return }
        lease.pool?.record(outcome, on: lease)
    }
}
