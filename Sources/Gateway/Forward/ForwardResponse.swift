import HTTPHead
import WasiHTTP

/// A `handle` response's head as the HTTP answer's.
struct ForwardResponse {
    let status: Int
    let headers: [(String, String)]
    /// The backend's `content-length`, when it sent one valid value.
    let length: Int64?
    /// Fields left out because their value held a control byte.
    let dropped: Int

    init(_ head: WasiHTTP.ResponseHead) {
        status = Int(head.status)
        let pairs = head.headers.pairs.map { ($0.0.lowercased(), $0.1) }
        let lengths = Set(pairs.filter { $0.0 == "content-length" }.map { String(decoding: $0.1, as: UTF8.self) })
        length = lengths.count == 1 ? lengths.first.flatMap { Int64($0) }.flatMap { $0 >= 0 ? $0 : nil } : nil
        // libmicrohttpd writes the framing headers itself.
        let valid = FieldValue.droppingControls(HopByHop.strip(pairs).filter { $0.0 != "content-length" })
        headers = Self.sendable(valid.kept)
        dropped = valid.dropped
    }

    /// Fields libmicrohttpd can send: a token for a name (values with a
    /// control byte are gone already: CR, LF or NUL could split the head,
    /// the others a client reads its own way). Values that are not UTF-8
    /// have their bad bytes replaced (the server takes C strings).
    static func sendable(_ pairs: [(String, [UInt8])]) -> [(String, String)] {
        pairs.compactMap { name, value in
            guard HTTPToken.isToken(name.utf8), FieldValue.firstControl(value) == nil else { return nil }
            return (name, String(decoding: value, as: UTF8.self))
        }
    }

    /// Whether the answer has no body: to `HEAD`, and for 204 and 304.
    static func bodyless(method: String, status: Int) -> Bool {
        method == "HEAD" || status == 204 || status == 304
    }
}
