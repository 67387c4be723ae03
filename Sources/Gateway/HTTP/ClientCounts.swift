import Locking

/// Counts of open client connections over all daemons: the server-wide
/// limit and the per-address cap are ours, so that a connection over them
/// is answered (503 or 429) instead of waiting unseen in the listen backlog,
/// which is what libmicrohttpd's own limit does.
final class ClientCounts: Sendable {
    private let counts = Locked<(total: Int, byAddress: [String: Int])>((0, [:]))

    /// Counts a new connection; the refusal if it is over a limit (it is counted anyway, until it closes).
    func admit(_ address: String, limits: HTTPLimits) -> HTTPRejection? {
        counts.withLock { c in
            c.total += 1
            c.byAddress[address, default: 0] += 1
            if limits.maxConnectionsPerClient > 0, c.byAddress[address]! > limits.maxConnectionsPerClient {
                return .tooManyConnectionsFromClient(limit: limits.maxConnectionsPerClient)
            }
            if c.total > limits.maxConnections { return .tooManyConnections(limit: limits.maxConnections) }
            return nil
        }
    }

    func release(_ address: String) {
        counts.withLock { c in
            c.total -= 1
            let left = (c.byAddress[address] ?? 1) - 1
            c.byAddress[address] = left > 0 ? left : nil
        }
    }
}
