import ComponentValues
import EdgePolicy

/// What the edge's configuration adds to the OpenAPI document: the
/// security schemes callers must use, and the 401, 403 and 429 answers
/// that authentication, a policy and a rate limit bring. Nothing when
/// the edge is open.
public struct OpenAPISecurity: Sendable {
    public var apiKeys = false
    public var jwt = false
    public var policy = false
    public var rateLimit = false

    public init() {}

    public init(_ edge: EdgeConfig) {
        apiKeys = edge.authenticator?.apiKeys != nil
        jwt = edge.authenticator?.jwt != nil
        policy = edge.policy != nil
        rateLimit = edge.rateLimit != nil
    }

    var authenticates: Bool { apiKeys || jwt }

    /// `components.securitySchemes`.
    var schemes: [(String, JSONValue)] {
        var schemes: [(String, JSONValue)] = []
        if apiKeys {
            schemes.append(("apiKey", .object([
                ("type", .string("apiKey")), ("in", .string("header")), ("name", .string("X-API-Key")),
                ("description", .string("An API key of the gateway's keys file.")),
            ])))
        }
        var bearer: [(String, JSONValue)] = [("type", .string("http")), ("scheme", .string("bearer"))]
        if jwt, !apiKeys { bearer.append(("bearerFormat", .string("JWT"))) }
        let what = [apiKeys ? "an API key" : nil, jwt ? "a JWT signed by a key of the gateway's JWKS" : nil].compactMap { $0 }
        bearer.append(("description", .string("`Authorization: Bearer` with \(what.joined(separator: " or ")).")))
        if authenticates { schemes.append(("bearer", .object(bearer))) }
        return schemes
    }

    /// The document's `security`: any one scheme will do.
    var requirement: JSONValue {
        .array(schemes.map { .object([($0.0, .array([]))]) })
    }

    /// The error answers each operation gains.
    var errorResponses: [OpenAPIDocument.ErrorResponse] {
        var responses: [OpenAPIDocument.ErrorResponse] = []
        if authenticates {
            responses.append(.init(status: 401, name: "Unauthenticated",
                                   description: "Credentials missing or not valid; `WWW-Authenticate` carries the Bearer challenge.",
                                   header: ("WWW-Authenticate", "The Bearer challenge (RFC 6750).")))
        }
        if policy {
            responses.append(.init(status: 403, name: "PermissionDenied", description: "The caller may not call this function."))
        }
        if rateLimit {
            responses.append(.init(status: 429, name: "RateLimited", description: "Over the rate limit; retry after `Retry-After` seconds.",
                                   header: ("Retry-After", "Seconds until a request would be let through.")))
        }
        return responses
    }

    /// Error codes the edge may answer with.
    var errorCodes: [String] {
        authenticates ? ["unauthenticated", "permission_denied"] : []
    }
}
