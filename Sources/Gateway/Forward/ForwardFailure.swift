import BackendPool
import Logging
import WasiHTTP

/// How a forward failed that a `CallError` does not say.
enum ForwardFailure: Error {
    /// The handler answered `err(error-code)`.
    case errorCode(ErrorCode)
    /// A status HTTP cannot answer with (1xx, or out of range).
    case badStatus(Int)

    func error() -> GatewayError {
        switch self {
        case .errorCode(let code):
            return GatewayError(code.isTimeout ? 504 : 502, "upstream_error_code", "the backend's handler answered error-code \(code)",
                                details: [("error_code", .string(code.caseName))])
        case .badStatus(let status):
            return GatewayError(502, "upstream_protocol", "the backend answered status \(status), which cannot be a final HTTP status",
                                details: [("status", .number(status))])
        }
    }

    /// `e` as a forward's client gets it: without the backends' addresses
    /// (`details.target`, and a message naming one), which a client of a
    /// forward has no use for and an attacker would. They go to the log,
    /// under the request id the answer carries.
    static func clientFacing(_ e: GatewayError, pool: BackendPool, requestID: String, logger: Logger) -> GatewayError {
        let target = e.details.first { $0.0 == "target" }?.1.stringValue
        let addresses = [pool.target] + pool.status.flatMap { [$0.target, $0.url] } + (target.map { [$0] } ?? [])
        let named = addresses.contains { !$0.isEmpty && e.message.contains($0) }
        guard target != nil || named else { return e }
        logger.warning("forward failed", metadata: [
            "request_id": .string(requestID), "code": .string(e.code), "error": .string(e.message), "target": .string(target ?? pool.target),
        ])
        var answer = GatewayError(e.status, e.code, named ? "the backend call failed (\(e.code)); the gateway's log has the cause" : e.message,
                                  details: e.details.filter { $0.0 != "target" })
        answer.headers = e.headers
        return answer
    }
}
