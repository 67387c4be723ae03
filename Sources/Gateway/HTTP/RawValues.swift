import CMicroHTTPD
import HTTPHead

/// A connection's headers or trailers exactly as received: byte lengths from
/// libmicrohttpd, so a NUL or a non-UTF-8 byte cuts nothing short. The
/// framing check reads them, and forwards pass them on.
enum RawValues {
    static func collect(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> [FramingCheck.RawHeader] {
        collectPlaced(connection, kind).headers
    }

    /// The same, with where each name and value lies relative to `origin`
    /// (the request head's first byte), for `HeadLayout`.
    static func collectPlaced(_ connection: OpaquePointer, _ kind: MHD_ValueKind, origin: UnsafeRawPointer? = nil)
        -> (headers: [FramingCheck.RawHeader], fields: [HeadLayout.Field]) {
        let box = Unmanaged.passRetained(RawHeaderBox())
        defer { box.release() }
        MHD_get_connection_values_n(connection, kind, MHDCallbacks.collectWithLengths, box.toOpaque())
        let collected = box.takeUnretainedValue()
        guard let origin else { return (collected.headers, []) }
        // Addresses as offsets, with wrapping arithmetic: a name copied
        // before the head is just a large offset, outside it either way.
        let base = Int(bitPattern: UInt(bitPattern: origin))
        let fields = zip(collected.headers, collected.addresses).map { header, address in
            HeadLayout.Field(name: Int(bitPattern: address.name) &- base, nameCount: header.name.count,
                             value: Int(bitPattern: address.value) &- base, valueCount: header.value.count)
        }
        return (collected.headers, fields)
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
