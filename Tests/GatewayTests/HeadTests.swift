import Foundation
import Gateway
import Testing
import WRPCTransport

/// Request heads that libmicrohttpd would read otherwise than a proxy in
/// front of the gateway (folded lines, NULs, control bytes, Host), sent
/// byte for byte over a loopback socket, on `/invoke` and on a forward:
/// each gets one answer, 400 with the JSON error body, and the connection
/// is closed.
@Suite struct HeadTests {
    static let body = FramingTests.body
    static let n = FramingTests.body.utf8.count

    /// `Transfer-Encoding` folded onto a second line: a proxy that unfolds
    /// reads one chunked request; read by `Content-Length`, the chunk would
    /// hold a second request.
    static func foldedSmuggle(_ target: String) -> [UInt8] {
        let second = "GET /app/status/203 HTTP/1.1\r\nHost: x\r\n\r\n"
        let chunk = "\(second)\r\n0\r\n\r\n"
        return Array("POST \(target) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding:\r\n chunked\r\n\r\n\(String(second.utf8.count, radix: 16))\r\n\(chunk)".utf8)
    }

    static let hostileCases = ["obs-fold", "obs-fold smuggling", "NUL in a value", "NUL in the last value", "NUL in Content-Length",
                               "two Hosts", "no Host", "invalid Host", "Host with userinfo", "method not a token", "NUL in the method",
                               "control byte 0x01", "control byte 0x0B", "control byte 0x0C", "control byte 0x1B", "control byte 0x7F"]

    /// The head `name` says, sent to `target`.
    static func hostile(_ name: String, _ target: String) -> [UInt8] {
        let line = "POST \(target) HTTP/1.1"
        let host: [UInt8] = Array("Host: a\r\n".utf8)
        let rest: [UInt8] = Array("Content-Type: application/json\r\nContent-Length: \(n)\r\n\r\n\(body)".utf8)
        func request(_ requestLine: String, _ lines: [UInt8]) -> [UInt8] {
            Array("\(requestLine)\r\n".utf8) + lines + rest
        }
        let start: [UInt8] = Array("\(line)\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: \(n)".utf8)
        let tail: [UInt8] = Array("\r\n\r\n\(body)".utf8)
        switch name {
        case "obs-fold": return request(line, host + Array("X-A: a\r\n folded\r\n".utf8))
        case "obs-fold smuggling": return foldedSmuggle(target)
        case "NUL in the last value": return start + Array("\r\nX-A: a".utf8) + [0] + tail
        case "NUL in Content-Length": return start + [0] + Array("99".utf8) + tail
        case "two Hosts": return request(line, host + Array("Host: b\r\n".utf8))
        case "no Host": return request(line, [])
        case "invalid Host": return request(line, Array("Host: a b@evil\r\n".utf8))
        case "Host with userinfo": return request(line, Array("Host: u@evil\r\n".utf8))
        case "method not a token": return request("X-EVIL\u{01} \(target) HTTP/1.1", host)
        // libmicrohttpd would report the method as `PO`.
        case "NUL in the method": return request("PO\0ST \(target) HTTP/1.1", host)
        default:
            // "NUL in a value" and "control byte 0xNN": the byte inside `X-A`.
            let byte = name.hasPrefix("control") ? UInt8(name.suffix(2), radix: 16)! : 0
            return request(line, host + Array("X-A: a".utf8) + [byte] + Array("b\r\n".utf8))
        }
    }

    @Test(arguments: hostileCases)
    func hostileHeadOnInvokeGetsOne400AndClose(_ name: String) async throws {
        let stack = try FramingTests.stack()
        let raw = try await FramingTests.exchange(stack.port, Self.hostile(name, FramingTests.hello))
        try FramingTests.expectRefusal(raw, 400)
        await stack.stop()
    }

