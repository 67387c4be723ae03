import DemoBackend
import Foundation
import Gateway
import Logging
import Testing
import TestSupport

/// What clients learn of the backends and the path to them: forwards get
/// the gateway's own forwarding headers and request id, and neither error
/// bodies (`--error-details` aside) nor `/readyz` name a backend address
/// unless asked by a caller the gateway authenticated (or `--readyz-details`).
@Suite struct BackendExposureTests {
    /// `Forwarded` and `X-Real-IP` are rewritten like `X-Forwarded-*`, and a
    /// request id the gateway refused is replaced by the one it logged.
    @Test func forwardingHeadersAreTheGateways() async throws {
        let backend = try IncomingBackend()
        defer { backend.stop() }
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/app", urls: [backend.url])])
        defer { Task { await gateway.shutdown() } }
        let spoofed = try parseReply(try await rawHTTP(gateway.port, """
            GET /app/echo HTTP/1.1\r
            Host: example.test:81\r
            Forwarded: for=10.9.9.9;proto=https\r
            X-Real-IP: 10.6.6.6\r
            X-Real-IP: 10.7.7.7\r
            X-Request-Id: not a sane id\r
            Connection: close\r
            \r

            """))
        #expect(spoofed.status == 200)
        #expect(spoofed.header("x-echo-forwarded") == #"for=10.9.9.9;proto=https, for=127.0.0.1;proto=http;host="example.test:81""#)
        #expect(spoofed.headers.filter { $0.0 == "x-echo-x-real-ip" }.map(\.1) == ["127.0.0.1"])
        let logged = try #require(spoofed.header("x-request-id"))
        #expect(logged != "not a sane id")
        #expect(spoofed.headers.filter { $0.0 == "x-echo-x-request-id" }.map(\.1) == [logged])
        // A sane id goes on as it came; without one the gateway's own is sent.
        let sane = try await http(gateway.port, "GET", "/app/echo", headers: [("X-Request-Id", "trace-42")])
        #expect(sane.header("x-echo-x-request-id") == "trace-42")
        let none = try await http(gateway.port, "GET", "/app/echo")
        #expect(none.header("x-echo-x-request-id") == none.header("x-request-id"))
        #expect(none.header("x-echo-forwarded") == "for=127.0.0.1;proto=http;host=localhost")
    }

    /// A forward whose backend refuses answers 503 without its address; the
    /// log has it, under the request id.
    @Test func forwardErrorsKeepAddressesInTheLog() async throws {
        let refusing = try RefusingPort()
        defer { withExtendedLifetime(refusing) {} }
        let log = LogCapture()
        var config = GatewayConfig(targets: [])
        config.port = 0
        config.forwards = [ForwardRoute(prefix: "/down", urls: [refusing.url])]
        let gateway = try Gateway(resolve: nil, config: config, logger: log.logger)
        try gateway.start()
        defer { Task { await gateway.shutdown() } }
        let down = try await http(gateway.port, "GET", "/down/x", headers: [("X-Request-Id", "down-1")])
        #expect(down.status == 503)
        #expect(down.errorCode == "unavailable")
        #expect(down.json?["details"]?["target"] == nil)
        #expect(!down.text.contains(String(refusing.port)), "\(down.text)")
        for _ in 0..<500 where !log.text.contains(refusing.url) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(log.text.split(separator: "\n").contains { $0.contains(refusing.url) && $0.contains("down-1") }, "\(log.text)")
    }

    /// An `/invoke` call whose backend refuses answers 503 without its
    /// address (the log has it, under the request id); `errorDetails` puts
    /// it back in the body.
    @Test(arguments: [false, true]) func invokeErrorsKeepAddressesInTheLog(details: Bool) async throws {
        let refusing = try RefusingPort()
        defer { withExtendedLifetime(refusing) {} }
        let log = LogCapture()
        let stack = try Stack(configure: { $0.errorDetails = details }, target: refusing.url, logger: log.logger)
        defer { Task { await stack.stop() } }
        let down = try await http(stack.port, "POST", "/invoke/wrpc-gateway:demo/greeter@0.1.0/hello", body: Array(#"{"name":"x"}"#.utf8),
                                  headers: [("Content-Type", "application/json"), ("X-Request-Id", "down-2")])
        #expect(down.status == 503)
        #expect(down.errorCode == "unavailable")
        #expect((down.json?["details"]?["target"]?.stringValue == refusing.url) == details, "\(down.text)")
        #expect(down.text.contains(String(refusing.port)) == details, "\(down.text)")
        guard !details else { return }
        for _ in 0..<500 where !log.text.contains(refusing.url) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(log.text.split(separator: "\n").contains { $0.contains(refusing.url) && $0.contains("down-2") }, "\(log.text)")
    }

    /// `/readyz` stays public and says which instances have no backend, but
    /// names backends only to an authenticated caller or with `readyzDetails`.
    @Test func readinessNamesBackendsOnlyWhenAsked() async throws {
        let refusing = try RefusingPort()
        defer { withExtendedLifetime(refusing) {} }
        let edge = try await edgeConfig(signer: nil)
        let guarded = try Stack(configure: { $0.edge = edge }, target: refusing.url)
        defer { Task { await guarded.stop() } }
        for headers in [[], [("X-API-Key", "not-a-key")]] {
            let anonymous = try await http(guarded.port, "GET", "/readyz", headers: headers)
            #expect(anonymous.status == 503)
            #expect(anonymous.json?["details"]?["instances"] != nil)
            #expect(anonymous.json?["details"]?["targets"] == nil)
            #expect(!anonymous.text.contains(String(refusing.port)), "\(anonymous.text)")
        }
        let authenticated = try await http(guarded.port, "GET", "/readyz", headers: [("X-API-Key", "ci-secret-key")])
        #expect(authenticated.status == 503)
        #expect(authenticated.json?["details"]?["targets"]?[refusing.url] != nil, "\(authenticated.text)")
        let open = try Stack(configure: { $0.readyzDetails = true }, target: refusing.url)
        defer { Task { await open.stop() } }
        let detailed = try await http(open.port, "GET", "/readyz")
        #expect(detailed.json?["details"]?["targets"]?[refusing.url] != nil, "\(detailed.text)")
    }
}
