import Foundation
import BackendPool
import WRPCTransport

extension Gateway {
    /// What a call that failed on `pool` answers, or nil when the client
    /// left (nobody to tell, and nothing the backend did wrong). The failure
    /// is counted against the member that served the call, and its outcome
    /// reported to the pool, which judges the member's health from it.
    /// `specific` maps the caller's own errors first: answers the backend
    /// gave (a forward's error-code), so the call counts as completed.
    /// `member` is the one member a pinned call could go to.
    /// `callerDeadline`: the deadline passing says nothing about the backend
    /// (the caller chose it shorter than the gateway's own, or the call is
    /// fed at the client's pace).
    func upstreamFailure(_ error: any Error, served: PoolCall, pool: BackendPool, member: String? = nil, callerDeadline: Bool = false,
                         specific: (any Error, String) -> GatewayError? = { _, _ in nil }) -> GatewayError? {
        if error is ResponseSinkError || error as? CallError == .cancelled { return nil }
        let target = served.target ?? member ?? pool.target
        let e: GatewayError
        if let mapped = specific(error, target) {
            e = mapped
            served.finished(.completed)
        } else if let callError = error as? CallError {
            e = .from(callError, target: target)
            switch callError {
            case .deadlineExceeded: served.finished(.deadlineExceeded(chosenByCaller: callerDeadline))
            case .protocolError: served.finished(.protocolError)
            // Refused at connect (the pool saw it), a too large answer (the
            // caller's limit), the caller gone: nothing about the member.
            case .unavailable, .resultTooLarge, .cancelled: break
            }
        } else {
            e = GatewayError(502, "upstream_protocol", "\(error)", details: [("target", .string(target))])
            served.finished(.protocolError)
        }
        served.failed(kind: e.code)
        return e
    }

    /// `e` as a client gets it: without the backends' addresses
    /// (`details.target`, and the addresses in the message, each said as
    /// "a backend"), which a client has no use for and an attacker would,
    /// unless `errorDetails` is set. The original goes to the log, under the
    /// request id the answer carries.
    func clientFacing(_ e: GatewayError, pool: BackendPool, requestID: String) -> GatewayError {
        guard !config.errorDetails else { return e }
        let target = e.details.first { $0.0 == "target" }?.1.stringValue
        // Longest first, so that a list of URLs goes before the URLs in it.
        let addresses = Set([pool.target] + pool.status.flatMap { [$0.target, $0.url] } + (target.map { [$0] } ?? []))
            .filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        var message = e.message
        for address in addresses where message.contains(address) {
            message = message.replacingOccurrences(of: address, with: address == pool.target ? "the pool" : "a backend")
        }
        guard target != nil || message != e.message else { return e }
        logger.warning("backend call failed", metadata: [
            "request_id": .string(requestID), "code": .string(e.code), "error": .string(e.message), "target": .string(target ?? pool.target),
        ])
        var answer = GatewayError(e.status, e.code, message, details: e.details.filter { $0.0 != "target" })
        answer.headers = e.headers
        return answer
    }
}
