import ComponentValues
import EdgePolicy
import Gateway
import TestSupport
import Testing

@Suite struct OpenAPISecurityTests {
    @Test func theServedDocumentDeclaresWhatIsConfigured() async throws {
        var edge = try await edgeConfig(signer: try await TestSigner.shared())
        edge.policy = try AccessPolicy(parsing: "* *")
        edge.rateLimit = try RateLimit(parsing: "100/s")
        let stack = try Stack { $0.edge = edge }
        defer { Task { await stack.stop() } }
        let doc = try #require(try await http(stack.port, "GET", "/openapi.json", headers: [("X-API-Key", "ci-secret-key")]).json)
        guard case .object(let schemes)? = doc["components"]?["securitySchemes"] else { Issue.record("no securitySchemes"); return }
        #expect(schemes.map(\.0) == ["apiKey", "bearer"])
        #expect(doc["components"]?["securitySchemes"]?["apiKey"]?["name"]?.stringValue == "X-API-Key")
        #expect(doc["components"]?["securitySchemes"]?["bearer"]?["scheme"]?.stringValue == "bearer")
        guard case .array(let requirement)? = doc["security"] else { Issue.record("no security"); return }
        #expect(requirement.count == 2)
        let hello = doc["paths"]?["/invoke/\(greeter)/hello"]?["post"]?["responses"]
        for status in ["401", "403", "429"] { #expect(hello?[status] != nil, "\(status)") }
        #expect(doc["components"]?["responses"]?["Unauthenticated"]?["headers"]?["WWW-Authenticate"] != nil)
        #expect(doc["components"]?["responses"]?["RateLimited"]?["headers"]?["Retry-After"] != nil)
        guard case .array(let codes)? = doc["components"]?["schemas"]?["Error"]?["properties"]?["code"]?["enum"] else { Issue.record("no codes"); return }
        #expect(codes.contains(.string("unauthenticated")) && codes.contains(.string("permission_denied")))
    }

    @Test func anOpenGatewayDeclaresNone() async throws {
        let stack = try Stack()
        defer { Task { await stack.stop() } }
        let doc = try #require(try await http(stack.port, "GET", "/openapi.json").json)
        #expect(doc["security"] == nil)
        #expect(doc["components"]?["securitySchemes"] == nil)
        #expect(doc["paths"]?["/invoke/\(greeter)/hello"]?["post"]?["responses"]?["401"] == nil)
    }
}
