import CMicroHTTPD

/// A connection's headers or trailers exactly as received: byte lengths from
/// libmicrohttpd, so a NUL or a non-UTF-8 byte cuts nothing short. The
/// framing check reads them, and forwards pass them on.
enum RawValues {
    static func collect(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> [FramingCheck.RawHeader] {
        let box = Unmanaged.passRetained(RawHeaderBox())
        defer { box.release() }
        MHD_get_connection_values_n(connection, kind, MHDCallbacks.collectWithLengths, box.toOpaque())
        return box.takeUnretainedValue().headers
    }

    /// Names in lower case, values as text (a header with a NUL or a bad
    /// byte is refused by the framing check before anything reads it).
    static func text(_ raw: [FramingCheck.RawHeader]) -> [(String, String)] {
        raw.map { (String(decoding: $0.name, as: UTF8.self).lowercased(), String(decoding: $0.value, as: UTF8.self)) }
    }

    /// Names in lower case (header names are tokens: ASCII), values as bytes.
    static func byName(_ raw: [FramingCheck.RawHeader]) -> [(String, [UInt8])] {
        raw.map { (String(decoding: $0.name, as: UTF8.self).lowercased(), $0.value) }
    }
}
