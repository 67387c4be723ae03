/// How a pool picks the backend for a call among its available members.
public enum Balance: String, Sendable, CaseIterable {
    /// Two members at random, the one with fewer calls in flight: spreads
    /// load like least-loaded without every caller piling onto the same one.
    case powerOfTwoChoices = "p2c"
    /// Each member in turn.
    case roundRobin = "round-robin"
}
