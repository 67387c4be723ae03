/// What the HTTP server calls for each request. Modelled on Hummingbird 2's
/// responder: the answer goes to a sink rather than being returned, so it
/// can stream.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest, sink: any ResponseSink) async
    /// Whether this request's body should be handed over as it arrives
    /// (decided from the request line and headers) rather than buffered.
    func streamsBody(method: String, path: String, headers: [(String, String)]) -> Bool
    /// The answer to a request the server refuses before it reaches `respond`.
    func reject(_ rejection: HTTPRejection, _ request: HTTPRequest) -> HTTPResponse
    /// Whether this request is passed on as it came (a forward): its body is
    /// streamed, and it carries its raw header bytes and chunked trailers.
    /// `path` is decoded, `target` as sent.
    func forwardsRaw(method: String, path: String, target: String) -> Bool
}

extension HTTPResponder {
    public func forwardsRaw(method: String, path: String, target: String) -> Bool { false }
}

/// Early refusals the server answers itself, before any handler runs.
public enum HTTPRejection: Sendable {
    case bodyTooLarge(limit: Int)
    case tooManyHeaders(limit: Int)
}

/// Limits the HTTP server enforces before a request reaches the gateway.
public struct HTTPLimits: Sendable {
    public var maxBodyBytes = 16 << 20
    /// Request line and headers together (libmicrohttpd's per-connection memory).
    public var maxHeaderBytes = 32 << 10
    public var maxHeaderCount = 100
    /// Concurrent client connections, over all loops.
    public var maxConnections = 1024
    /// A connection idle this long is closed (slow clients included).
    public var idleTimeoutSeconds = 30

    public init() {}
}
