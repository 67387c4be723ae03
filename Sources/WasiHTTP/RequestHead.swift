/// `wrpc:http/types.request`, all but the values that stream.
public struct RequestHead: Sendable, Equatable {
    public var body: Carried<[UInt8]>
    public var trailers: Carried<Fields?>
    public var method: Method
    public var pathWithQuery: String?
    public var scheme: Scheme?
    public var authority: String?
    public var headers: Fields

    public init(body: Carried<[UInt8]> = .pending, trailers: Carried<Fields?> = .pending, method: Method,
                pathWithQuery: String?, scheme: Scheme?, authority: String?, headers: Fields) {
        self.body = body
        self.trailers = trailers
        self.method = method
        self.pathWithQuery = pathWithQuery
        self.scheme = scheme
        self.authority = authority
        self.headers = headers
    }

    /// Where a request parameter's streamed parts travel (the record is
    /// parameter 0; a variant or option adds no path element, as the Go
    /// peers send it).
    public static let bodyPath: [UInt32] = [0, 0]
    public static let trailersPath: [UInt32] = [0, 1]

    static let maxPathBytes = 64 << 10

    static func read(_ r: inout CMReader) throws(CMReader.Failure) -> RequestHead {
        let body = try Carried<[UInt8]>.read(&r)
        let trailers = try Carried<Fields?>.read(&r)
        let method = try Method.read(&r)
        let path = try r.option { (r: inout CMReader) throws(CMReader.Failure) in try r.string(limit: maxPathBytes) }
        let scheme = try r.option { (r: inout CMReader) throws(CMReader.Failure) in try Scheme.read(&r) }
        let authority = try r.option { (r: inout CMReader) throws(CMReader.Failure) in try r.string(limit: maxPathBytes) }
        let headers = try Fields.read(&r)
        return RequestHead(body: body, trailers: trailers, method: method, pathWithQuery: path, scheme: scheme,
                           authority: authority, headers: headers)
    }

    func write(_ w: inout CMWriter) {
        body.write(&w)
        trailers.write(&w)
        method.write(&w)
        w.option(pathWithQuery) { $0.string($1) }
        w.option(scheme) { $1.write(&$0) }
        w.option(authority) { $0.string($1) }
        headers.write(&w)
    }

    /// The parameters of `incoming-handler.handle(request)`.
    public func encodeAsIncomingParameters() -> [UInt8] {
        var w = CMWriter()
        write(&w)
        return w.bytes
    }
}

extension RequestHead {
    /// Decodes `incoming-handler.handle(request)`'s parameters; nil while more bytes are needed.
    public static func decodeIncoming(_ bytes: [UInt8]) throws -> RequestHead? {
        try CMReader.decode(bytes, "incoming-handler.handle parameters") { (r: inout CMReader) throws(CMReader.Failure) in
            try RequestHead.read(&r)
        }
    }
}
