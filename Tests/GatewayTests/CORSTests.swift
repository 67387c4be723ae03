import EdgePolicy
import Gateway
import Testing

@Suite struct CORSTests {
    static let app = "https://app.example.com"

    func stack(authenticated: Bool) async throws -> Stack {
        var edge = authenticated ? try await edgeConfig(signer: nil) : EdgeConfig()
        edge.cors = try CORSPolicy(origins: [Self.app, "http://localhost:3000"], maxAge: 321)
        return try Stack { $0.edge = edge }
    }

    @Test func preflightsFromAllowedAndOtherOrigins() async throws {
        let stack = try await stack(authenticated: true)
        defer { Task { await stack.stop() } }
        let preflight = [("Origin", Self.app), ("Access-Control-Request-Method", "POST"),
                         ("Access-Control-Request-Headers", "content-type, x-api-key")]
        // Without credentials (browsers send none on a preflight), before authentication.
        let allowed = try await http(stack.port, "OPTIONS", "/invoke/\(greeter)/hello", headers: preflight)
        #expect(allowed.status == 204)
        #expect(allowed.header("access-control-allow-origin") == Self.app)
        #expect(allowed.header("access-control-allow-methods")?.contains("POST") == true)
        #expect(allowed.header("access-control-allow-headers")?.contains("X-API-Key") == true)
        #expect(allowed.header("access-control-allow-headers")?.contains("Content-Type") == true)
        #expect(allowed.header("access-control-max-age") == "321")
        #expect(allowed.header("vary") == "Origin")
        let other = [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "POST")]
        let refused = try await http(stack.port, "OPTIONS", "/invoke/\(greeter)/hello", headers: other)
        #expect(refused.status == 403)
        #expect(refused.errorCode == "permission_denied")
        #expect(!refused.headers.contains { $0.0.hasPrefix("access-control-") })
    }

    @Test func actualRequestsCarryHeadersOnlyForAllowedOrigins() async throws {
        let stack = try await stack(authenticated: true)
        defer { Task { await stack.stop() } }
        let key = ("X-API-Key", "ci-secret-key")
        let ok = try await post(stack.port, greeter, "hello", #"{"name": "x"}"#, headers: [("Origin", "http://localhost:3000"), key])
        #expect(ok.status == 200)
        #expect(ok.header("access-control-allow-origin") == "http://localhost:3000")
        #expect(ok.header("access-control-expose-headers")?.contains("X-Request-Id") == true)
        // Errors carry them too, so the page can read why.
        let unauthenticated = try await post(stack.port, greeter, "hello", "{}", headers: [("Origin", Self.app)])
        #expect(unauthenticated.status == 401)
        #expect(unauthenticated.header("access-control-allow-origin") == Self.app)
        #expect(unauthenticated.header("access-control-expose-headers")?.contains("WWW-Authenticate") == true)
        let other = try await post(stack.port, greeter, "hello", #"{"name": "x"}"#, headers: [("Origin", "https://evil.example"), key])
        #expect(other.status == 200)
        #expect(!other.headers.contains { $0.0.hasPrefix("access-control-") })
        // No Origin: not a CORS request, no CORS headers.
        let plain = try await post(stack.port, greeter, "hello", #"{"name": "x"}"#, headers: [key])
        #expect(!plain.headers.contains { $0.0.hasPrefix("access-control-") })
    }

    @Test func anyOriginWithoutCredentials() async throws {
        let stack = try Stack { $0.edge.cors = try! CORSPolicy(origins: ["*"]) }
        defer { Task { await stack.stop() } }
        let reply = try await http(stack.port, "GET", "/functions", headers: [("Origin", "https://anywhere.example")])
        #expect(reply.header("access-control-allow-origin") == "*")
        // With `*` too: a request without Origin gets no CORS header.
        #expect(reply.header("vary") == "Origin")
    }

    /// Whatever the request's origin, or none, the answer says it depends on
    /// it: a shared cache must not give an allowed origin the copy made for
    /// a request without one (no CORS headers) or for a refused one.
    @Test func everyAnswerVariesByOrigin() async throws {
        let stack = try await stack(authenticated: true)
        defer { Task { await stack.stop() } }
        let key = ("X-API-Key", "ci-secret-key")
        let cases: [(String, [(String, String)])] = [
            ("no origin", [key]),
            ("allowed origin", [("Origin", Self.app), key]),
            ("refused origin", [("Origin", "https://evil.example"), key]),
            ("no origin, unauthenticated", []),
            ("refused origin, unauthenticated", [("Origin", "https://evil.example")]),
        ]
        for (name, headers) in cases {
            let reply = try await post(stack.port, greeter, "hello", #"{"name": "x"}"#, headers: headers)
            #expect(reply.headers.filter { $0.0 == "vary" }.map(\.1) == ["Origin"], "\(name)")
        }
        let probe = try await http(stack.port, "GET", "/healthz")
        #expect(probe.header("vary") == "Origin")
        let refused = try await http(stack.port, "OPTIONS", "/invoke/\(greeter)/hello",
                                     headers: [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "POST")])
        #expect(refused.status == 403)
        #expect(refused.header("vary") == "Origin")
    }
}
