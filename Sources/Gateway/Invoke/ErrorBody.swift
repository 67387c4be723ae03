import ComponentValues
import WRPCTransport

/// An error the gateway answers itself: `{"code", "message", "details"}`.
public struct GatewayError: Error, Sendable {
    public let status: Int
    public let code: String
    public let message: String
    public var details: [(String, JSONValue)] = []
    public var headers: [(String, String)] = []

    public init(_ status: Int, _ code: String, _ message: String, details: [(String, JSONValue)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    public var body: [UInt8] {
        JSONValue.object([("code", .string(code)), ("message", .string(message)), ("details", .object(details))]).bytes + [0x0A]
    }

    /// The error as the client gets it.
    public var response: HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: body)
    }

    static func invalidArgument(_ message: String, pointer: String? = nil) -> GatewayError {
        GatewayError(400, "invalid_argument", message, details: pointer.map { [("path", .string($0))] } ?? [])
    }

    static func notFound(_ message: String) -> GatewayError { GatewayError(404, "not_found", message) }

    static func methodNotAllowed(_ allowed: String) -> GatewayError {
        var e = GatewayError(405, "invalid_argument", "method not allowed; use \(allowed)", details: [("allow", .string(allowed))])
        e.headers = [("Allow", allowed)]
        return e
    }

    /// What a failed backend call becomes.
    static func from(_ error: CallError, target: String) -> GatewayError {
        let details: [(String, JSONValue)] = [("target", .string(target))]
        switch error {
        case .unavailable(let m): return GatewayError(503, "unavailable", m, details: details)
        case .deadlineExceeded(let m): return GatewayError(504, "deadline_exceeded", m, details: details)
        case .protocolError(let m): return GatewayError(502, "upstream_protocol", m, details: details)
        case .resultTooLarge(let m): return GatewayError(502, "resource_exhausted", m, details: details)
        case .cancelled: return GatewayError(499, "cancelled", "the client went away", details: details)
        }
    }

    /// The metric label for upstream failures.
    var upstreamKind: String? {
        switch status {
        case 502, 503, 504: return code
        default: return nil
        }
    }
}
