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
