/// A whole response: status, headers and a body in memory.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// The start of a response whose body follows through the sink.
public struct ResponseHead: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    /// The body's length when known in advance (sent as Content-Length);
    /// nil for a chunked body.
    public var length: Int64?

    public init(status: Int, headers: [(String, String)] = [], length: Int64? = nil) {
        self.status = status
        self.headers = headers
        self.length = length
    }
}
