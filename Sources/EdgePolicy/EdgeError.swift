/// A refusal at the edge, before any handler runs: the HTTP status, the
/// error code of the gateway's JSON error body, and the headers it needs.
public struct EdgeRefusal: Error, Sendable {
    public let status: Int
    public let code: String
    public let message: String
    public var headers: [(String, String)]

    public init(status: Int, code: String, message: String, headers: [(String, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// A caller that must authenticate (again): 401 with a Bearer challenge
    /// (RFC 6750), which names the problem unless credentials were missing.
    public static func unauthenticated(_ message: String, invalid: Bool) -> EdgeRefusal {
        var challenge = "Bearer realm=\"wrpc-gateway\""
        if invalid {
            let description = String(message.map { $0 == "\"" ? "'" : $0 })
            challenge += ", error=\"invalid_token\", error_description=\"\(description)\""
        }
        return EdgeRefusal(status: 401, code: "unauthenticated", message: message, headers: [("WWW-Authenticate", challenge)])
    }

    /// A known caller that may not do this.
    public static func permissionDenied(_ message: String) -> EdgeRefusal {
        EdgeRefusal(status: 403, code: "permission_denied", message: message)
    }
}

/// A configuration file or value that cannot be used: said at start-up.
public struct EdgeConfigError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
