import CurlClient
import Egress
@testable import Gateway
import Testing
import WasiHTTP

/// What the egress fetches is the URL its allowlist checked, and the
/// authority alone names the host.
@Suite struct EgressURLTests {
    static func stack(_ log: OriginLog, prefix: String) throws -> EgressStack {
        var config = EgressConfig()
        config.allowedPrefixes = ["http://127.0.0.1:\(log.origin.server.port)\(prefix)"]
        config.allowInternalAddresses = true
        return try EgressStack(config: config)
    }

    @Test func dotSegmentsNeverLeaveTheAllowedPrefix() async throws {
        let log = try OriginLog()
        let egress = try Self.stack(log, prefix: "/public/")
        defer { egress.stop() }
        let authority = "127.0.0.1:\(log.origin.server.port)"
        for path in dotSegmentEscapes {
            #expect(try await egress.handle(get(authority, path)).result == .failure(.httpRequestDenied), "\(path)")
        }
        for path in ambiguousDotSegments {
            #expect(try await egress.handle(get(authority, path)).result == .failure(.httpRequestURIInvalid), "\(path)")
        }
        #expect(log.targets == [], "the origin was asked for nothing")
        // Inside the prefix, the normalised URL is what goes out.
        let inside = try await egress.handle(get(authority, "/public/a/%2e%2e/b?x=1"))
        guard case .response(let head) = inside.result else { Issue.record("\(inside.result)"); return }
        #expect(head.status == 200)
        #expect(log.targets == ["/public/b?x=1"])
        await log.stop()
    }

    @Test func theAuthorityDecidesTheHost() async throws {
        let log = try OriginLog()
        let egress = try Self.stack(log, prefix: "/")
        defer { egress.stop() }
        let authority = "127.0.0.1:\(log.origin.server.port)"
        for host in ["other.example", "127.0.0.1", "127.0.0.1:1", "\(authority).evil"] {
            let head = get(authority, "/x", headers: Fields(pairs: [("Host", Array(host.utf8))]))
            #expect(try await egress.handle(head).result == .failure(.httpRequestDenied), "\(host)")
        }
        // Two values of which one is the authority are still refused.
        let twice = get(authority, "/x", headers: Fields(pairs: [("host", Array(authority.utf8)), ("host", Array("other.example".utf8))]))
        #expect(try await egress.handle(twice).result == .failure(.httpRequestDenied))
        #expect(log.hosts == [], "the origin was asked for nothing")
        // The authority's own host (in any case) passes, and so does none.
        _ = try await egress.handle(get(authority, "/same", headers: Fields(pairs: [("HOST", Array(authority.utf8))])))
        _ = try await egress.handle(get(authority, "/none"))
        #expect(log.targets == ["/same", "/none"])
        #expect(log.hosts == [authority, authority])
        await log.stop()
    }
}
