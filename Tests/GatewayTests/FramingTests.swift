import ComponentValues
import Foundation
import Gateway
import Testing
import WRPCTransport

/// Requests whose framing two parsers could read differently,
/// sent byte for byte over a loopback socket to the real server. Each is
/// refused with the JSON error body and its connection closed, so that
/// nothing after it is read as a next request.
@Suite struct FramingTests {
    static let hello = "/invoke/\(greeter)/hello"
    static let body = #"{"name":"x"}"#

    /// The stacks' idle timeout. A connection the server leaves open is
    /// closed by it, which `exchange` reports. It is not short: in a
    /// loaded test process the client's write once came more than 5 s
    /// after its connect, and a 5 s timeout closed the connection first.
    static let idleTimeoutSeconds = 30

    /// Sends `bytes` and reads until the server closes, which must come
    /// from the answer, not from the idle timeout.
    static func exchange(_ port: Int, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) async throws -> [UInt8] {
        let started = ContinuousClock.now
        let stream = try await TCPTransport(host: "127.0.0.1", port: port).connect()
        defer { stream.close() }
        try await stream.write(bytes)
        var raw: [UInt8] = []
        while case let piece = try await stream.read(), !piece.isEmpty { raw += piece }
        let waited = ContinuousClock.now - started
        #expect(waited < .seconds(idleTimeoutSeconds), "closed only by the idle timeout, after \(waited)", sourceLocation: sourceLocation)
        return raw
    }

    static func stack() throws -> Stack {
        try Stack { $0.http.idleTimeoutSeconds = idleTimeoutSeconds }
    }

    static func post(_ headers: String, _ body: String) -> [UInt8] {
        Array("POST \(hello) HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\(headers)\r\n\(body)".utf8)
    }

    /// One answer only, with `status`, the JSON error body and `Connection: close`.
    static func expectRefusal(_ raw: [UInt8], _ status: Int, code: String = "invalid_argument",
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        let text = String(decoding: raw, as: UTF8.self)
        #expect(text.components(separatedBy: "HTTP/1.1 ").count == 2, "more than one answer: \(text)", sourceLocation: sourceLocation)
        let reply = try parseReply(raw)
        #expect(reply.status == status, "\(text)", sourceLocation: sourceLocation)
        #expect(reply.header("connection")?.lowercased() == "close", sourceLocation: sourceLocation)
        #expect(reply.header("content-type") == "application/json", sourceLocation: sourceLocation)
        if case .object(let fields) = reply.json, case .string(let c)? = fields.first(where: { $0.0 == "code" })?.1 {
            #expect(c == code, sourceLocation: sourceLocation)
        } else {
            Issue.record("not the JSON error body: \(reply.text)", sourceLocation: sourceLocation)
        }
    }

