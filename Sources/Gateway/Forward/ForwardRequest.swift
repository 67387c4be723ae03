import WasiHTTP

/// An HTTP request as `incoming-handler.handle` receives it.
enum ForwardRequest {
    /// The request record: method, the target without the prefix, the
    /// listener's scheme, `Host` as the authority, the headers as sent
    /// without the hop-by-hop ones (and without `Host`, which the authority
    /// carries, as the Go peers send it), then the `x-forwarded-*` headers;
    /// the body and trailers follow on their paths.
    static func head(_ request: HTTPRequest, pathWithQuery: String, https: Bool) -> RequestHead {
        let raw = request.rawHeaders.isEmpty ? request.headers.map { ($0.0, Array($0.1.utf8)) } : request.rawHeaders
        let host = raw.first { $0.0 == "host" }.map { String(decoding: $0.1, as: UTF8.self) }
        let forwardedFor = raw.filter { $0.0 == "x-forwarded-for" }.map { String(decoding: $0.1, as: UTF8.self) }
        var pairs = HopByHop.strip(raw).filter {
            $0.0 != "host" && $0.0 != "x-forwarded-for" && $0.0 != "x-forwarded-proto" && $0.0 != "x-forwarded-host"
        }
        // The client's own list, if any, with its address appended.
        pairs.append(("x-forwarded-for", Array((forwardedFor + [request.remoteAddress]).filter { !$0.isEmpty }.joined(separator: ", ").utf8)))
        pairs.append(("x-forwarded-proto", Array((https ? "https" : "http").utf8)))
        if let host { pairs.append(("x-forwarded-host", Array(host.utf8))) }
        return RequestHead(body: .pending, trailers: .pending, method: Method(request.method), pathWithQuery: pathWithQuery,
                           scheme: https ? .https : .http, authority: host, headers: Fields(pairs: pairs))
    }
}
