import HTTPHead

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
public enum HTTPRejection: Error, Sendable {
    case bodyTooLarge(limit: Int)
    case tooManyHeaders(limit: Int)
    /// Framing two parsers could read differently, or a NUL in the target (400).
    case malformed(String)
    /// A transfer coding other than `chunked` (501).
    case unsupportedTransferCoding(String)
    /// Still in flight when the shutdown grace ran out (503).
    case shuttingDown
    /// A response that began while its request body was still coming
    /// outgrew what is held until the body ends (413).
    case earlyResponseTooLarge(limit: Int)
    /// Over `maxConnections` (503) or `maxConnectionsPerClient` (429).
    case tooManyConnections(limit: Int)
    case tooManyConnectionsFromClient(limit: Int)
    /// The request head did not come within `headerTimeoutSeconds` (408).
    case headerTimeout(seconds: Int)
    /// The body came slower than `minBodyRate` (408).
    case bodyTooSlow(bytesPerSecond: Int)
}

extension HTTPRejection {
    /// A head rule's refusal, answered like every other one.
    init(_ refusal: HeadRefusal) {
        switch refusal {
        case .malformed(let why): self = .malformed(why)
        case .unsupportedTransferCoding(let coding): self = .unsupportedTransferCoding(coding)
        }
    }
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
    /// A response that begins before its request body has ended (a
    /// full-duplex call, e.g. a stream echoed back) is held until the body
    /// ends, since libmicrohttpd sends nothing before; at most this much.
    public var maxEarlyResponseBytes = 4 << 20
    /// The whole request head must come within this many seconds of the
    /// connection opening or the previous request ending (0: no limit).
    public var headerTimeoutSeconds = 30
    /// A request body must come at least this fast, in bytes a second over
    /// each window of `bodyRateWindowSeconds`, while the server reads it (0: no limit).
    public var minBodyRate = 256
    public var bodyRateWindowSeconds = 10
    /// Concurrent connections from one client address (0: no cap).
    public var maxConnectionsPerClient = 0

    public init() {}
}
