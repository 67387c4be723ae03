import CSystemShims

/// Watches a socket owned by someone else (the HTTP server's client
/// connection) for its peer going away, without reading from it.
public enum PeerWatch {
    /// Returns when the peer has closed the connection; throws when cancelled
    /// or released. Returns early, without a close, if the peer sent data.
    public static func closed(fd: Int32) async throws -> Bool {
        try await Poller.shared.wait(fd, for: .read)
        return wrpc_peer_closed(fd) != 0
    }

    /// Stops watching `fd`. Call it before the owner may close the descriptor.
    public static func release(fd: Int32) {
        Poller.shared.forget(fd)
    }
}
