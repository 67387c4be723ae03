/// A member as `/readyz`, `/functions` and tests see it.
public struct BackendStatus: Sendable, Equatable {
    /// The member's own address, e.g. `tcp://10.1.2.3:7761`.
    public let target: String
    /// The configured URL it came from (a hostname's, for DNS members).
    public let url: String
    public let state: BackendState
    public let inFlight: Int
    /// Why it was ejected, while it is.
    public let reason: String?
    /// Ejections in a row; the back-off grows with it.
    public let failures: Int
}
