import Locking

/// Which member served a call, for a caller that wants to know: it sets one
/// up around the call (`PoolCall.$current.withValue`), the pool fills it in
/// when the connection opens. The caller then names the member in errors,
/// counts its failures by kind, and reports a call that got no answer by its
/// deadline, which ejects a hung member.
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

    /// The deadline passed: a member that sent nothing back at all is hung
    /// (stopped, or stuck) and is ejected like one that refuses.
    public func deadlineExceeded(in pool: BackendPool) {
        guard let lease = lease.withLock({ $0 }), !lease.hasAnswered else { return }
        pool.eject(lease.backend, reason: "no answer before the call deadline")
    }
}
