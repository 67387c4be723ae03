import BackendPool
import CurlClient
import EdgePolicy
import WRPCTransport

/// Everything the gateway needs to run; the CLI fills it from flags and
/// `WRPC_GATEWAY_…` environment variables.
public struct GatewayConfig: Sendable {
    /// The default backends, e.g. `tcp://127.0.0.1:7761` or `unix:///run/wrpc.sock`:
    /// one pool, balanced.
    public var targets: [String]
    /// Instances served elsewhere: instance → their pool's backend URLs.
    public var routes: [String: [String]] = [:]
    /// HTTP forwarded as it comes to `wrpc:http/incoming-handler` backends, by path prefix.
    public var forwards: [ForwardRoute] = []
    /// How pools balance, eject and re-resolve.
    public var pool = PoolSettings()
    public var host = "127.0.0.1"
    public var port = 8080
    public var http = HTTPLimits()
    /// The largest JSON response the gateway builds.
    public var maxResponseBytes = 64 << 20
    /// Deadline of a call without `Wrpc-Timeout-Ms`, and the most that header may ask for.
    public var defaultTimeout: Duration = .seconds(30)
    public var maxTimeout: Duration = .seconds(300)
    /// Once stream bytes flow, a call lives while they keep flowing: it
    /// fails only after this long without any (never before its deadline).
    public var streamIdleTimeout: Duration = .seconds(30)
    /// How long in-flight requests may take to finish on shutdown.
    public var shutdownGrace: Duration = .seconds(10)
    /// `stream<u8>` parameters given as `{"url": …}`: off unless prefixes are allowed.
    public var urlFetch = URLFetchPolicy()
    /// Whether `GET /` and `/console/…` serve the browser console.
    public var console = true
    /// Authentication, exposure, policy, CORS and rate limits: all off by default.
    public var edge = EdgeConfig()
    /// HTTPS instead of HTTP, when set.
    public var tls: TLSSettings?
    /// Signs the resource handle tokens; replicas behind one address need
    /// the same. nil: a random key of this process.
    public var resourceKey: ResourceKey?
    /// Whether `/readyz` names the backends (their addresses and why they
    /// are out) to every caller, not only to authenticated ones.
    public var readyzDetails = false
    /// Whether error bodies of `/invoke` calls and forwards name the backend
    /// (`details.target`, and messages that name it). Off: the address goes
    /// to the log under the request id, and the client gets the code. A
    /// pinned call's 503 names its member either way: the client's token
    /// carries that address already.
    public var errorDetails = false

    public init(targets: [String]) {
        self.targets = targets
    }

    public init(target: String) {
        self.init(targets: [target])
    }

    /// The backend URLs an instance is called on.
    public func targetURLs(for instance: String) -> [String] {
        routes[instance] ?? targets
    }
}

/// Which URLs the gateway may fetch to feed a `stream<u8>` parameter.
public struct URLFetchPolicy: Sendable {
    /// A URL is fetched only if its normalised form starts with one of
    /// these; empty: none is.
    public var allowedPrefixes: [String] = []
    /// Loopback, private, link-local (cloud metadata) and other internal
    /// addresses, checked on the address actually connected to, as at the egress.
    public var allowInternalAddresses = false
    public var limits = FetchLimits()
    public var maxRedirects = 5

    public init() {}

    /// The URL to fetch for `url` (normalised: dot segments resolved before
    /// the prefixes are compared), or why it may not be fetched.
    public func check(_ url: String) -> Result<NormalizedURL, URLAllowlist.Refusal> {
        URLAllowlist(prefixes: allowedPrefixes).check(url)
    }
}
