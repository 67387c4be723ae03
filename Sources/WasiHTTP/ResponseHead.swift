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
        body.write(&w)
        trailers.write(&w)
        w.leb(UInt64(status))
        headers.write(&w)
    }

    static func read(_ r: inout CMReader) throws(CMReader.Failure) -> ResponseHead {
        let body = try Carried<[UInt8]>.read(&r)
        let trailers = try Carried<Fields?>.read(&r)
        let status = try r.u16()
        return ResponseHead(body: body, trailers: trailers, status: status, headers: try Fields.read(&r))
    }
}
