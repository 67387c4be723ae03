/// RFC 9112 §6.3 and §5.1, checked on the headers exactly as libmicrohttpd
/// received them rather than on the choice it made: it answers with the
/// first of two `Content-Length`s, takes `Content-Length : 35` for an
/// unknown header (so the body becomes a second request), reads a body of
/// `Transfer-Encoding: gzip, chunked` until the connection ends, and
/// accepts lengths from 2^63 that overflow an `Int`. Any request whose
/// framing two parsers could read differently is refused and its
/// connection closed.
public enum FramingCheck {
    /// The headers as received: names and values as bytes, NULs included.
    public typealias RawHeader = (name: [UInt8], value: [UInt8])

    /// The body's declared length (`UInt64.max` for one past it), or nil
    /// when it is chunked or absent; or why the request is refused.
    public static func bodyLength(_ headers: [RawHeader]) -> Result<UInt64?, HeadRefusal> {
        var lengths: [[UInt8]] = []
        var codings: [[UInt8]] = []
        for (name, value) in headers {
            guard HTTPToken.isToken(name) else {
                return .failure(.malformed("the header name `\(printable(name))` is not a token (whitespace before the colon?)"))
            }
            // RFC 9110 §5.5: a field value holds no control byte but HTAB.
            if let control = FieldValue.firstControl(value) {
                let what = control == 0 ? "a NUL byte" : "the control byte 0x\(String(control, radix: 16, uppercase: true))"
                return .failure(.malformed("the header `\(printable(name))` holds \(what)"))
            }
            switch lowercased(name) {
            case Array("content-length".utf8): lengths.append(value)
            case Array("transfer-encoding".utf8): codings.append(value)
            default: break
            }
        }
        if !codings.isEmpty {
            guard lengths.isEmpty else {
                return .failure(.malformed("Content-Length together with Transfer-Encoding"))
            }
            return transferCoding(codings).map { _ in nil }
        }
        guard let first = lengths.first else { return .success(nil) }
        guard lengths.allSatisfy({ $0 == first }) else {
            return .failure(.malformed("Content-Length given more than once with different values"))
        }
        guard !first.isEmpty, first.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return .failure(.malformed("Content-Length `\(printable(first))` is not a decimal number"))
        }
        return .success(decimal(first))
    }

    /// Only `chunked`, once, is a framing this server reads.
    private static func transferCoding(_ values: [[UInt8]]) -> Result<Void, HeadRefusal> {
        if values.count == 1, lowercased(values[0]) == Array("chunked".utf8) { return .success(()) }
        let elements = values.flatMap { $0.split(separator: 0x2C, omittingEmptySubsequences: false) }
            .map { String(decoding: $0, as: UTF8.self).trimmingSpaces.lowercased() }
        if let unknown = elements.first(where: { !$0.isEmpty && $0 != "chunked" }) {
            return .failure(.unsupportedTransferCoding(unknown))
        }
        let joined = values.map { printable($0) }.joined(separator: ", ")
        return .failure(.malformed("Transfer-Encoding `\(joined)` is not exactly `chunked`"))
    }

    /// A path with a NUL in it, percent-encoded or raw: libmicrohttpd hands
    /// the target over as a C string, which would end there and name
    /// another function. `target` is the target as the URI logger saw it
    /// (up to a raw NUL); `versionFollows` says whether the request line's
    /// version starts right after it, which a raw NUL prevents. Any other
    /// control byte (a bare CR, a tab, DEL) is refused too: RFC 3986 has no
    /// place for one, and a log or a backend could read it as a line end.
    public static func controlBytes(inTarget target: [UInt8], versionFollows: Bool) -> HeadRefusal? {
        if let control = target.first(where: { $0 < 0x20 || $0 == 0x7F }) {
            return .malformed("the request target holds the control byte 0x\(String(control, radix: 16, uppercase: true))")
        }
        let percentNUL: [UInt8] = Array("%00".utf8)
        let encoded = target.indices.contains { target[$0...].starts(with: percentNUL) }
        guard encoded || !versionFollows else { return nil }
        return .malformed("the request target holds a NUL byte")
    }

    private static func decimal(_ digits: [UInt8]) -> UInt64 {
        var n: UInt64 = 0
        for d in digits {
            let (times10, o1) = n.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(d - 0x30))
            if o1 || o2 { return .max }
            n = sum
        }
        return n
    }

    private static func lowercased(_ bytes: [UInt8]) -> [UInt8] {
        bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
    }

    /// For messages: control bytes shown as `?`, at most 64 bytes.
    public static func printable(_ bytes: some Sequence<UInt8>) -> String {
        String(decoding: bytes.prefix(64).map { $0 < 0x20 || $0 == 0x7F ? 0x3F : $0 }, as: UTF8.self)
    }
}

private extension String {
    /// Without leading and trailing spaces and tabs (HTTP's OWS).
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
