import EventLoops
import Locking

public struct HTTPRequest: Sendable {
    public let method: String
    /// The path as libmicrohttpd hands it over: percent-decoded.
    public let path: String
    /// Header names in lower case.
    public let headers: [(String, String)]
    public let query: [(String, String)]
    /// The whole body, for requests whose body is buffered.
    public let body: [UInt8]
    /// The body as it arrives, for requests whose body is streamed.
    public let bodyStream: BodyReader?
    /// The client's IP address (the peer of the connection).
    public let remoteAddress: String
    /// The request target exactly as sent (percent-encoding, `..` and the
    /// query untouched); "" when the server did not see it.
    public var target = ""
    /// For requests passed on as they came (forwards): every header with its
    /// value's bytes as sent, names in lower case, in order; else empty.
    public var rawHeaders: [(String, [UInt8])] = []
    /// For such requests: the trailers of a chunked body, filled in before
    /// the body's end is read.
    public var trailers: RequestTrailers?

    public init(method: String, path: String, headers: [(String, String)], query: [(String, String)] = [],
                body: [UInt8] = [], bodyStream: BodyReader? = nil, remoteAddress: String = "") {
        self.method = method
        self.path = path
        self.headers = headers
        self.query = query
        self.body = body
        self.bodyStream = bodyStream
        self.remoteAddress = remoteAddress
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0 == name }?.1
    }

    public func queryValue(_ name: String) -> String? {
        query.first { $0.0 == name }?.1
    }
}

/// A streamed request body, piece by piece as the client sends it.
public struct BodyReader: Sendable {
    let queue: ByteQueue

    public init(_ queue: ByteQueue) { self.queue = queue }

    /// The next piece; nil at the end of the body; throws if the client went away.
    public func next() async throws -> [UInt8]? { try await queue.next() }

    /// Stop reading: the rest is read from the client and dropped.
    public func discard() { queue.cancel(CancellationError()) }
}

/// A chunked request's trailers: set by the server when the body ends,
/// before the body stream reports its end.
public final class RequestTrailers: Sendable {
    private let value = Locked<[(String, [UInt8])]?>(nil)

    public init() {}

    /// nil while the body has not ended, or when it was not chunked.
    public var fields: [(String, [UInt8])]? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