    @Test func ambiguousLengthsAndCodingsAreRefusedAndClosed() async throws {
        let stack = try Self.stack()
        let n = Self.body.utf8.count
        let chunked = "\(String(n, radix: 16))\r\n\(Self.body)\r\n0\r\n\r\n"
        let cases: [(String, String, String, Int)] = [
            ("two lengths", "Content-Length: \(n)\r\nContent-Length: \(n + 5)\r\n", Self.body + "GET /", 400),
            ("length and chunked", "Content-Length: \(n)\r\nTransfer-Encoding: chunked\r\n", chunked, 400),
            ("chunked twice in one", "Transfer-Encoding: chunked, chunked\r\n", chunked, 400),
            ("chunked in two headers", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", chunked, 400),
            ("chunked and a space", "Transfer-Encoding: chunked \r\n", chunked, 400),
            ("gzip, chunked", "Transfer-Encoding: gzip, chunked\r\n", chunked, 501),
            ("identity", "Transfer-Encoding: identity\r\n", Self.body, 501),
            ("xchunked", "Transfer-Encoding: xchunked\r\n", chunked, 501),
        ]
        for (name, headers, body, status) in cases {
            let raw = try await Self.exchange(stack.port, Self.post(headers, body))
            try Self.expectRefusal(raw, status, code: status == 501 ? "unimplemented" : "invalid_argument")
            _ = name
        }
        await stack.stop()
    }

    /// `Content-Length : 35`: libmicrohttpd takes it for an unknown header
    /// and the body for a second request, which must never be answered.
    @Test func whitespaceBeforeTheColonDoesNotSmuggleASecondRequest() async throws {
        let stack = try Self.stack()
        let smuggled = "POST \(Self.hello) HTTP/1.1\r\nHost: a\r\nContent-Length: \(Self.body.utf8.count)\r\n\r\n\(Self.body)"
        let raw = try await Self.exchange(stack.port, Self.post("Content-Length : \(smuggled.utf8.count)\r\n", smuggled))
        try Self.expectRefusal(raw, 400)
        await stack.stop()
    }

    /// Lengths that overflow an `Int` (and one that overflows a `UInt64`,
    /// which libmicrohttpd refuses before the server sees the request) are
    /// over the limit at once.
    @Test(arguments: ["9223372036854775807", "9223372036854775808", "18446744073709551615", "99999999999999999999999"])
    func hugeLengthIsRefusedAtOnce(_ length: String) async throws {
        let stack = try Self.stack()
        let raw = try await Self.exchange(stack.port, Self.post("Content-Length: \(length)\r\n", Self.body))
        try Self.expectRefusal(raw, 413, code: "resource_exhausted")
        await stack.stop()
    }

    /// Lengths libmicrohttpd refuses before the server sees the request:
    /// one answer, the JSON error, not its own page.
    @Test(arguments: ["-1", "+4", "0x4", "4, 4", ""])
    func lengthRefusedByTheHTTPLibraryGetsOneAnswer(_ length: String) async throws {
        let stack = try Self.stack()
        let raw = try await Self.exchange(stack.port, Self.post("Content-Length: \(length)\r\n", Self.body))
        try Self.expectRefusal(raw, 400)
        await stack.stop()
    }

    /// `hello%00x` (or a raw NUL) would reach `hello` if the path were cut
    /// at the NUL, as a C string is; other control bytes have no place in a
    /// target either.
    @Test(arguments: ["%00x", "%00", "<raw NUL>x", "?q=%00", "\u{01}x", "?q=a\u{7F}", "\rx", "\tx"])
    func nulInTheTargetIsRefused(_ written: String) async throws {
        let suffix = written.replacingOccurrences(of: "<raw NUL>", with: "\0")
        let stack = try Self.stack()
        let head = "POST \(Self.hello)\(suffix) HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: \(Self.body.utf8.count)\r\n\r\n"
        let raw = try await Self.exchange(stack.port, Array(head.utf8) + Array(Self.body.utf8))
        try Self.expectRefusal(raw, 400)
        await stack.stop()
    }

    /// What still works: the plain forms, and duplicated identical lengths (RFC 9112 allows them).
    @Test func plainFramingsAreServed() async throws {
        let stack = try Self.stack()
        let n = Self.body.utf8.count
        let chunked = "\(String(n, radix: 16))\r\n\(Self.body)\r\n0\r\n\r\n"
        for headers in ["Content-Length: \(n)\r\n", "Transfer-Encoding: chunked\r\n", "Transfer-Encoding: CHUNKED\r\n",
                        "Content-Length: \(n)\r\nContent-Length: \(n)\r\n"] {
            let body = headers.contains("chunked") || headers.contains("CHUNKED") ? chunked : Self.body
            let raw = try await Self.exchange(stack.port, Self.post(headers + "Connection: close\r\n", body))
            #expect(try parseReply(raw).status == 200, "\(headers): \(String(decoding: raw, as: UTF8.self))")
        }
        await stack.stop()
    }

    /// HEAD on a POST-only route: 405 with `Allow`, and no body.
    @Test func headOnInvokeIs405WithAllowAndNoBody() async throws {
        let stack = try Self.stack()
        let raw = try await Self.exchange(stack.port, Array("HEAD \(Self.hello) HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".utf8))
        let reply = try parseReply(raw)
        #expect(reply.status == 405)
        #expect(reply.header("allow") == "POST")
        #expect(reply.body.isEmpty)
        await stack.stop()
    }
}
