import Foundation
import Gateway
import Testing

/// The console's files through the real HTTP server. (What the page does is
/// tested in a real browser: Tests/Browser, run by scripts/browser-test.sh.)
@Suite struct ConsoleTests {
    @Test func servedAtTheRootUnderAStrictContentSecurityPolicy() async throws {
        let stack = try Stack()
        let page = try await http(stack.port, "GET", "/")
        #expect(page.status == 200)
        #expect(page.header("content-type") == "text/html; charset=utf-8")
        let csp = try #require(page.header("content-security-policy"))
        #expect(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && csp.contains("style-src 'self'"))
        #expect(!csp.contains("unsafe"))
        #expect(page.header("x-content-type-options") == "nosniff")
        #expect(page.text.contains("<script src=\"console/app.js\" defer></script>"))
        // Nothing the policy would refuse: no inline script, style or handler.
        #expect(page.text.firstMatch(of: /<script(?![^>]*\ssrc=)/) == nil)
        #expect(page.text.firstMatch(of: /<style|\sstyle=|\son[a-z]+=/) == nil)

        for (path, type) in [("/console/app.js", "text/javascript; charset=utf-8"), ("/console/app.css", "text/css; charset=utf-8"),
                             ("/console/favicon.svg", "image/svg+xml")] {
            let reply = try await http(stack.port, "GET", path)
            #expect(reply.status == 200, "\(path)")
            #expect(reply.header("content-type") == type, "\(path)")
            #expect(reply.header("content-security-policy") == csp, "\(path)")
            #expect(!reply.body.isEmpty, "\(path)")
        }
        let script = try await http(stack.port, "GET", "/console/app.js")
        for refused in ["eval(", "new Function", "innerHTML", "setAttribute('style'", ".style."] {
            #expect(!script.text.contains(refused), "app.js uses \(refused)")
        }
        await stack.stop()
    }

    @Test func otherMethodsAndUnknownFilesGetTheErrorBody() async throws {
        let stack = try Stack()
        let post = try await http(stack.port, "POST", "/")
        #expect(post.status == 405)
        #expect(post.header("allow") == "GET")
        #expect(post.json?["code"]?.stringValue == "invalid_argument")
        let missing = try await http(stack.port, "GET", "/console/missing.js")
        #expect(missing.status == 404)
        #expect(missing.json?["code"]?.stringValue == "not_found")
        let head = try await http(stack.port, "HEAD", "/")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        let metrics = try await http(stack.port, "GET", "/metrics")
        #expect(metrics.text.contains("wrpc_gateway_http_requests_total{route=\"console\",status=\"200\"} 1"))
        await stack.stop()
    }

    @Test func offWithNoConsole() async throws {
        let stack = try Stack { $0.console = false }
        for path in ["/", "/console/app.js"] {
            let reply = try await http(stack.port, "GET", path)
            #expect(reply.status == 404, "\(path)")
            #expect(reply.json?["code"]?.stringValue == "not_found")
        }
        #expect(try await http(stack.port, "GET", "/functions").status == 200)
        await stack.stop()
    }

    /// The console shows the doc comments `/functions` carries.
    @Test func functionsCarryTheirDocComments() async throws {
        let stack = try Stack()
        let list = try #require(try await http(stack.port, "GET", "/functions").json)
        guard case .array(let entries) = list else { Issue.record("not an array"); return }
        let hello = try #require(entries.first { $0["alias"]?.stringValue == "hello" })
        #expect(hello["docs"]?.stringValue == "Returns a greeting for `name`.")
        let echo = try #require(entries.first { $0["alias"]?.stringValue == "echo-record" })
        #expect(echo["docs"] == nil)
        await stack.stop()
    }
}
