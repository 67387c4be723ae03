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
        try CMReader.decode(bytes, "outgoing-handler.handle parameters") { (r: inout CMReader) throws(CMReader.Failure) in
            let request = try RequestHead.read(&r)
            let options = try r.option { (r: inout CMReader) throws(CMReader.Failure) in try RequestOptions.read(&r) }
            return OutgoingCall(request: request, options: options)
        }
    }
}
