import ComponentValues
import DemoBackend
import Foundation
import Gateway
import Testing
import TestSupport
import WIT
import WRPCTransport

/// HTTP through the real libmicrohttpd server and real sockets to our wRPC server.
@Suite struct GatewayTests {
    @Test func everyDemoFunctionOverHTTP() async throws {
        let stack = try Stack()
        let port = stack.port
        // A handle is the token `open` gave.
        let opened = try await post(port, keyvalue, "open", "{\"identifier\":\"http\"}")
        let handle = try #require(opened.json?["val"]?.stringValue, "\(opened.text)")
        #expect(opened.text == "{\"tag\":\"ok\",\"val\":\"\(handle)\"}")
        var calls: [(String, String, String, Int, String)] = [
            (greeter, "hello", "{\"name\":\"HTTP\"}", 200, "\"Hello, HTTP!\""),
            (greeter, "hello", "[\"array form\"]", 200, "\"Hello, array form!\""),
            (types, "extremes", "", 200, "[18446744073709551615,-9223372036854775808,9223372036854775807]"),
            (types, "nothing", "", 204, ""),
            (types, "echo-floats", "{\"a\":\"NaN\",\"b\":-0.0}", 200, "[\"NaN\",-0.0]"),
            (keyvalue, "bucket.set", "{\"self\":\"\(handle)\",\"key\":\"k\",\"value\":\"dg==\"}", 200, "{\"tag\":\"ok\"}"),
            (keyvalue, "%5Bmethod%5Dbucket.get", "{\"self\":\"\(handle)\",\"key\":\"k\"}", 200, "{\"tag\":\"ok\",\"val\":\"dg==\"}"),
            (keyvalue, "[method]bucket.exists", "{\"self\":\"\(handle)\",\"key\":\"k\"}", 200, "{\"tag\":\"ok\",\"val\":true}"),
            (keyvalue, "bucket.list-keys", "{\"self\":\"\(handle)\"}", 200, "{\"tag\":\"ok\",\"val\":{\"keys\":[\"k\"],\"cursor\":null}}"),
            (keyvalue, "open", "{\"identifier\":\"private-x\"}", 200, "{\"tag\":\"err\",\"val\":{\"tag\":\"access-denied\"}}"),
            (blobs, "count", "{\"n\":4}", 200, "1\n2\n3\n4\n"),
            (blobs, "download", "{\"n\":5}", 200, "\u{0}\u{1}\u{2}\u{3}\u{4}"),
            (blobs, "upload", "{\"data\":\"YWJj\"}", 200, "{\"bytes\":3,\"sha256\":\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"}"),
            (blobs, "echo", "{\"data\":\"aGk=\"}", 200, "hi"),
        ]
        let resolve = try DemoBackend.resolve()
        let typesIface = try #require(resolve.main.interface(named: "types"))
        for (name, value) in [("echo-record", "{\"x\":1,\"y\":2}"), ("echo-variant", "{\"tag\":\"circle\",\"val\":2.5}"),
                              ("echo-enum", "\"green\""), ("echo-flags", "[\"read\",\"write\"]"),
                              ("echo-option", "{\"tag\":\"none\"}"), ("echo-tuple", "[\"t\",1,false]"),
                              ("echo-list", "[]"), ("echo-bytes", "\"/w==\""), ("echo-u64", "9007199254740993"),
                              ("echo-s64", "-1"), ("echo-char", "\"😀\""), ("echo-map", "[[\"k\",1]]"),
                              ("echo-fixed", "[9,8,7]"), ("echo-result", "{\"tag\":\"ok\",\"val\":\"fine\"}")] {
            let param = try #require(typesIface.function(named: name)).params[0].name
            calls.append((types, name, "{\"\(param)\":\(value)}", 200, value))
        }
        for (instance, function, body, status, expected) in calls {
            let reply = try await post(port, instance, function, body)
            #expect(reply.status == status, "\(function): \(reply.text)")
            #expect(reply.text == expected, "\(function)")
            #expect(reply.header("x-request-id")?.isEmpty == false)
        }
        await stack.stop()
    }

