import Foundation
import HTTPHead
import WasiHTTP

/// An HTTP request as `incoming-handler.handle` receives it.
enum ForwardRequest {
    /// The request record: method, the target without the prefix, the
    /// listener's scheme, `Host` as the authority, the headers as sent
    /// without the hop-by-hop ones (and without `Host`, which the authority
    /// carries, as the Go peers send it), then the forwarding headers the
    /// gateway vouches for: `x-forwarded-for` and `forwarded` (RFC 7239)
    /// each the client's list with this hop appended, `x-forwarded-proto`,
    /// `x-forwarded-host` and `x-real-ip` its own, and `x-request-id` the id
    /// the gateway logged (the client's only when it was accepted); the body
    /// and trailers follow on their paths.
    static func head(_ request: HTTPRequest, pathWithQuery: String, https: Bool, requestID: String) -> RequestHead {
        let raw = request.rawHeaders.isEmpty ? request.headers.map { ($0.0, Array($0.1.utf8)) } : request.rawHeaders
        let host = raw.first { $0.0 == "host" }.map { String(decoding: $0.1, as: UTF8.self) }
        func given(_ name: String) -> [String] { raw.filter { $0.0 == name }.map { String(decoding: $0.1, as: UTF8.self) } }
        let proto = https ? "https" : "http"
        let address = request.remoteAddress
        var pairs = HopByHop.strip(raw).filter { !rewritten.contains($0.0) }
        func add(_ name: String, _ value: String) { pairs.append((name, Array(value.utf8))) }
        // The client's own lists, if any, with this hop appended.
        add("x-forwarded-for", (given("x-forwarded-for") + [address]).filter { !$0.isEmpty }.joined(separator: ", "))
        add("x-forwarded-proto", proto)
        if let host { add("x-forwarded-host", host) }
        var element = ["proto=" + proto]
        if !address.isEmpty { element.insert("for=" + quoted(address.contains(":") ? "[\(address)]" : address), at: 0) }
        if let host { element.append("host=" + quoted(host)) }
        add("forwarded", (given("forwarded") + [element.joined(separator: ";")]).joined(separator: ", "))
        if !address.isEmpty { add("x-real-ip", address) }
        add("x-request-id", requestID)
        return RequestHead(body: .pending, trailers: .pending, method: Method(request.method), pathWithQuery: pathWithQuery,
                           scheme: https ? .https : .http, authority: host, headers: Fields(pairs: pairs))
    }

    /// The client's headers the gateway replaces with its own.
    static let rewritten: Set<String> = [
        "host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded", "x-real-ip", "x-request-id",
    ]

    /// A `forwarded` parameter value: a token as it is, anything else
    /// (an IPv6 address, `host:port`) as a quoted-string (RFC 7239 §4).
    private static func quoted(_ value: String) -> String {
        guard value.isEmpty || !value.utf8.allSatisfy(HTTPToken.isTokenByte) else { return value }
        return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