    @Test(arguments: hostileCases)
    func hostileHeadOnAForwardGetsOne400AndClose(_ name: String) async throws {
        let backend = try IncomingBackend()
        defer { backend.stop() }
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/app", urls: [backend.url])]) {
            $0.http.idleTimeoutSeconds = FramingTests.idleTimeoutSeconds
        }
        defer { Task { await gateway.shutdown() } }
        let raw = try await FramingTests.exchange(gateway.port, Self.hostile(name, "/app/echo"))
        #expect(!String(decoding: raw, as: UTF8.self).contains(" 203 "), "a second request was answered")
        try FramingTests.expectRefusal(raw, 400)
    }

    /// Over HTTPS libmicrohttpd parses the decrypted head in place too: the
    /// same refusals.
    @Test(arguments: ["obs-fold", "NUL in Content-Length", "control byte 0x01"])
    func hostileHeadOverHTTPSGetsThe400(_ name: String) async throws {
        let pki = try await TestPKI.shared()
        let live = try TestPKI.scratch()
        defer { try? FileManager.default.removeItem(atPath: live) }
        let stack = try TLSTests().tlsStack(pki, live: live)
        defer { Task { await stack.stop() } }
        let connection = try TLSConnection(port: stack.port, caFile: pki.path("ca1.pem"))
        defer { connection.close() }
        try connection.input.write(contentsOf: Data(Self.hostile(name, FramingTests.hello)))
        let deadline = ContinuousClock.now + .seconds(20)
        var reply: Reply?
        while ContinuousClock.now < deadline, reply == nil {
            if let r = try? parseReply(connection.received.withLock { $0 }), let length = r.header("content-length").flatMap(Int.init),
               r.body.count >= length {
                reply = r
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(reply?.status == 400 && reply?.header("content-type") == "application/json", "\(String(describing: reply))")
    }

    /// What is still served: HTTP/1.0 without Host, Host with a port, an
    /// IPv6 literal, an empty Host, HTAB and bytes over 0x7F in values.
    @Test func plainHeadsAreServed() async throws {
        let stack = try FramingTests.stack()
        let cases: [(String, [UInt8])] = [
            ("HTTP/1.0", []),
            ("HTTP/1.1", Array("Host: a:8080\r\n".utf8)),
            ("HTTP/1.1", Array("Host: [::1]:80\r\n".utf8)),
            ("HTTP/1.1", Array("Host: 127.0.0.1\r\n".utf8)),
            ("HTTP/1.1", Array("Host:\r\n".utf8)),
            ("HTTP/1.1", Array("Host: a\r\nX-A: a\tb \r\nX-B: caf\u{E9}\r\nX-C:\r\n".utf8)),
        ]
        for (version, lines) in cases {
            let head = Array("POST \(FramingTests.hello) \(version)\r\n".utf8) + lines
                + Array("Content-Type: application/json\r\nConnection: close\r\nContent-Length: \(Self.n)\r\n\r\n\(Self.body)".utf8)
            let raw = try await FramingTests.exchange(stack.port, head)
            #expect(try parseReply(raw).status == 200, "\(String(decoding: lines, as: UTF8.self)): \(String(decoding: raw, as: UTF8.self))")
        }
        await stack.stop()
    }

    /// A head of 20 KiB, more than libmicrohttpd's first read buffer, that
    /// comes in small pieces: the buffer grows while the fields are parsed,
    /// and they still tile the head.
    @Test func largeHeadInPiecesIsServed() async throws {
        let stack = try FramingTests.stack()
        let fields = (0..<80).map { "X-Field-\($0): \(String(repeating: "v", count: 240))\r\n" }.joined()
        let head = "POST \(FramingTests.hello) HTTP/1.1\r\nHost: a\r\n\(fields)Content-Type: application/json\r\nConnection: close\r\nContent-Length: \(Self.n)\r\n\r\n\(Self.body)"
        let connection = try await TCPTransport(host: "127.0.0.1", port: stack.port).connect()
        defer { connection.close() }
        let bytes = Array(head.utf8)
        for start in stride(from: 0, to: bytes.count, by: 1024) {
            try await connection.write(Array(bytes[start..<min(start + 1024, bytes.count)]))
            try await Task.sleep(for: .milliseconds(2))
        }
        var raw: [UInt8] = []
        while case let piece = try await connection.read(), !piece.isEmpty { raw += piece }
        #expect(try parseReply(raw).status == 200, "\(String(decoding: raw, as: UTF8.self))")
        await stack.stop()
    }

    /// HTTP/1.2 is served as HTTP/1.1, which RFC 9112 §2.5 allows (a
    /// higher minor version is understood as the highest one implemented);
    /// HTTP/2.0 on this port gets 505.
    @Test func higherMinorVersionIsServedAsHTTP11() async throws {
        let stack = try FramingTests.stack()
        let head = "POST \(FramingTests.hello) HTTP/1.2\r\nHost: a\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: \(Self.n)\r\n\r\n\(Self.body)"
        let raw = try await FramingTests.exchange(stack.port, Array(head.utf8))
        #expect(String(decoding: raw, as: UTF8.self).hasPrefix("HTTP/1.1 200 "))
        let two = try await FramingTests.exchange(stack.port, Array("GET /healthz HTTP/2.0\r\nHost: a\r\n\r\n".utf8))
        #expect(String(decoding: two, as: UTF8.self).hasPrefix("HTTP/1.1 505 "))
        await stack.stop()
    }
}