    @Test func fixedEndpoints() async throws {
        let stack = try Stack()
        let port = stack.port
        #expect(try await http(port, "GET", "/healthz").status == 200)
        let ready = try await http(port, "GET", "/readyz")
        #expect(ready.status == 200)
        let functions = try await http(port, "GET", "/functions")
        #expect(functions.status == 200)
        guard case .array(let list)? = functions.json else { Issue.record("not an array"); return }
        #expect(list.count == stack.gateway.table.functions.count)
        #expect(list.contains { $0["alias"]?.stringValue == "bucket.get" && $0["signature"]?.stringValue?.hasPrefix("(self: borrow<") == true })
        _ = try await post(port, greeter, "hello", "{\"name\":\"m\"}")
        let metrics = try await http(port, "GET", "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("wrpc_gateway_http_requests_total{route=\"invoke\",status=\"200\"} 1"))
        #expect(metrics.text.contains("wrpc_gateway_http_request_duration_seconds_bucket"))
        #expect(metrics.text.contains("wrpc_gateway_inflight_calls"))
        let wrongMethod = try await http(port, "DELETE", "/functions")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("allow") == "GET")
        #expect(try await http(port, "GET", "/invoke/\(greeter)/hello").header("allow") == "POST")
        #expect(try await http(port, "GET", "/elsewhere").status == 404)
        await stack.stop()
    }

    @Test func requestIDsAreEchoedOrMade() async throws {
        let stack = try Stack()
        let given = try await post(stack.port, greeter, "hello", "{\"name\":\"r\"}", headers: [("X-Request-Id", "trace-42")])
        #expect(given.header("x-request-id") == "trace-42")
        let made = try await post(stack.port, greeter, "hello", "{\"name\":\"r\"}")
        #expect(made.header("x-request-id")?.count == 32)
        await stack.stop()
    }

    @Test func argumentErrorsAreCaughtBeforeDialling() async throws {
        let fake = try FakeBackend(.silent)
        let stack = try Stack(target: fake.url)
        let port = stack.port
        let bad = try await post(port, types, "echo-record", "{\"p\":{\"x\":1,\"y\":\"two\"}}")
        #expect(bad.status == 400)
        #expect(bad.json?["code"]?.stringValue == "invalid_argument")
        #expect(bad.json?["details"]?["path"]?.stringValue == "/p/y")
        let malformed = try await post(port, types, "echo-record", "{\"p\":")
        #expect(malformed.status == 400)
        #expect(malformed.json?["message"]?.stringValue?.contains("malformed JSON") == true)
        let unknownKey = try await post(port, types, "echo-record", "{\"p\":{\"x\":1,\"y\":2,\"z\":3}}")
        #expect(unknownKey.json?["details"]?["path"]?.stringValue == "/p/z")
        let missing = try await post(port, types, "echo-record", "{}")
        #expect(missing.status == 400)
        let unknown = try await post(port, greeter, "goodbye", "{}")
        #expect(unknown.status == 404)
        #expect(unknown.json?["code"]?.stringValue == "not_found")
        let wrongType = try await http(port, "POST", "/invoke/\(greeter)/hello", body: Array("name=x".utf8),
                                       contentType: "application/x-www-form-urlencoded")
        #expect(wrongType.status == 415)
        #expect(fake.counters.accepted.load(ordering: .relaxed) == 0, "no backend connection for requests refused up front")
        await stack.stop()
        fake.stop()
    }

    @Test func oversizedBodyIsRefusedWithoutReadingIt() async throws {
        let stack = try Stack { $0.http.maxBodyBytes = 1024 }
        // Announce 100 MB, send a few bytes, and expect the answer at once.
        let stream = try await TCPTransport(host: "127.0.0.1", port: stack.port).connect()
        defer { stream.close() }
        try await stream.write(Array("POST /invoke/\(greeter)/hello HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{\"na".utf8))
        var raw: [UInt8] = []
        while case let bytes = try await stream.read(), !bytes.isEmpty { raw += bytes }
        let reply = try parseReply(raw)
        #expect(reply.status == 413)
        #expect(reply.json?["code"]?.stringValue == "resource_exhausted")
        // A chunked body over the limit is refused too.
        let chunked = try await TCPTransport(host: "127.0.0.1", port: stack.port).connect()
        defer { chunked.close() }
        let big = String(repeating: "x", count: 2000)
        try await chunked.write(Array("POST /invoke/\(greeter)/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n\(big)\r\n0\r\n\r\n".utf8))
        raw = []
        while case let bytes = try await chunked.read(), !bytes.isEmpty { raw += bytes }
        #expect(try parseReply(raw).status == 413)
        await stack.stop()
    }

    @Test func headerLimits() async throws {
        let stack = try Stack { $0.http.maxHeaderCount = 20; $0.http.maxHeaderBytes = 8 << 10 }
        let many = (0..<30).map { ("X-Filler-\($0)", "v") }
        let tooMany = try await post(stack.port, greeter, "hello", "{\"name\":\"h\"}", headers: many)
        #expect(tooMany.status == 431)
        #expect(tooMany.json?["code"]?.stringValue == "resource_exhausted")
        // Headers larger than the connection's memory: libmicrohttpd refuses them itself.
        let huge = try await post(stack.port, greeter, "hello", "{\"name\":\"h\"}", headers: [("X-Huge", String(repeating: "a", count: 16 << 10))])
        #expect(huge.status == 431 || huge.status == 413 || huge.status == 400, "status \(huge.status)")
        #expect(try await post(stack.port, greeter, "hello", "{\"name\":\"ok\"}").status == 200)
        await stack.stop()
    }

    /// A client that sends half a request and stalls is cut off after the idle timeout.
    @Test func slowClientsAreDisconnected() async throws {
        let stack = try Stack { $0.http.idleTimeoutSeconds = 1 }
        let started = ContinuousClock.now
        let stream = try await TCPTransport(host: "127.0.0.1", port: stack.port).connect()
        defer { stream.close() }
        try await stream.write(Array("POST /invoke/\(greeter)/hello HTTP/1.1\r\nHost: x\r\n".utf8))
        while case let bytes = try await stream.read(), !bytes.isEmpty {}
        let waited = ContinuousClock.now - started
        // Cut off by the 1 s idle timeout, not by the 30 s default (loose: other tests load the machine).
        #expect(waited >= .milliseconds(900) && waited < .seconds(20), "closed after \(waited)")
        await stack.stop()
    }

    @Test func backendFailuresMapToStatuses() async throws {
        // Refused: a port nobody listens on (held, so no test beside takes it).
        let refusing = try RefusingPort()
        defer { withExtendedLifetime(refusing) {} }
        let refused = try Stack(target: refusing.url)
        let r503 = try await post(refused.port, greeter, "hello", "{\"name\":\"x\"}")
        #expect(r503.status == 503)
        #expect(r503.json?["code"]?.stringValue == "unavailable")
        #expect(try await http(refused.port, "GET", "/readyz").status == 503)
        await refused.stop()

        // Silent: the deadline, from Wrpc-Timeout-Ms.
        let silent = try FakeBackend(.silent)
        let waiting = try Stack(target: silent.url)
        let started = ContinuousClock.now
        let r504 = try await post(waiting.port, greeter, "hello", "{\"name\":\"x\"}", headers: [("Wrpc-Timeout-Ms", "300")])
        let elapsed = ContinuousClock.now - started
        #expect(r504.status == 504)
        #expect(r504.json?["code"]?.stringValue == "deadline_exceeded")
        #expect(elapsed >= .milliseconds(290) && elapsed < .seconds(30))
        await waiting.stop()
        silent.stop()

        // Cut short: a string promised 13 bytes, given 5.
        let cut = try FakeBackend(.cutShort([0x00, 0x06, 0x0d] + Array("hello".utf8)))
        let cutStack = try Stack(target: cut.url)
        let r502 = try await post(cutStack.port, greeter, "hello", "{\"name\":\"x\"}")
        #expect(r502.status == 502)
        #expect(r502.json?["code"]?.stringValue == "upstream_protocol")
        await cutStack.stop()
        cut.stop()
    }

    @Test func responseOverTheLimit() async throws {
        let stack = try Stack { $0.maxResponseBytes = 1000 }
        let reply = try await post(stack.port, blobs, "download", "{\"n\":5000}", headers: [("Accept", "application/json")])
        #expect(reply.status == 502)
        #expect(reply.json?["code"]?.stringValue == "resource_exhausted")
        // A stream of numbers collected into JSON is held to the same limit.
        let numbers = try await post(stack.port, blobs, "count", "{\"n\":100000}", headers: [("Accept", "application/json")])
        #expect(numbers.status == 502)
        #expect(numbers.json?["code"]?.stringValue == "resource_exhausted")
        await stack.stop()
    }

    @Test func deadlineHeaderIsClamped() async throws {
        let silent = try FakeBackend(.silent)
        let stack = try Stack(configure: { $0.maxTimeout = .milliseconds(200) }, target: silent.url)
        let started = ContinuousClock.now
        let reply = try await post(stack.port, greeter, "hello", "{\"name\":\"x\"}", headers: [("Wrpc-Timeout-Ms", "600000")])
        #expect(reply.status == 504)
        // Clamped to 200 ms, far from the 600 s asked for (loose: other tests load the machine).
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(try await post(stack.port, greeter, "hello", "{\"name\":\"x\"}", headers: [("Wrpc-Timeout-Ms", "soon")]).status == 400)
        await stack.stop()
        silent.stop()
    }

    @Test func sixtyFourConcurrentClients() async throws {
        let stack = try Stack()
        let port = stack.port
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<64 {
                group.addTask {
                    var ok = true
                    for j in 0..<5 {
                        let reply = try await post(port, greeter, "hello", "{\"name\":\"c\(i)-\(j)\"}")
                        ok = ok && reply.status == 200 && reply.text == "\"Hello, c\(i)-\(j)!\""
                    }
                    return ok
                }
            }
            var all: [Bool] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 64 && results.allSatisfy { $0 })
        await stack.stop()
    }

    @Test func clientDisconnectCancelsTheBackendCall() async throws {
        let silent = try FakeBackend(.silent)
        let stack = try Stack(target: silent.url)
        let stream = try await TCPTransport(host: "127.0.0.1", port: stack.port).connect()
        let body = "{\"name\":\"gone\"}"
        try await stream.write(Array("POST /invoke/\(greeter)/hello HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
        // Wait until the gateway has dialled the backend, then hang up.
        for _ in 0..<2000 where silent.counters.accepted.load(ordering: .relaxed) == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(silent.counters.accepted.load(ordering: .relaxed) == 1)
        stream.close()
        // The backend connection is closed long before the 30 s call deadline.
        for _ in 0..<2000 where silent.counters.closedByCaller.load(ordering: .relaxed) == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(silent.counters.closedByCaller.load(ordering: .relaxed) == 1)
        await stack.stop()
        silent.stop()
    }

    @Test func gracefulShutdownLetsInFlightCallsFinish() async throws {
        let stack = try Stack()
        let port = stack.port
        async let slow = post(port, blobs, "count", "{\"n\":20000}")
        // Shut down once the request is in flight (however loaded the machine is).
        for _ in 0..<1000 where stack.gateway.requestsInFlight == 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        await stack.gateway.shutdown()
        let reply = try await slow
        #expect(reply.status == 200)
        #expect(reply.complete)
        #expect(reply.text.hasSuffix("\n19999\n20000\n"))
        await #expect(throws: (any Error).self) { _ = try await http(port, "GET", "/healthz") }
        await stack.stop()
    }
}
