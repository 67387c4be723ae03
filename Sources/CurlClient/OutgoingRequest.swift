import EventLoops

/// What a `Transfer` sends: any method, headers as bytes, and a body read
/// from a `ByteQueue` as libcurl sends it (chunked when its length is not
/// known), with trailers after it.
public struct OutgoingRequest: Sendable {
    public var method: String
    public var url: String
    /// Header lines as given; Content-Length and hop-by-hop headers are
    /// libcurl's to write and are left out.
    public var headers: [(String, [UInt8])]
    public var body: ByteQueue?
    /// The body's length when known (sent as Content-Length).
    public var bodyLength: Int64?
    /// Read once the body has ended, for a chunked body's trailers.
    public var trailers: (@Sendable () -> [(String, [UInt8])])?
    /// Whether loopback, private, link-local and other internal addresses
    /// may be connected to (checked on each address curl connects to).
    public var allowInternalAddresses = true
    public var tls = TLSClientOptions()

    public init(method: String = "GET", url: String, headers: [(String, [UInt8])] = [], body: ByteQueue? = nil,
                bodyLength: Int64? = nil, trailers: (@Sendable () -> [(String, [UInt8])])? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.bodyLength = bodyLength
        self.trailers = trailers
    }

    /// Headers that describe one connection, or that libcurl writes itself.
    static let notForwarded: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade", "content-length", "expect",
    ]

    /// A header line libcurl can send, NUL-terminated, its value bytes as
    /// given (they need not be UTF-8); nil if a NUL, CR or LF would break it.
    static func line(_ name: String, _ value: [UInt8]) -> [UInt8]? {
        guard !name.isEmpty, !name.utf8.contains(where: { $0 <= 32 || $0 == 58 || $0 >= 127 }),
              !value.contains(where: { $0 == 0 || $0 == 10 || $0 == 13 }) else { return nil }
        // An empty value needs curl's "Name;" form, or curl drops the header.
        if value.isEmpty { return Array(name.utf8) + [UInt8(ascii: ";"), 0] }
        return Array(name.utf8) + Array(": ".utf8) + value + [0]
    }
}

/// Why a transfer failed, in classes a caller can map to its own errors.
public enum TransferFailure: Error, Sendable, Equatable {
    case couldNotResolve
    case couldNotConnect
    case timedOut
    case tls(certificate: Bool)
    case sendFailed
    case receiveFailed
    case tooLarge
    case badHeader(String)
    /// The address the name resolved to is internal, and not allowed.
    case internalAddress
    case cancelled
    case other
}
