import ComponentValues
import DemoBackend
import EdgePolicy
import EventLoops
import Foundation
import Gateway
import Synchronization
import Testing
import TestSupport
import WasiHTTP
import WRPCTransport

/// `--forward`: plain HTTP through the real server to an incoming handler
/// over loopback wRPC, and back.
@Suite struct ForwardTests {
    /// Method, target, authority, headers (hop-by-hop ones out, repeated
    /// names grouped, x-forwarded-* added) and the body reach the handler.
    @Test func requestMapping() async throws {
        let backend = try IncomingBackend()
        defer { backend.stop() }
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/app", urls: [backend.url])])
        defer { Task { await gateway.shutdown() } }
        let raw = try await rawHTTP(gateway.port, """
            PUT /app/echo?q=1 HTTP/1.1\r
            Host: example.test:81\r
            Connection: close, x-hop\r
            X-Hop: gone\r
            Keep-Alive: timeout=5\r
            TE: trailers\r
            Upgrade: h2c\r
            Proxy-Connection: keep-alive\r
            X-Multi: one\r
            X-Multi: two\r
            X-Forwarded-For: 10.0.0.1\r
            Content-Length: 5\r
            \r

            """, body: Array("hello".utf8))
        let reply = try parseReply(raw)
        #expect(reply.status == 200)
        #expect(reply.text == "hello")
        #expect(reply.header("x-method") == "PUT")
        #expect(reply.header("x-path") == "/echo?q=1")
        #expect(reply.header("x-authority") == "example.test:81")
        #expect(reply.headers.filter { $0.0 == "x-echo-x-multi" }.map(\.1) == ["one", "two"])
        #expect(reply.header("x-echo-x-forwarded-for") == "10.0.0.1, 127.0.0.1")
        #expect(reply.header("x-echo-x-forwarded-proto") == "http")
        #expect(reply.header("x-echo-x-forwarded-host") == "example.test:81")
        #expect(reply.header("x-echo-content-length") == "5")
        for gone in ["connection", "x-hop", "keep-alive", "te", "upgrade", "proxy-connection", "host", "transfer-encoding"] {
            #expect(reply.header("x-echo-\(gone)") == nil, "\(gone) was passed on")
        }
    }

    /// The target as sent, `%2F` and `..` included; the prefix alone is `/`;
    /// prefixes match whole segments; unknown methods pass as `other`.
    @Test func rawTargets() async throws {
        let backend = try IncomingBackend()
        defer { backend.stop() }
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/app", urls: [backend.url])])
        defer { Task { await gateway.shutdown() } }
        for (target, passed) in [("/app/echo/a%2Fb/../c?x=%20y&z", "/echo/a%2Fb/../c?x=%20y&z"), ("/app/echo/%2e%2e/", "/echo/%2e%2e/")] {
            let reply = try await http(gateway.port, "GET", target)
            #expect(reply.header("x-path") == passed)
        }
        // The prefix alone: the demo app's index at `/`.
        #expect(try await http(gateway.port, "GET", "/app").status == 200)
        #expect(try await http(gateway.port, "GET", "/app?x=1").status == 200)
        #expect(try await http(gateway.port, "GET", "/apple").status == 404)
        #expect(try await http(gateway.port, "GET", "/apple").json?["code"]?.stringValue == "not_found")
        let other = try await http(gateway.port, "PURGE", "/app/echo")
        #expect(other.header("x-method") == "PURGE")
    }

