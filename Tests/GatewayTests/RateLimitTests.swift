import EdgePolicy
import Foundation
import Gateway
import Testing

/// Rates here are chosen so that no machine is slow enough to earn a token
/// between requests (3 an hour), or the test waits for the token the gateway
/// itself says is due: nothing depends on how fast requests go.
@Suite struct RateLimitTests {
    @Test func aBurstThen429WithRetryAfter() async throws {
        let stack = try Stack { $0.edge.rateLimit = try! RateLimit(parsing: "3/h", burst: 3) }
        defer { Task { await stack.stop() } }
        for _ in 0..<3 { #expect(try await post(stack.port, greeter, "hello", #"{"name": "x"}"#).status == 200) }
        let refused = try await post(stack.port, greeter, "hello", #"{"name": "x"}"#)
        #expect(refused.status == 429)
        #expect(refused.errorCode == "resource_exhausted")
        #expect(refused.text.contains("3/h"))
        // One token every 1200 s, the first one due 1200 s after the burst began.
        let retryAfter = try #require(refused.header("retry-after").flatMap(Int.init))
        #expect((1100...1200).contains(retryAfter))
        #expect(refused.header("x-content-type-options") == "nosniff")
        // Probes are never limited; /metrics counts the refusals.
        for _ in 0..<5 { #expect(try await http(stack.port, "GET", "/healthz").status == 200) }
        #expect(try await http(stack.port, "GET", "/functions").status == 429)
        let metrics = try await metricsText(stack)
        #expect(metric(metrics, #"wrpc_gateway_edge_refusals_total{reason="rate_limited"}"#) == 2)
    }

    @Test func theTokenComesWhenRetryAfterSays() async throws {
        let stack = try Stack { $0.edge.rateLimit = try! RateLimit(parsing: "1/s", burst: 1) }
        defer { Task { await stack.stop() } }
        let started = ContinuousClock.now
        #expect(try await post(stack.port, greeter, "hello", #"{"name": "x"}"#).status == 200)
        let second = try await post(stack.port, greeter, "hello", #"{"name": "x"}"#)
        if second.status == 200 {
            // Only possible if a whole second passed in between.
            #expect(ContinuousClock.now - started >= .seconds(1))
            return
        }
        #expect(second.status == 429)
        #expect(second.header("retry-after") == "1")
        try await Task.sleep(for: .seconds(1))
        #expect(try await post(stack.port, greeter, "hello", #"{"name": "x"}"#).status == 200)
    }

    @Test func perIdentityEachCallerHasItsOwnBucket() async throws {
        var edge = try await edgeConfig(signer: nil)
        edge.rateLimit = try RateLimit(parsing: "2/h", burst: 2, key: .identity)
        let stack = try Stack { $0.edge = edge }
        defer { Task { await stack.stop() } }
        let ci = [("X-API-Key", "ci-secret-key")], ops = [("X-API-Key", "ops-secret-key")]
        for _ in 0..<2 { #expect(try await post(stack.port, greeter, "hello", #"{"name": "x"}"#, headers: ci).status == 200) }
        #expect(try await post(stack.port, greeter, "hello", #"{"name": "x"}"#, headers: ci).status == 429)
        // Same address, another key: not limited.
        #expect(try await post(stack.port, greeter, "hello", #"{"name": "x"}"#, headers: ops).status == 200)
    }

    private func metricsText(_ stack: Stack) async throws -> String {
        // /metrics is limited like the rest: read it straight from the gateway.
        String(decoding: stack.gateway.metrics.exposition(), as: UTF8.self)
    }
}
