/// RFC 9112 §3.2: a request carries exactly one `Host` (HTTP/1.0 may leave
/// it out), and its value is `uri-host [ ":" port ]` (RFC 3986 §3.2.2), or
/// empty when the target has no authority. Forwards pass the authority on,
/// so a second Host or `a b@evil` would name a host the checks never saw.
public enum HostHeader {
    public static func check(_ headers: [FramingCheck.RawHeader], version: String) -> HeadRefusal? {
        let hosts = headers.filter { $0.name.count == 4 && String(decoding: $0.name, as: UTF8.self).lowercased() == "host" }
        if hosts.count > 1 { return .malformed("Host given more than once") }
        guard let host = hosts.first else {
            return version == "HTTP/1.0" ? nil : .malformed("no Host header (RFC 9112 §3.2 requires one)")
        }
        return isValid(host.value) ? nil : .malformed("Host `\(FramingCheck.printable(host.value))` is not a host and port")
    }

    public static func isValid(_ value: [UInt8]) -> Bool {
        var rest = value[...]
        if rest.first == UInt8(ascii: "[") {
            // IP-literal: an IPv6 address or IPvFuture, between brackets.
            guard let close = rest.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let inside = rest[rest.index(after: rest.startIndex)..<close]
            guard !inside.isEmpty, inside.allSatisfy({ URIBytes.isUnreserved($0) || URIBytes.isSubDelim($0) || $0 == UInt8(ascii: ":") }) else {
                return false
            }
            rest = rest[rest.index(after: close)...]
        } else {
            // reg-name (IPv4 addresses included): unreserved, sub-delims, %XX.
            let end = rest.firstIndex(of: UInt8(ascii: ":")) ?? rest.endIndex
            guard isRegName(rest[..<end]) else { return false }
            rest = rest[end...]
        }
        guard let colon = rest.first else { return true }
        return colon == UInt8(ascii: ":") && rest.dropFirst().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    private static func isRegName(_ bytes: ArraySlice<UInt8>) -> Bool {
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "%") {
                guard i + 2 < bytes.endIndex, bytes[i + 1].isHexDigit, bytes[i + 2].isHexDigit else { return false }
                i += 3
                continue
            }
            guard URIBytes.isUnreserved(b) || URIBytes.isSubDelim(b) else { return false }
            i += 1
        }
        return true
    }
}

private extension UInt8 {
    var isHexDigit: Bool {
        (self >= 0x30 && self <= 0x39) || (self >= 0x41 && self <= 0x46) || (self >= 0x61 && self <= 0x66)
    }
}
