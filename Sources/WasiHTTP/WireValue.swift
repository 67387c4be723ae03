/// Reading one wasi:http value (a handler's parameters or result, a
/// trailers future) off the frames of its path, however they are split.
public enum WireValue {
    /// Reads pieces with `next` until `decode` makes a value of them; more
    /// than `maxBytes` without one is refused, not buffered, and an end
    /// before the value is complete throws `endedEarly`.
    public static func collect<T>(_ what: String, maxBytes: Int, next: () async throws -> [UInt8]?,
                                  endedEarly: @autoclosure () -> any Error,
                                  _ decode: ([UInt8]) throws -> T?) async throws -> T {
        var bytes: [UInt8] = []
        while true {
            if let value = try decode(bytes) { return value }
            guard bytes.count <= maxBytes else {
                throw WasiHTTPError.malformed("\(what) over \(maxBytes) bytes")
            }
            guard let more = try await next() else { throw endedEarly() }
            bytes += more
        }
    }

    /// `option<fields>` (a trailers future's value) off its path.
    public static func trailers(maxBytes: Int = 1 << 20, next: () async throws -> [UInt8]?,
                                endedEarly: @autoclosure () -> any Error) async throws -> Fields? {
        try await collect("trailers", maxBytes: maxBytes, next: next, endedEarly: endedEarly()) { bytes -> Fields?? in
            let (fields, complete) = try Fields.decodeOptional(bytes)
            return complete ? .some(fields) : nil
        }
    }
}
