import ComponentValues
import EdgePolicy
import Foundation
import Gateway
import TestSupport
import Testing

@Suite struct AuthenticationTests {
    @Test func withoutValidCredentialsNothingReachesTheBackend() async throws {
        // A backend that counts connections and answers nothing useful.
        let backend = try FakeBackend(.cutShort([]))
        defer { backend.stop() }
        let signer = try await TestSigner.shared()
        let stranger = try await TestSigner.stranger()
        let edge = try await edgeConfig(signer: signer)
        let stack = try Stack(configure: { $0.edge = edge }, target: backend.url)
        defer { Task { await stack.stop() } }
        let now = Int(Date().timeIntervalSince1970)
        let refused: [(String, [(String, String)])] = [
            ("none", []),
            ("unknown key", [("X-API-Key", "guess")]),
            ("unknown bearer key", [("Authorization", "Bearer guess")]),
            ("basic", [("Authorization", "Basic Y2k6Y2ktc2VjcmV0LWtleQ==")]),
            ("alg none", [("Authorization", "Bearer " + (try TestSigner.unsigned(claims: tokenClaims())))]),
            ("foreign key", [("Authorization", "Bearer " + (try await stranger.token(.es256, claims: tokenClaims())))]),
            ("expired", [("Authorization", "Bearer " + (try await signer.token(.rs256, claims: tokenClaims(["exp": now - 120]))))]),
            ("not yet", [("Authorization", "Bearer " + (try await signer.token(.eddsa, claims: tokenClaims(["nbf": now + 120]))))]),
            ("wrong issuer", [("Authorization", "Bearer " + (try await signer.token(.es256, claims: tokenClaims(["iss": "https://evil.test"]))))]),
            ("wrong audience", [("Authorization", "Bearer " + (try await signer.token(.es256, claims: tokenClaims(["aud": "someone-else"]))))]),
        ]
        for (name, headers) in refused {
            let reply = try await post(stack.port, greeter, "hello", #"{"name": "x"}"#, headers: headers)
            #expect(reply.status == 401, "\(name)")
            #expect(reply.errorCode == "unauthenticated", "\(name)")
            #expect(reply.header("www-authenticate")?.hasPrefix("Bearer realm=\"wrpc-gateway\"") == true, "\(name)")
        }
        // A streamed upload without credentials is refused too, its body unread.
        let upload = try await http(stack.port, "POST", "/invoke/\(blobs)/upload", body: Array(repeating: 7, count: 100_000),
                                    contentType: "application/octet-stream")
        #expect(upload.status == 401)
        #expect(backend.counters.accepted.load(ordering: .relaxed) == 0)
        // The same request with a key does reach it (the counter counts).
        let allowed = try await post(stack.port, greeter, "hello", #"{"name": "x"}"#, headers: [("X-API-Key", "ci-secret-key")])
        #expect(allowed.status == 502)
        #expect(backend.counters.accepted.load(ordering: .relaxed) == 1)
    }

    @Test func keysAndEveryTokenAlgorithmAreAccepted() async throws {
        let signer = try await TestSigner.shared()
        let edge = try await edgeConfig(signer: signer)
        let stack = try Stack { $0.edge = edge }
        defer { Task { await stack.stop() } }
        var accepted: [[(String, String)]] = [[("X-API-Key", "ci-secret-key")], [("Authorization", "Bearer ops-secret-key")]]
        for algorithm in TestSigner.Algorithm.allCases {
            accepted.append([("Authorization", "Bearer " + (try await signer.token(algorithm, claims: tokenClaims())))])
        }
        for headers in accepted {
            let reply = try await post(stack.port, greeter, "hello", #"{"name": "world"}"#, headers: headers)
            #expect(reply.status == 200, "\(headers)")
            #expect(reply.text == "\"Hello, world!\"")
        }
    }

    @Test func the401AnswerAndWhatStaysPublic() async throws {
        let edge = try await edgeConfig(signer: nil)
        let stack = try Stack { $0.edge = edge }
        defer { Task { await stack.stop() } }
        let missing = try await http(stack.port, "GET", "/functions", headers: [("X-Request-Id", "req-401")])
        #expect(missing.status == 401)
        #expect(missing.header("content-type") == "application/json")
        #expect(missing.header("www-authenticate") == "Bearer realm=\"wrpc-gateway\"")
        #expect(missing.header("x-request-id") == "req-401")
        #expect(missing.header("x-content-type-options") == "nosniff")
        guard case .object(let body)? = missing.json else { Issue.record("not JSON: \(missing.text)"); return }
        #expect(body.map(\.0) == ["code", "message", "details"])
        let invalid = try await http(stack.port, "GET", "/functions", headers: [("Authorization", "Bearer wrong")])
        #expect(invalid.header("www-authenticate")?.contains("error=\"invalid_token\"") == true)
        for path in ["/metrics", "/openapi.json", "/nowhere"] {
            #expect(try await http(stack.port, "GET", path).status == 401, "\(path)")
        }
        for path in ["/healthz", "/readyz"] {
            #expect(try await http(stack.port, "GET", path).status == 200, "\(path)")
        }
        #expect(try await http(stack.port, "GET", "/functions", headers: [("X-API-Key", "ci-secret-key")]).status == 200)
        let metrics = try await http(stack.port, "GET", "/metrics", headers: [("X-API-Key", "ci-secret-key")]).text
        #expect(metric(metrics, #"wrpc_gateway_edge_refusals_total{reason="unauthenticated"}"#) == 5)
    }

    @Test func theLogNamesTheCallerAndNeverTheSecret() async throws {
        let signer = try await TestSigner.shared()
        let edge = try await edgeConfig(signer: signer)
        let log = LogCapture()
        let stack = try Stack(configure: { $0.edge = edge }, logger: log.logger)
        defer { Task { await stack.stop() } }
        let token = try await signer.token(.es256, claims: tokenClaims(["sub": "bob"]))
        _ = try await post(stack.port, greeter, "hello", #"{"name": "a"}"#, headers: [("X-API-Key", "ci-secret-key"), ("X-Request-Id", "by-key")])
        _ = try await post(stack.port, greeter, "hello", #"{"name": "b"}"#, headers: [("Authorization", "Bearer \(token)"), ("X-Request-Id", "by-jwt")])
        _ = try await post(stack.port, greeter, "hello", #"{"name": "c"}"#, headers: [("X-API-Key", "not-a-key"), ("X-Request-Id", "refused")])
        // The log line is written when the answer has ended, just after the client read it.
        for _ in 0..<500 where log.text.components(separatedBy: "\n").count < 3 { try await Task.sleep(for: .milliseconds(10)) }
        let lines = log.text.components(separatedBy: "\n")
        #expect(lines.first { $0.contains("request_id=by-key") }?.contains("identity=key:ci") == true)
        #expect(lines.first { $0.contains("request_id=by-jwt") }?.contains("identity=sub:bob") == true)
        let refused = lines.first { $0.contains("request_id=refused") }
        #expect(refused?.contains("status=401") == true)
        #expect(refused?.contains("identity") == false)
        for secret in ["ci-secret-key", "not-a-key", token, String(token.split(separator: ".")[2])] {
            #expect(!log.text.contains(secret))
        }
    }

    @Test func thePolicyDecidesWhoCallsWhat() async throws {
        let signer = try await TestSigner.shared()
        var edge = try await edgeConfig(signer: signer)
        edge.policy = try AccessPolicy(parsing: """
            key:ci              \(greeter)/*
            claim:scope=types   \(types)/*
            sub:admin           *
            """)
        let stack = try Stack { $0.edge = edge }
        defer { Task { await stack.stop() } }
        let ci = [("X-API-Key", "ci-secret-key")]
        #expect(try await post(stack.port, greeter, "hello", #"{"name": "x"}"#, headers: ci).status == 200)
        let denied = try await post(stack.port, types, "echo-record", #"{"p": {"x": 1, "y": 2}}"#, headers: ci)
        #expect(denied.status == 403)
        #expect(denied.errorCode == "permission_denied")
        #expect(denied.text.contains("key:ci"))
        // A key the policy does not name may call nothing, but still reads the lists.
        let ops = [("X-API-Key", "ops-secret-key")]
        #expect(try await post(stack.port, greeter, "hello", #"{"name": "x"}"#, headers: ops).status == 403)
        #expect(try await http(stack.port, "GET", "/functions", headers: ops).status == 200)
        let scoped = [("Authorization", "Bearer " + (try await signer.token(.eddsa, claims: tokenClaims(["scope": "read types"]))))]
        #expect(try await post(stack.port, types, "echo-record", #"{"p": {"x": 1, "y": 2}}"#, headers: scoped).status == 200)
        #expect(try await post(stack.port, greeter, "hello", #"{"name": "x"}"#, headers: scoped).status == 403)
        let admin = [("Authorization", "Bearer " + (try await signer.token(.rs256, claims: tokenClaims(["sub": "admin"]))))]
        // By its wire name too: the policy matches every name of a function.
        #expect(try await post(stack.port, keyvalue, "open", #"{"identifier": "p"}"#, headers: admin).status == 200)
        // An unknown function is a 404 whoever asks.
        #expect(try await post(stack.port, greeter, "nope", "{}", headers: ci).status == 404)
        let metrics = try await http(stack.port, "GET", "/metrics", headers: ci).text
        #expect(metric(metrics, #"wrpc_gateway_edge_refusals_total{reason="permission_denied"}"#) == 3)
    }
}
