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
