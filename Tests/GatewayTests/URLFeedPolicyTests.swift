import ComponentValues
@testable import Gateway
import Testing

/// A stream URL feed fetches the URL its allowlist checked, and, as the
/// egress, no internal address unless the operator allows them.
@Suite struct URLFeedPolicyTests {
    @Test func dotSegmentsNeverLeaveTheAllowedPrefix() async throws {
        let log = try OriginLog()
        let base = log.origin.base
        let stack = try Stack { $0.urlFetch.allowInternalAddresses = true; $0.urlFetch.allowedPrefixes = [base + "/public/"] }
        for path in dotSegmentEscapes {
            let reply = try await URLFeedTests.upload(stack, url: base + path)
            #expect(reply.status == 400, "\(path): \(reply.text)")
            #expect(reply.json?["message"]?.stringValue?.contains("not under an allowed URL prefix") == true, "\(path): \(reply.text)")
        }
        for path in ambiguousDotSegments {
            let reply = try await URLFeedTests.upload(stack, url: base + path)
            #expect(reply.status == 400, "\(path): \(reply.text)")
            #expect(reply.json?["message"]?.stringValue?.contains("resolve differently") == true, "\(path): \(reply.text)")
        }
        #expect(log.targets == [], "the origin was asked for nothing")
        // A redirect that leaves the prefix by dot segments is refused too.
        let hop = try await URLFeedTests.upload(stack, url: base + "/public/hop")
        #expect(hop.status == 502, "\(hop.text)")
        #expect(hop.json?["message"]?.stringValue?.contains("redirects elsewhere") == true, "\(hop.text)")
        #expect(log.targets == ["/public/hop"])
        // Inside the prefix, the normalised URL is what is fetched.
        log.clear()
        let inside = try await URLFeedTests.upload(stack, url: base + "/public/a/%2e%2e/b")
        #expect(inside.status == 200, "\(inside.text)")
        #expect(log.targets == ["/public/b"])
        await stack.stop()
        await log.stop()
    }

    @Test func internalAddressesAreRefusedUnlessAllowed() async throws {
        let log = try OriginLog()
        let base = log.origin.base
        let guarded = try Stack { $0.urlFetch.allowedPrefixes = [base + "/", "http://localhost:\(log.origin.server.port)/"] }
        for url in [base + "/x", "http://localhost:\(log.origin.server.port)/x"] {
            let reply = try await URLFeedTests.upload(guarded, url: url)
            #expect(reply.status == 400, "\(url): \(reply.text)")
            #expect(reply.json?["message"]?.stringValue?.contains("internal address") == true, "\(url): \(reply.text)")
        }
        #expect(log.targets == [], "the origin was asked for nothing")
        await guarded.stop()
        let open = try Stack { $0.urlFetch.allowInternalAddresses = true; $0.urlFetch.allowedPrefixes = [base + "/"] }
        #expect(try await URLFeedTests.upload(open, url: base + "/x").status == 200)
        #expect(log.targets == ["/x"])
        await open.stop()
        await log.stop()
    }
}
