/// A body or trailers value as the record carries it: here already, or
/// coming later on its own path.
public enum Carried<Value: Sendable>: Sendable {
    case ready(Value)
    case pending
}

extension Carried: Equatable where Value: Equatable {}

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
        let body = try readBody(&r)
        let trailers = try readTrailers(&r)
        let method = try Method.read(&r)
        let path = try r.option { (r: inout CMReader) throws(CMReader.Failure) in try r.string(limit: maxPathBytes) }
        let scheme = try r.option { (r: inout CMReader) throws(CMReader.Failure) in try Scheme.read(&r) }
        let authority = try r.option { (r: inout CMReader) throws(CMReader.Failure) in try r.string(limit: maxPathBytes) }
        let headers = try Fields.read(&r)
        return RequestHead(body: body, trailers: trailers, method: method, pathWithQuery: path, scheme: scheme,
                           authority: authority, headers: headers)
    }

    func write(_ w: inout CMWriter) {
        writeBody(body, &w)
        writeTrailers(trailers, &w)
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

/// `request-options`: timeouts in nanoseconds.
public struct RequestOptions: Sendable, Equatable {
    public var connectTimeout: UInt64?
    public var firstByteTimeout: UInt64?
    public var betweenBytesTimeout: UInt64?

    public init(connectTimeout: UInt64? = nil, firstByteTimeout: UInt64? = nil, betweenBytesTimeout: UInt64? = nil) {
        self.connectTimeout = connectTimeout
        self.firstByteTimeout = firstByteTimeout
        self.betweenBytesTimeout = betweenBytesTimeout
    }

    static func read(_ r: inout CMReader) throws(CMReader.Failure) -> RequestOptions {
        func duration(_ r: inout CMReader) throws(CMReader.Failure) -> UInt64? {
            try r.option { (r: inout CMReader) throws(CMReader.Failure) in try r.u64() }
        }
        return RequestOptions(connectTimeout: try duration(&r), firstByteTimeout: try duration(&r),
                              betweenBytesTimeout: try duration(&r))
    }
}

/// `wrpc:http/types.response`, all but the values that stream.
public struct ResponseHead: Sendable, Equatable {
    public var body: Carried<[UInt8]>
    public var trailers: Carried<Fields?>
    public var status: UInt16
    public var headers: Fields

    public init(body: Carried<[UInt8]> = .pending, trailers: Carried<Fields?> = .pending, status: UInt16, headers: Fields) {
        self.body = body
        self.trailers = trailers
        self.status = status
        self.headers = headers
    }

    /// In `result<response, error-code>`, the `ok` payload adds no path element.
    public static let bodyPath: [UInt32] = [0, 0]
    public static let trailersPath: [UInt32] = [0, 1]

    func write(_ w: inout CMWriter) {
        writeBody(body, &w)
        writeTrailers(trailers, &w)
        w.leb(UInt64(status))
        headers.write(&w)
    }

    static func read(_ r: inout CMReader) throws(CMReader.Failure) -> ResponseHead {
        let body = try readBody(&r)
        let trailers = try readTrailers(&r)
        let status = try r.u16()
        return ResponseHead(body: body, trailers: trailers, status: status, headers: try Fields.read(&r))
    }
}

/// `result<response, error-code>`, the result of both handlers.
public enum HandleResult: Sendable, Equatable {
    case response(ResponseHead)
    case failure(ErrorCode)

    public func encode() -> [UInt8] {
        var w = CMWriter()
        switch self {
        case .response(let head):
            w.byte(0)
            head.write(&w)
        case .failure(let code):
            w.byte(1)
            code.write(&w)
        }
        return w.bytes
    }

    /// Decodes the result from `bytes`; nil while more bytes are needed.
    public static func decode(_ bytes: [UInt8]) throws -> HandleResult? {
        var r = CMReader(bytes)
        do throws(CMReader.Failure) {
            switch try r.byte() {
            case 0: return .response(try ResponseHead.read(&r))
            case 1: return .failure(try ErrorCode.read(&r))
            case let t: throw CMReader.Failure.malformed("result tag \(t)")
            }
        } catch .needMore {
            return nil
        } catch .malformed(let m) {
            throw WasiHTTPError.malformed("result<response, error-code>: \(m)")
        }
    }
}

/// The parameters of `outgoing-handler.handle(request, options)`.
public struct OutgoingCall: Sendable, Equatable {
    public var request: RequestHead
    public var options: RequestOptions?

    public init(request: RequestHead, options: RequestOptions?) {
        self.request = request
        self.options = options
    }

    /// Decodes the parameters from `bytes`; nil while more bytes are needed.
    public static func decode(_ bytes: [UInt8]) throws -> OutgoingCall? {
        var r = CMReader(bytes)
        do throws(CMReader.Failure) {
            let request = try RequestHead.read(&r)
            let options = try r.option { (r: inout CMReader) throws(CMReader.Failure) in try RequestOptions.read(&r) }
            return OutgoingCall(request: request, options: options)
        } catch .needMore {
            return nil
        } catch .malformed(let m) {
            throw WasiHTTPError.malformed("outgoing-handler.handle parameters: \(m)")
        }
    }
}

extension RequestHead {
    /// Decodes `incoming-handler.handle(request)`'s parameters; nil while more bytes are needed.
    public static func decodeIncoming(_ bytes: [UInt8]) throws -> RequestHead? {
        var r = CMReader(bytes)
        do throws(CMReader.Failure) {
            return try RequestHead.read(&r)
        } catch .needMore {
            return nil
        } catch .malformed(let m) {
            throw WasiHTTPError.malformed("incoming-handler.handle parameters: \(m)")
        }
    }
}

private func readBody(_ r: inout CMReader) throws(CMReader.Failure) -> Carried<[UInt8]> {
    switch try r.byte() {
    case 0: return .pending
    case 1: return .ready(try r.bytesList(limit: 64 << 20))
    case let t: throw .malformed("stream tag \(t)")
    }
}

private func readTrailers(_ r: inout CMReader) throws(CMReader.Failure) -> Carried<Fields?> {
    switch try r.byte() {
    case 0: return .pending
    case 1: return .ready(try r.option { (r: inout CMReader) throws(CMReader.Failure) in try Fields.read(&r) })
    case let t: throw .malformed("future tag \(t)")
    }
}

private func writeBody(_ body: Carried<[UInt8]>, _ w: inout CMWriter) {
    switch body {
    case .pending: w.byte(0)
    case .ready(let bytes):
        w.byte(1)
        w.bytesList(bytes)
    }
}

private func writeTrailers(_ trailers: Carried<Fields?>, _ w: inout CMWriter) {
    switch trailers {
    case .pending: w.byte(0)
    case .ready(let f):
        w.byte(1)
        w.option(f) { f, fields in fields.write(&f) }
    }
}
