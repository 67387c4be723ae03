/// The edge's policy: who may call (authentication), what is served at all
/// (exposure) and by whom (policy), which browsers may call (CORS), and
/// how often (rate limit). Everything is off by default.
public struct EdgeConfig: Sendable {
    public var authenticator: Authenticator?
    public var exposure = Exposure()
    public var policy: AccessPolicy?
    public var cors: CORSPolicy?
    public var rateLimit: RateLimit?
    /// Routes answered without credentials or rate limit.
    public var publicRoutes = PublicRoutes()

    public init() {}
}

/// Paths anyone may ask for: by default the probes, which orchestrators
/// call without a key; the gateway adds its console's files, which hold
/// nothing secret (the calls the page makes need credentials like any other).
public struct PublicRoutes: Sendable {
    public var paths: Set<String> = ["/healthz", "/readyz"]
    public var prefixes: [String] = []

    public init() {}

    public func contains(_ path: String) -> Bool {
        paths.contains(path) || prefixes.contains { path.hasPrefix($0) }
    }
}
