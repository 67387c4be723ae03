/// How every backend pool of a gateway balances, ejects and re-resolves.
public struct PoolSettings: Sendable {
    public var balance: Balance = .powerOfTwoChoices
    /// A member that failed is left out this long, doubled on each further
    /// failure in a row…
    public var ejectBase: Duration = .milliseconds(500)
    /// …up to this.
    public var ejectMax: Duration = .seconds(30)
    /// How often a hostname in a pool's URLs is looked up again.
    public var dnsRefresh: Duration = .seconds(5)
    /// The longest a connection may take to open, for calls and probes alike:
    /// a member whose address no longer answers (a pod gone without a reset)
    /// is then ejected and the call tried elsewhere, not held to its deadline.
    public var connectTimeout: Duration = .seconds(2)
    /// Failures after a connection opened (a deadline the gateway chose,
    /// the backend closing mid-call, an answer that does not decode) in a
    /// row, with no completed call between them, before a member may be
    /// judged hung (Envoy's `consecutive_gateway_failure`)…
    public var ejectAfterFailures = 5
    /// …and only once the oldest of those calls was sent this long ago:
    /// nothing it was asked completed in that time. A slow or failing
    /// function beside ones that complete never gets there.
    public var hungAfter: Duration = .seconds(3)
    /// The most of a pool's members that may be out at once for failed
    /// calls, in percent; one may always be (Envoy's `max_ejection_percent`).
    /// A refused connection ejects whatever this says.
    public var maxEjectionPercent = 50
    /// Below this share of healthy members, in percent, the pool also calls
    /// the members out for failed calls (never those that refuse
    /// connections) rather than failing calls at once (Envoy's
    /// `healthy_panic_threshold`); 0 never does.
    public var panicThresholdPercent = 50

    public init() {}

    /// The back-off after `failures` ejections in a row (1 for the first).
    public func backoff(after failures: Int) -> Duration {
        var delay = ejectBase
        for _ in 1..<max(failures, 1) {
            delay *= 2
            if delay >= ejectMax { return ejectMax }
        }
        return min(delay, ejectMax)
    }
}
