import CurlClient

/// Limits and policy of the egress server: what a caller's `request-options`
/// may ask for, what applies when it asks nothing, and where it may go.
public struct EgressConfig: Sendable {
    public struct Timeout: Sendable {
        public var fallback: Duration
        public var maximum: Duration

        public init(fallback: Duration, maximum: Duration) {
            self.fallback = fallback
            self.maximum = maximum
        }

        /// The caller's nanoseconds, clamped; the default without them.
        func resolve(_ nanoseconds: UInt64?) -> Duration {
            guard let nanoseconds else { return fallback }
            return min(.nanoseconds(Int64(clamping: nanoseconds)), maximum)
        }
    }

    public var connectTimeout = Timeout(fallback: .seconds(10), maximum: .seconds(60))
    public var firstByteTimeout = Timeout(fallback: .seconds(60), maximum: .seconds(600))
    /// Also bounds a pause in the caller's own request body and trailers.
    public var betweenBytesTimeout = Timeout(fallback: .seconds(60), maximum: .seconds(600))
    /// The longest a whole exchange may take, however its bytes flow.
    public var totalTimeout: Duration = .seconds(3600)

    /// An open egress is a server-side request forgery hole: a URL is
    /// fetched only if it starts with one of these, unless `allowAnyURL`.
    public var allowedPrefixes: [String] = []
    public var allowAnyURL = false
    /// Loopback, private, link-local (cloud metadata) and other internal
    /// addresses, checked on the address actually connected to.
    public var allowInternalAddresses = false

    public var maxConcurrentCalls = 1024
    public var maxRequestBodyBytes: Int64 = 1 << 40
    public var maxResponseBodyBytes: Int64 = 1 << 40
    /// Request header names and values together.
    public var maxHeaderBytes = 64 << 10

    public init() {}

    /// The URL to fetch for `url` (normalised: dot segments resolved before
    /// the prefixes are compared), or why it may not be fetched.
    func check(_ url: String) -> Result<NormalizedURL, URLAllowlist.Refusal> {
        URLAllowlist(prefixes: allowedPrefixes, any: allowAnyURL).check(url)
    }
}
