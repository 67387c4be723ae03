@testable import Gateway
import Testing
import WasiHTTP

/// The `forwarded` element a forward appends (RFC 7239 §4): values that
/// are not tokens, such as IPv6 addresses and `host:port`, quoted.
@Suite struct ForwardedHeaderTests {
    func forwarded(remote: String, host: String) -> [String] {
        let request = HTTPRequest(method: "GET", path: "/app/x", headers: [("host", host), ("forwarded", "for=unknown")], remoteAddress: remote)
        let head = ForwardRequest.head(request, pathWithQuery: "/x", https: true, requestID: "r-1")
        return head.headers.entries.filter { $0.name == "forwarded" }.flatMap(\.values).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func nonTokensAreQuoted() {
        #expect(forwarded(remote: "::1", host: "[::1]:8443") == [#"for=unknown, for="[::1]";proto=https;host="[::1]:8443""#])
        #expect(forwarded(remote: "10.0.0.2", host: "example.test") == ["for=unknown, for=10.0.0.2;proto=https;host=example.test"])
        #expect(forwarded(remote: "10.0.0.2", host: #"a"b\c"#) == [#"for=unknown, for=10.0.0.2;proto=https;host="a\"b\\c""#])
    }
}
