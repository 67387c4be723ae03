import ComponentValues
import EdgePolicy
import Gateway
import Testing

@Suite struct SecurityHeadersTests {
    func expectHeaders(_ reply: Reply, _ what: String) {
        #expect(reply.header("x-content-type-options") == "nosniff", "\(what)")
        #expect(reply.header("content-security-policy") == SecurityHeaders.contentSecurityPolicy, "\(what)")
        #expect(reply.header("server") == "wrpc-gateway", "\(what)")
    }

    @Test func onEverythingTheGatewayAnswers() async throws {
        let stack = try Stack { $0.http.maxBodyBytes = 1000 }
        defer { Task { await stack.stop() } }
        expectHeaders(try await http(stack.port, "GET", "/healthz"), "healthz")
        expectHeaders(try await http(stack.port, "GET", "/metrics"), "metrics")
        expectHeaders(try await http(stack.port, "GET", "/openapi.json"), "openapi")
        expectHeaders(try await http(stack.port, "GET", "/nowhere"), "404")
        expectHeaders(try await post(stack.port, greeter, "hello", #"{"name": "x"}"#), "call")
        expectHeaders(try await post(stack.port, blobs, "count", #"{"n": 3}"#), "streamed NDJSON")
        expectHeaders(try await http(stack.port, "POST", "/invoke/\(greeter)/hello", body: Array(repeating: 32, count: 2000)), "413")
    }

    @Test func theConsoleKeepsItsOwnPolicyAndLoadsWithoutCredentials() async throws {
        let edge = try await edgeConfig(signer: nil)
        let stack = try Stack { $0.edge = edge }
        defer { Task { await stack.stop() } }
        for path in ["/", "/console/app.js"] {
            let reply = try await http(stack.port, "GET", path)
            #expect(reply.status == 200, "\(path)")
            // One of each header: the console's stricter policy, not the edge's as well.
            let csp = reply.headers.filter { $0.0 == "content-security-policy" }
            #expect(csp.count == 1, "\(path): \(csp)")
            #expect(csp.first?.1.hasPrefix("default-src 'none'") == true)
            #expect(reply.headers.filter { $0.0 == "x-content-type-options" }.count == 1)
            #expect(reply.header("server") == "wrpc-gateway")
        }
        // The page's own calls need credentials like any other.
        #expect(try await http(stack.port, "GET", "/functions").status == 401)
        #expect(try await http(stack.port, "GET", "/console/nothing-here").status == 404)
    }

    @Test func thePolicyAllowsSameOriginFilesAndNothingInline() {
        let csp = SecurityHeaders.contentSecurityPolicy
        #expect(csp.contains("default-src 'self'"))
        #expect(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval") && !csp.contains("*"))
        #expect(csp.contains("frame-ancestors 'none'"))
    }
}
