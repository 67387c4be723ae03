import WRPCTransport

extension BackendPool {
    /// The transport for calls that must reach the member at `address` (a
    /// member's `target`, e.g. `tcp://10.0.0.5:7761`) and no other: a
    /// resource lives in the process that made it.
    public func pinned(to address: String) -> any ClientTransport {
        PinnedMember(pool: self, address: address)
    }

    /// A connection to the member at `address`, whatever the balancer would
    /// pick. A member that is gone, draining or ejected (and not called in
    /// panic), or that fails to connect (it is then ejected), is
    /// `ConnectError.unavailable` naming it: the call is never tried on another.
    public func connect(member address: String) async throws -> any ByteStream {
        if !resolved.isOpen { try await resolved.wait() }
        let all = members.withLock { $0 }
        guard let member = all.first(where: { $0.target == address }) else {
            throw ConnectError.unavailable("backend \(address) is no longer a member of \(target)")
        }
        // The balancer's own rule decides whether the member takes calls, so
        // a pool in panic still reaches a member that is out for failed calls.
        if !routable(all).contains(where: { $0 === member }) {
            switch member.state {
            case .draining: throw ConnectError.unavailable("backend \(address) is draining (gone from DNS)")
            case .ejected, .healthy:
                throw ConnectError.unavailable("backend \(address) is ejected (\(member.status.reason ?? "failed"))")
            }
        }
        do {
            return try await dial(member)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ConnectError.unavailable("backend \(address) did not accept the connection: \(error)")
        }
    }
}

/// A pool narrowed to one member (see `BackendPool.pinned(to:)`).
struct PinnedMember: ClientTransport {
    let pool: BackendPool
    let address: String

    var target: String { address }
    func connect() async throws -> any ByteStream { try await pool.connect(member: address) }
    func connect(deadline: ContinuousClock.Instant) async throws -> any ByteStream { try await pool.connect(member: address) }
}
