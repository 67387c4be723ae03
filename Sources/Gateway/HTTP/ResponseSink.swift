/// Where a responder writes its answer: the head once, then the body with
/// back-pressure, then a clean end (with trailers) or a failure. Modelled on
/// Hummingbird 2's response body writer.
public protocol ResponseSink: Sendable {
    /// The status line and headers; the body follows.
    func head(_ head: ResponseHead) async throws
    /// Body bytes; waits while the client is slow to take them; throws once
    /// it went away.
    func write(_ bytes: [UInt8]) async throws
    /// A clean end of the body; trailers go out where the protocol allows.
    func finish(trailers: [(String, String)]) async throws
    /// Ends the body so the client can tell it is incomplete.
    func fail(_ error: any Error) async
    /// A whole response in one step.
    func respond(_ response: HTTPResponse) async throws
}

extension ResponseSink {
    public func finish() async throws { try await finish(trailers: []) }

    public func respond(_ response: HTTPResponse) async throws {
        try await head(ResponseHead(status: response.status, headers: response.headers, length: Int64(response.body.count)))
        try await write(response.body)
        try await finish(trailers: [])
    }
}

/// Why a sink refused an operation.
public enum ResponseSinkError: Error, CustomStringConvertible {
    /// The client went away (or the server is stopping).
    case clientGone
    /// The head was already sent, or the body is not open.
    case misuse(String)

    public var description: String {
        switch self {
        case .clientGone: return "the client went away"
        case .misuse(let m): return m
        }
    }
}
