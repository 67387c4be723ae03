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
}
