import EdgePolicy
import Foundation
import TestSupport
import Testing

@Suite struct AuthenticatorTests {
    static let now = Date()
    static func claims(_ extra: [String: Any] = [:]) -> [String: Any] {
        ["sub": "alice", "iss": "https://issuer.test", "aud": "gateway", "exp": Int(now.timeIntervalSince1970) + 300,
         "nbf": Int(now.timeIntervalSince1970) - 10, "scope": "kv.read kv.write", "role": ["reader", "ops"]]
            .merging(extra) { $1 }
    }

    func authenticator(_ signer: TestSigner, keys: String? = "ci:key-for-ci") async throws -> Authenticator {
        let jwt = try await JWTVerifier(JWTSettings(jwks: signer.jwks, issuer: "https://issuer.test", audience: "gateway", leeway: .seconds(30)))
        return Authenticator(apiKeys: try keys.map { try APIKeys(parsing: $0) }, jwt: jwt)
    }

    func authenticate(_ a: Authenticator, _ headers: [String: String]) async -> Result<Identity, EdgeRefusal> {
        await a.authenticate(header: { headers[$0] }, now: Self.now)
    }

    @Test func everyAlgorithmVerifies() async throws {
        let signer = try await TestSigner.shared()
        let a = try await authenticator(signer)
        for algorithm in TestSigner.Algorithm.allCases {
            let token = try await signer.token(algorithm, claims: Self.claims())
            let identity = try await authenticate(a, ["authorization": "Bearer \(token)"]).get()
            #expect(identity.description == "sub:alice", "\(algorithm)")
            #expect(identity.claims["scope"] == ["kv.read", "kv.write"])
            #expect(identity.claims["role"] == ["reader", "ops"])
        }
    }

    @Test func apiKeysInEitherHeader() async throws {
        let a = try await authenticator(try await TestSigner.shared())
        #expect(try await authenticate(a, ["x-api-key": "key-for-ci"]).get().description == "key:ci")
        #expect(try await authenticate(a, ["authorization": "Bearer key-for-ci"]).get().description == "key:ci")
        #expect(try await authenticate(a, ["authorization": "bearer   key-for-ci "]).get().description == "key:ci")
    }

    @Test func refusals() async throws {
        let signer = try await TestSigner.shared()
        let a = try await authenticator(signer)
        let t = Int(Self.now.timeIntervalSince1970)
        let cases: [(String, [String: String], String)] = [
            ("missing", [:], "credentials required"),
            ("unknown key", ["x-api-key": "nope"], "API key is not valid"),
            ("basic", ["authorization": "Basic YTpi"], "Bearer"),
            ("not a jwt", ["authorization": "Bearer nope"], "neither"),
            ("expired", ["authorization": "Bearer " + (try await signer.token(.rs256, claims: Self.claims(["exp": t - 31])))], "expired"),
            ("not yet", ["authorization": "Bearer " + (try await signer.token(.eddsa, claims: Self.claims(["nbf": t + 31])))], "not valid yet"),
            ("issuer", ["authorization": "Bearer " + (try await signer.token(.es256, claims: Self.claims(["iss": "https://evil.test"])))], "issuer"),
            ("audience", ["authorization": "Bearer " + (try await signer.token(.es256, claims: Self.claims(["aud": "other"])))], "audience"),
            ("no exp", ["authorization": "Bearer " + (try await signer.token(.es256, claims: Self.claims().filter { $0.key != "exp" }))], "`exp`"),
            ("no sub", ["authorization": "Bearer " + (try await signer.token(.es256, claims: Self.claims().filter { $0.key != "sub" }))], "`sub`"),
            ("alg none", ["authorization": "Bearer " + (try TestSigner.unsigned(claims: Self.claims()))], "signature"),
        ]
        for (name, headers, expected) in cases {
            switch await authenticate(a, headers) {
            case .success(let identity): Issue.record("\(name): accepted as \(identity)")
            case .failure(let refusal):
                #expect(refusal.status == 401, "\(name)")
                #expect(refusal.code == "unauthenticated", "\(name)")
                #expect(refusal.message.contains(expected), "\(name): \(refusal.message)")
                let challenge = refusal.headers.first { $0.0 == "WWW-Authenticate" }?.1 ?? ""
                #expect(challenge.hasPrefix("Bearer realm=\"wrpc-gateway\""), "\(name)")
                #expect(challenge.contains("invalid_token") == (name != "missing"), "\(name): \(challenge)")
            }
        }
    }

    @Test func withinTheLeewayIsAccepted() async throws {
        let signer = try await TestSigner.shared()
        let a = try await authenticator(signer)
        let t = Int(Self.now.timeIntervalSince1970)
        let token = try await signer.token(.es256, claims: Self.claims(["exp": t - 20, "nbf": t + 20]))
        #expect(try await authenticate(a, ["authorization": "Bearer \(token)"]).get().name == "alice")
    }

    @Test func aTamperedOrForeignTokenIsRefused() async throws {
        let signer = try await TestSigner.shared()
        let stranger = try await TestSigner.stranger()
        let a = try await authenticator(signer)
        let token = try await signer.token(.rs256, claims: Self.claims())
        var parts = token.split(separator: ".").map(String.init)
        parts[1] = TestSigner.base64URL(try JSONSerialization.data(withJSONObject: Self.claims(["sub": "mallory"])))
        for (name, bad) in [("tampered", parts.joined(separator: ".")),
                            ("foreign key", try await stranger.token(.es256, claims: Self.claims())),
                            ("signature cut", String(token.dropLast(4)))] {
            guard case .failure(let refusal) = await authenticate(a, ["authorization": "Bearer \(bad)"]) else {
                Issue.record("\(name): accepted")
                continue
            }
            #expect(refusal.message.contains("signature"), "\(name)")
        }
        // A verified token is cached; its claims are still checked each time.
        #expect(try await authenticate(a, ["authorization": "Bearer \(token)"]).get().name == "alice")
        let later = Self.now.addingTimeInterval(400)
        guard case .failure(let refusal) = await a.authenticate(header: { $0 == "authorization" ? "Bearer \(token)" : nil }, now: later) else {
            Issue.record("an expired cached token was accepted")
            return
        }
        #expect(refusal.message.contains("expired"))
    }

    @Test func aBadJWKSIsSaidAtStart() async {
        await #expect(throws: EdgeConfigError.self) { try await JWTVerifier(JWTSettings(jwks: "{\"keys\": [{\"kty\": \"RSA\"}]}")) }
        await #expect(throws: EdgeConfigError.self) { try await JWTVerifier(JWTSettings(jwks: "not json")) }
    }
}