    /// The longest prefix wins; the gateway's own endpoints win over a forward of `/`.
    @Test func routing() async throws {
        let backend = try IncomingBackend()
        defer { backend.stop() }
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/", urls: [backend.url]),
                                             ForwardRoute(prefix: "/a/b", urls: [backend.url]),
                                             ForwardRoute(prefix: "/a", urls: [backend.url])])
        defer { Task { await gateway.shutdown() } }
        #expect(try await http(gateway.port, "GET", "/a/b/echo").header("x-path") == "/echo")
        #expect(try await http(gateway.port, "GET", "/a/echo").header("x-path") == "/echo")
        #expect(try await http(gateway.port, "GET", "/a/bc/echo").header("x-path") == "/bc/echo")
        #expect(try await http(gateway.port, "GET", "/echo/x").header("x-path") == "/echo/x")
        #expect(try await http(gateway.port, "GET", "/healthz").json?["status"]?.stringValue == "ok")
        let functions = try await http(gateway.port, "GET", "/functions")
        guard case .array(let items)? = functions.json else { Issue.record("no list"); return }
        #expect(items.compactMap { $0["forward"]?.stringValue } == ["/a/b", "/a", "/"])
        #expect(try await http(gateway.port, "POST", "/invoke/x/y", body: Array("{}".utf8)).json?["code"]?.stringValue == "not_found")
        #expect(try await http(gateway.port, "GET", "/readyz").status == 200)
        let metrics = try await http(gateway.port, "GET", "/metrics").text
        #expect(metrics.contains(#"wrpc_gateway_http_requests_total{route="forward:/a/b",status="200"}"#))
        #expect(metrics.contains(#"wrpc_gateway_forward_bytes_total{forward="/a",direction="response"}"#))
    }

    /// The backend's status and headers; no body for HEAD, 204 and 304;
    /// content-length kept, chunked without one.
    @Test func statusesAndBodies() async throws {
        let backend = try IncomingBackend()
        defer { backend.stop() }
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/app", urls: [backend.url])])
        defer { Task { await gateway.shutdown() } }
        let teapot = try await http(gateway.port, "GET", "/app/status/418")
        #expect(teapot.status == 418 && teapot.text == "status 418\n" && teapot.header("content-type") == "text/plain")
        let head = try parseReply(try await rawHTTP(gateway.port, "HEAD /app/bytes/100 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        #expect(head.status == 200 && head.header("content-length") == "100" && head.body.isEmpty)
        for status in [204, 304] {
            let raw = try await rawHTTP(gateway.port, "GET /app/status/\(status) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let reply = try parseReply(raw)
            #expect(reply.status == status && reply.body.isEmpty && reply.header("transfer-encoding") == nil)
        }
        let bytes = try await http(gateway.port, "GET", "/app/bytes/70000")
        #expect(bytes.header("content-length") == "70000" && bytes.body.count == 70000)
        #expect(bytes.body.enumerated().allSatisfy { $0.element == DemoBackend.downloadByte(UInt64($0.offset)) })
        let trailers = try await rawHTTP(gateway.port, "GET /app/trailers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let reply = try parseReply(trailers)
        #expect(reply.header("transfer-encoding") == "chunked" && reply.complete)
        var digest = UploadDigest()
        digest.update(reply.body)
        #expect(chunkedTrailers(trailers).first { $0.0 == "x-sha256" }?.1 == digest.hex())
    }

    /// A chunked request's trailers resolve the trailers future (the echo
    /// sends them back as its own); without chunks there are none.
    @Test func requestTrailers() async throws {
        let backend = try IncomingBackend()
        defer { backend.stop() }
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/app", urls: [backend.url])])
        defer { Task { await gateway.shutdown() } }
        let raw = try await rawHTTP(gateway.port, "POST /app/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nx-checksum: abc\r\n\r\n")
        let reply = try parseReply(raw)
        #expect(reply.text == "hello world" && reply.complete)
        #expect(chunkedTrailers(raw).first { $0.0 == "x-checksum" }?.1 == "abc")
        let plain = try await rawHTTP(gateway.port, "POST /app/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi")
        #expect(try parseReply(plain).text == "hi" && chunkedTrailers(plain).isEmpty)
    }

    /// err(error-code) is a 502 naming the case, 504 for timeouts; a refused
    /// backend 503; a silent one 504 at the deadline.
    @Test func errors() async throws {
        let backend = try IncomingBackend()
        defer { backend.stop() }
        let refusing = try RefusingPort()
        let silent = try MisbehavingBackend(.silent)
        defer { silent.stop() }
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/app", urls: [backend.url]),
                                             ForwardRoute(prefix: "/down", urls: [refusing.url])])
        defer { Task { await gateway.shutdown() } }
        // A short deadline only where nothing answers.
        let deadline: Duration = .milliseconds(300)
        let hanging = try forwardingGateway([ForwardRoute(prefix: "/silent", urls: [silent.url])]) { $0.defaultTimeout = deadline }
        defer { Task { await hanging.shutdown() } }
        let refused = try await http(gateway.port, "GET", "/app/error/connection-refused")
        #expect(refused.status == 502)
        #expect(refused.json?["code"]?.stringValue == "upstream_error_code")
        #expect(refused.json?["details"]?["error_code"]?.stringValue == "connection-refused")
        let timeout = try await http(gateway.port, "GET", "/app/error/HTTP-response-timeout")
        #expect(timeout.status == 504 && timeout.json?["details"]?["error_code"]?.stringValue == "HTTP-response-timeout")
        let down = try await http(gateway.port, "GET", "/down/x")
        #expect(down.status == 503 && down.json?["code"]?.stringValue == "unavailable")
        let started = ContinuousClock.now
        let hung = try await http(hanging.port, "GET", "/silent/x")
        #expect(hung.status == 504 && hung.json?["code"]?.stringValue == "deadline_exceeded")
        #expect(ContinuousClock.now - started >= deadline)
        let metrics = try await http(gateway.port, "GET", "/metrics").text
        #expect(metrics.contains(#"wrpc_gateway_forward_upstream_errors_total{forward="/app",kind="connection-refused"}"#))
        #expect(metrics.contains(#"wrpc_gateway_forward_upstream_errors_total{forward="/down",kind="unavailable"}"#))
        #expect(try await http(gateway.port, "GET", "/readyz").status == 503)
    }

    /// A backend that breaks mid-body cuts the answer: never a clean end.
    @Test func backendBreaksMidBody() async throws {
        let breaking = try IncomingBackend { inv in
            _ = try await WireValue.collect("p", maxBytes: 1 << 20, next: { try await inv.next(path: []) },
                                            endedEarly: ProtocolError.malformed("early"), RequestHead.decodeIncoming)
            let sized = ResponseHead(status: 200, headers: Fields(pairs: [("content-length", Array("100".utf8))]))
            try await inv.send(path: [], data: HandleResult.response(sized).encode())
            try await inv.sendStreamChunk(path: ResponseHead.bodyPath, bytes: [UInt8](repeating: 7, count: 10))
            throw ProtocolError.malformed("the backend breaks")
        }
        defer { breaking.stop() }
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/b", urls: [breaking.url])])
        defer { Task { await gateway.shutdown() } }
        let raw = try await rawHTTP(gateway.port, "GET /b/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let reply = try parseReply(raw)
        #expect(reply.status == 200 && reply.body.count < 100)
    }

    /// A backend's response field whose value holds a control byte is
    /// dropped and counted; the others pass.
    @Test func responseFieldsWithControlBytesAreDroppedAndCounted() async throws {
        let backend = try IncomingBackend { inv in
            _ = try await WireValue.collect("p", maxBytes: 1 << 20, next: { try await inv.next(path: []) },
                                            endedEarly: ProtocolError.malformed("early"), RequestHead.decodeIncoming)
            let pairs: [(String, [UInt8])] = [("x-ok", Array("a b".utf8)), ("x-soh", [0x61, 0x01, 0x62]), ("x-vt", [0x61, 0x0B, 0x62]),
                                              ("x-ff", [0x61, 0x0C, 0x62]), ("x-del", [0x61, 0x7F, 0x62]), ("content-length", Array("2".utf8))]
            try await inv.send(path: [], data: HandleResult.response(ResponseHead(status: 200, headers: Fields(pairs: pairs))).encode())
            try await inv.sendStreamChunk(path: ResponseHead.bodyPath, bytes: Array("ok".utf8))
            try await inv.endStream(path: ResponseHead.bodyPath)
            try await inv.send(path: ResponseHead.trailersPath, data: [0])
        }
        defer { backend.stop() }
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/c", urls: [backend.url])])
        defer { Task { await gateway.shutdown() } }
        let reply = try parseReply(try await rawHTTP(gateway.port, "GET /c/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        #expect(reply.status == 200 && reply.text == "ok")
        #expect(reply.header("x-ok") == "a b")
        for dropped in ["x-soh", "x-vt", "x-ff", "x-del"] {
            #expect(reply.header(dropped) == nil, "\(dropped) was passed on")
        }
        let metrics = try await http(gateway.port, "GET", "/metrics").text
        #expect(metrics.contains(#"wrpc_gateway_forward_dropped_fields_total{forward="/c"} 4"#))
    }

    /// A request trailer whose value holds a control byte does not reach
    /// the backend (it comes after the body, too late for a 400).
    @Test func requestTrailersWithControlBytesAreDropped() async throws {
        let seen = Mutex<Fields?>(nil)
        let backend = try IncomingBackend { inv in
            let request = try await WireValue.collect("p", maxBytes: 1 << 20, next: { try await inv.next(path: []) },
                                                      endedEarly: ProtocolError.malformed("early"), RequestHead.decodeIncoming)
            try await DemoHTTP.body(of: request, inv) { _ in }
            var trailers: Fields?
            switch request.trailers {
            case .ready(let fields): trailers = fields
            case .pending: trailers = try await WireValue.trailers(next: { try await inv.next(path: RequestHead.trailersPath) },
                                                                   endedEarly: ProtocolError.malformed("early"))
            }
            seen.withLock { [trailers] in $0 = trailers }
            let head = ResponseHead(status: 200, headers: Fields(pairs: [("content-length", Array("0".utf8))]))
            try await inv.send(path: [], data: HandleResult.response(head).encode())
            try await inv.endStream(path: ResponseHead.bodyPath)
            try await inv.send(path: ResponseHead.trailersPath, data: [0])
        }
        defer { backend.stop() }
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/t", urls: [backend.url])])
        defer { Task { await gateway.shutdown() } }
        let raw = try await rawHTTP(gateway.port, "POST /t/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nx-ok: a b\r\nx-soh: a\u{01}b\r\nx-del: a\u{7F}b\r\n\r\n")
        #expect(try parseReply(raw).status == 200)
        let trailers = seen.withLock { $0 }
        #expect(trailers?.values("x-ok") == [Array("a b".utf8)])
        #expect(trailers?.values("x-soh").isEmpty == true && trailers?.values("x-del").isEmpty == true, "\(String(describing: trailers))")
    }

    /// A client that hangs up while the handler works cancels the call: the
    /// backend sees its connection close.
    @Test func clientHangUpCancels() async throws {
        let started = Atomic<Int>(0)
        let closed = Atomic<Int>(0)
        let backend = try IncomingBackend { inv in
            started.add(1, ordering: .relaxed)
            // Read until the gateway goes away (it never sends more after its parameters).
            while (try? await inv.next(path: [9])) != nil {}
            closed.add(1, ordering: .relaxed)
        }
        defer { backend.stop() }
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/h", urls: [backend.url])]) { $0.defaultTimeout = .seconds(120) }
        defer { Task { await gateway.shutdown() } }
        let stream = try await TCPTransport(host: "127.0.0.1", port: gateway.port).connect()
        try await stream.write(Array("GET /h/x HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        while started.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        stream.close()
        let giveUp = ContinuousClock.now + .seconds(60)
        while closed.load(ordering: .relaxed) == 0 && ContinuousClock.now < giveUp { try await Task.sleep(for: .milliseconds(10)) }
        #expect(closed.load(ordering: .relaxed) == 1)
    }

    /// The edge applies: a key is needed, and the policy names forwards `forward:PREFIX`.
    @Test func edgePolicy() async throws {
        let backend = try IncomingBackend()
        defer { backend.stop() }
        var edge = try await edgeConfig(signer: nil)
        edge.policy = try AccessPolicy(parsing: "key:ci forward:/app\nkey:ops */hello")
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/app", urls: [backend.url])]) { [edge] in $0.edge = edge }
        defer { Task { await gateway.shutdown() } }
        #expect(try await http(gateway.port, "GET", "/app/echo").status == 401)
        #expect(try await http(gateway.port, "GET", "/app/echo", headers: [("X-API-Key", "ops-secret-key")]).status == 403)
        #expect(try await http(gateway.port, "GET", "/app/echo", headers: [("X-API-Key", "ci-secret-key")]).status == 200)
    }

    /// Several URLs are one pool: a member that refuses is ejected and the
    /// request served by another.
    @Test func pools() async throws {
        let backend = try IncomingBackend()
        defer { backend.stop() }
        let refusing = try RefusingPort()
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/p", urls: [refusing.url, backend.url])])
        defer { Task { await gateway.shutdown() } }
        for _ in 0..<4 { #expect(try await http(gateway.port, "GET", "/p/status/201").status == 201) }
        let functions = try await http(gateway.port, "GET", "/functions")
        #expect(functions.json?[0]?["target"]?.stringValue == "\(refusing.url),\(backend.url)")
    }

    /// `--expose` names forwards `forward:PREFIX`: one it does not match is not served.
    @Test func exposure() async throws {
        let backend = try IncomingBackend()
        defer { backend.stop() }
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/a", urls: [backend.url]), ForwardRoute(prefix: "/b", urls: [backend.url])]) {
            $0.edge.exposure = Exposure(expose: ["forward:/a"])
        }
        defer { Task { await gateway.shutdown() } }
        #expect(try await http(gateway.port, "GET", "/a/status/200").status == 200)
        #expect(try await http(gateway.port, "GET", "/b/status/200").status == 404)
    }

    /// A handler that answers without reading the body (a 413, say): the
    /// client still gets that answer once its upload is in, and the call
    /// does not wait on the unread body.
    /// (A heavy transfer's turn: tests beside it that measure the resident
    /// set must not see its buffers.)
    @Test(.heavyTransfer) func answerWithoutReadingTheBody() async throws {
        let backend = try IncomingBackend { inv in
            _ = try await WireValue.collect("p", maxBytes: 1 << 20, next: { try await inv.next(path: []) },
                                            endedEarly: ProtocolError.malformed("early"), RequestHead.decodeIncoming)
            let head = ResponseHead(status: 413, headers: Fields(pairs: [("content-length", Array("8".utf8))]))
            try await inv.send(path: [], data: HandleResult.response(head).encode())
            try await inv.sendStreamChunk(path: ResponseHead.bodyPath, bytes: Array("too big\n".utf8))
            try await inv.endStream(path: ResponseHead.bodyPath)
            try await inv.send(path: ResponseHead.trailersPath, data: [0])
            // Like the Go server: the connection stays open, the body unread.
            try await Task.sleep(for: .seconds(3600))
        }
        defer { backend.stop() }
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/u", urls: [backend.url])]) { $0.streamIdleTimeout = .seconds(120) }
        defer { Task { await gateway.shutdown() } }
        let size = 24 << 20
        let stream = try await TCPTransport(host: "127.0.0.1", port: gateway.port).connect()
        defer { stream.close() }
        try await stream.write(Array("PUT /u/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: \(size)\r\n\r\n".utf8))
        try await ForwardTransferTests.upload(stream, size: size)
        var raw: [UInt8] = []
        while case let bytes = try await stream.read(), !bytes.isEmpty { raw += bytes }
        let reply = try parseReply(raw)
        #expect(reply.status == 413 && reply.text == "too big\n")
    }
}
