/// Which web origins may call the gateway from a browser (`--cors-origin`).
/// An allowed origin's preflight gets the methods and headers the gateway
/// accepts and how long to cache them; its requests get
/// `Access-Control-Allow-Origin` and the response headers scripts may read.
/// Any other origin gets no CORS header at all, so the browser keeps the
/// answer from its script.
public struct CORSPolicy: Sendable {
    public let anyOrigin: Bool
    public let origins: Set<String>
    /// `Access-Control-Max-Age` of preflight answers, in seconds.
    public var maxAge: Int

    public static let methods = "GET, HEAD, POST, OPTIONS"
    public static let allowedHeaders = "Authorization, Content-Type, Accept, X-API-Key, X-Request-Id, Wrpc-Timeout-Ms"
    public static let exposedHeaders = "X-Request-Id, Retry-After, WWW-Authenticate"

    /// `origins` as given: full origins (`https://app.example.com`) or `*`.
    public init(origins: [String], maxAge: Int = 600) throws(EdgeConfigError) {
        var set: Set<String> = []
        var any = false
        for origin in origins {
            if origin == "*" {
                any = true
                continue
            }
            var o = origin.lowercased()
            while o.hasSuffix("/") { o.removeLast() }
            guard o.hasPrefix("http://") || o.hasPrefix("https://"), !o.dropFirst(8).contains("/") else {
                throw EdgeConfigError("--cors-origin \(origin): expected `*` or an origin like https://app.example.com (scheme, host, optional port)")
            }
            set.insert(o)
        }
        guard maxAge >= 0 else { throw EdgeConfigError("--cors-max-age must not be negative") }
        anyOrigin = any
        self.origins = set
        self.maxAge = maxAge
    }

    /// On every answer while CORS is on, whatever the request's origin (or
    /// none): the CORS headers depend on it, even with `*` (a request
    /// without `Origin` gets none), so a shared cache must key on it.
    public static let vary = ("Vary", "Origin")

    public func allows(origin: String) -> Bool {
        anyOrigin || origins.contains(origin.lowercased())
    }

    /// The headers of an allowed origin's actual request.
    public func responseHeaders(origin: String) -> [(String, String)] {
        [
            ("Access-Control-Allow-Origin", anyOrigin ? "*" : origin),
            ("Access-Control-Expose-Headers", Self.exposedHeaders),
        ]
    }

    /// The headers of an allowed origin's preflight (`OPTIONS` with
    /// `Access-Control-Request-Method`), answered 204 without going further.
    public func preflightHeaders(origin: String) -> [(String, String)] {
        [
            ("Access-Control-Allow-Origin", anyOrigin ? "*" : origin),
            ("Access-Control-Allow-Methods", Self.methods),
            ("Access-Control-Allow-Headers", Self.allowedHeaders),
            ("Access-Control-Max-Age", String(maxAge)),
        ]
    }
}
