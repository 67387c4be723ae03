/// A fault the soak injects into a running gateway's backends, in turn.
enum SoakFault: String, CaseIterable, Sendable {
    /// One pool member SIGKILLed, restarted on its port after the window.
    case kill = "kill"
    /// One pool member SIGSTOPped (hung, still accepting in the kernel), then SIGCONTed.
    case stop = "stop"
    /// Some calls go to a route whose only backend refuses connections.
    case refuse = "refuse"

    /// What a call caught in the fault may get: 502 (backend died mid-call),
    /// 503 (unavailable: refused, or every member ejected) or 504 (hung past
    /// the call's deadline). Any of them counts, since which one a call gets
    /// depends on when it met the fault.
    static let expectedStatuses: Set<Int> = [502, 503, 504]

    /// Whether a streamed result cut short (the gateway's way of failing
    /// after the status line) is what this fault should give: a killed
    /// backend ends its streams, a hung one stalls them until the gateway's
    /// stream idle timeout.
    var cutsStreams: Bool { self != .refuse }
}
