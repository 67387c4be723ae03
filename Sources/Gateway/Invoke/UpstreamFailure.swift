import BackendPool
import WRPCTransport

extension Gateway {
    /// What a call that failed on `pool` answers, or nil when the client
    /// left (nobody to tell, and nothing the backend did wrong). The failure
    /// is counted against the member that served the call, and a member that
    /// sent nothing back by the deadline is ejected. `specific` maps the
    /// caller's own errors (a forward's error-code answer) first. `member`
    /// is the one member a pinned call could go to.
    func upstreamFailure(_ error: any Error, served: PoolCall, pool: BackendPool, member: String? = nil,
                         specific: (any Error, String) -> GatewayError? = { _, _ in nil }) -> GatewayError? {
        if error is ResponseSinkError || error as? CallError == .cancelled { return nil }
        let target = served.target ?? member ?? pool.target
        let e: GatewayError
        if let mapped = specific(error, target) {
            e = mapped
        } else if let callError = error as? CallError {
            e = .from(callError, target: target)
            if case .deadlineExceeded = callError { served.deadlineExceeded(in: pool) }
        } else {
            e = GatewayError(502, "upstream_protocol", "\(error)", details: [("target", .string(target))])
        }
        served.failed(kind: e.code)
        return e
    }
}
