import WasiHTTP

/// The request's `authority` decides its `Host` (libcurl writes it from the
/// URL, the one the allowlist checked): a caller's `host` header could
/// otherwise name another virtual host behind the same address. As wasi:http
/// hosts treat `host` as a forbidden field, a caller's `host` that names
/// anything else than the authority gets the request denied; one that names
/// the same host and port is dropped, as libcurl's own says the same.
enum HostField {
    /// The request's header pairs without `host`, or nil when a `host`
    /// value differs from the authority (ASCII case aside, and a default
    /// port written or not).
    static func drop(from head: RequestHead) -> [(String, [UInt8])]? {
        let https = head.scheme == .https
        let authority = canonical(Array((head.authority ?? "").utf8), https: https)
        var kept: [(String, [UInt8])] = []
        for (name, value) in head.headers.pairs {
            guard name.lowercased() == "host" else {
                kept.append((name, value))
                continue
            }
            guard canonical(value, https: https) == authority else { return nil }
        }
        return kept
    }

    /// Host and port in lower case, without the scheme's default port (an
    /// authority with user information never gets here: it is refused as
    /// an invalid URL).
    static func canonical(_ value: [UInt8], https: Bool) -> [UInt8] {
        var host = value.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        let defaultPort = Array((https ? ":443" : ":80").utf8)
        if host.count > defaultPort.count, host.suffix(defaultPort.count).elementsEqual(defaultPort) {
            host.removeLast(defaultPort.count)
        }
        return host
    }
}
