import EdgePolicy
import Testing

@Suite struct CORSPolicyTests {
    @Test func listedOriginsOnly() throws {
        let cors = try CORSPolicy(origins: ["https://app.example.com/", "http://localhost:3000"], maxAge: 120)
        #expect(cors.allows(origin: "https://app.example.com"))
        #expect(cors.allows(origin: "HTTPS://APP.example.com"))
        #expect(cors.allows(origin: "http://localhost:3000"))
        #expect(!cors.allows(origin: "https://app.example.com.evil.net"))
        #expect(!cors.allows(origin: "http://app.example.com"))
        #expect(!cors.allows(origin: "null"))
        let headers = Dictionary(uniqueKeysWithValues: cors.preflightHeaders(origin: "https://app.example.com"))
        #expect(headers["Access-Control-Allow-Origin"] == "https://app.example.com")
        #expect(headers["Access-Control-Max-Age"] == "120")
        #expect(headers["Access-Control-Allow-Headers"]?.contains("Authorization") == true)
    }

    @Test func anyOrigin() throws {
        let cors = try CORSPolicy(origins: ["*"])
        #expect(cors.allows(origin: "https://whatever.example"))
        let headers = Dictionary(uniqueKeysWithValues: cors.responseHeaders(origin: "https://whatever.example"))
        #expect(headers["Access-Control-Allow-Origin"] == "*")
        #expect(headers["Access-Control-Expose-Headers"]?.contains("X-Request-Id") == true)
    }

    @Test func badOrigins() {
        for bad in ["app.example.com", "https://app.example.com/path", "ftp://x"] {
            #expect(throws: EdgeConfigError.self, "\(bad)") { try CORSPolicy(origins: [bad]) }
        }
    }
}
