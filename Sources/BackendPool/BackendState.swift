/// Where a member stands.
public enum BackendState: String, Sendable {
    /// Takes new calls.
    case healthy
    /// Failed; left out until a background probe finds it answering again.
    case ejected
    /// Gone from DNS: no new calls, the ones in flight finish.
    case draining
}
