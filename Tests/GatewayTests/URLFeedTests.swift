import ComponentValues
import CurlClient
import DemoBackend
import Foundation
@testable import Gateway
import Logging
import Synchronization
import TestSupport
import Testing
import WIT
import WRPCTransport

/// A local HTTP origin for the gateway to fetch from (our libmicrohttpd server).
final class Origin: Sendable {
    typealias Route = @Sendable (HTTPRequest, any ResponseSink) async -> Void
    let server: HTTPServer
    private let responder: Responder
    var base: String { "http://127.0.0.1:\(server.port)" }
    var requests: Int { responder.hits.load(ordering: .relaxed) }

    init(_ routes: @escaping Route) throws {
        responder = Responder(routes: routes)
        server = HTTPServer(limits: HTTPLimits(), responder: responder)
        try server.start(host: "127.0.0.1", port: 0)
    }

    /// An origin whose every answer is whole.
    convenience init(whole: @escaping @Sendable (String) -> HTTPResponse) throws {
        try self.init { request, sink in try? await sink.respond(whole(request.path)) }
    }

    func stop() async { await server.stop() }

    /// What the server calls. Not the origin itself: the origin holds the
    /// server, and the server its responder, so that would be a cycle that
    /// keeps both (and every body a route holds) for good.
    private final class Responder: HTTPResponder, Sendable {
        let routes: Route
        let hits = Atomic<Int>(0)

        init(routes: @escaping Route) { self.routes = routes }

        func respond(to request: HTTPRequest, sink: any ResponseSink) async {
            hits.add(1, ordering: .relaxed)
            await routes(request, sink)
        }

        /// Paths under /stream/ get their bodies as they arrive; the rest buffered.
        func streamsBody(method: String, path: String, headers: [(String, String)]) -> Bool { path.hasPrefix("/stream/") }
        func reject(_ rejection: HTTPRejection, _ request: HTTPRequest) -> HTTPResponse { HTTPResponse(status: 400) }
    }
}

@Suite struct URLFeedTests {
    static let data = (0..<(5 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 3) }

    static func sha(_ bytes: [UInt8]) -> String {
        var h = UploadDigest()
        h.update(bytes)
        return h.hex()
    }

    static func origin() throws -> Origin {
        try Origin { request, sink in
            switch request.path {
            case "/blob":
                try? await sink.respond(HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream")], body: data))
            case "/streamed":
                // Sent in pieces as a chunked body.
                guard (try? await sink.head(ResponseHead(status: 200))) != nil else { return }
                var i = 0
                while i < data.count {
                    let end = min(i + 100_000, data.count)
                    guard (try? await sink.write(Array(data[i..<end]))) != nil else { return }
                    i = end
                }
                try? await sink.finish()
            case "/broken":
                guard (try? await sink.head(ResponseHead(status: 200))) != nil else { return }
                try? await sink.write([UInt8](repeating: 1, count: 50_000))
                await sink.fail(CLIErrorForTests("cut short"))  // the client sees a truncated transfer
            case "/fail": try? await sink.respond(HTTPResponse(status: 500, body: Array("no".utf8)))
            case "/hop": try? await sink.respond(HTTPResponse(status: 302, headers: [("Location", "/blob")]))
            case "/away": try? await sink.respond(HTTPResponse(status: 302, headers: [("Location", "http://127.0.0.2:1/elsewhere")]))
            default: try? await sink.respond(HTTPResponse(status: 404))
            }
        }
    }

    static func upload(_ stack: Stack, url: String) async throws -> Reply {
        try await post(stack.port, blobs, "upload", "{\"data\":{\"url\":\"\(url)\"}}")
    }

    @Test(.heavyTransfer) func urlFedParameterArrivesExactly() async throws {
        let origin = try Self.origin()
        defer { Task { await origin.stop() } }
        let stack = try Stack { $0.urlFetch.allowInternalAddresses = true; $0.urlFetch.allowedPrefixes = [origin.base + "/"]; $0.defaultTimeout = .seconds(600) }
        let expected = "{\"bytes\":\(Self.data.count),\"sha256\":\"\(Self.sha(Self.data))\"}"
        #expect(try await Self.upload(stack, url: origin.base + "/blob").text == expected)
        #expect(try await Self.upload(stack, url: origin.base + "/streamed").text == expected)
        // A redirect within the allowed prefix is followed.
        #expect(try await Self.upload(stack, url: origin.base + "/hop").text == expected)
        await stack.stop()
    }

    @Test func refusedWithoutFetching() async throws {
        let origin = try Self.origin()
        defer { Task { await origin.stop() } }
        let stack = try Stack { $0.urlFetch.allowInternalAddresses = true; $0.urlFetch.allowedPrefixes = [origin.base + "/blob"] }
        let disallowed = try await Self.upload(stack, url: origin.base + "/streamed")
        #expect(disallowed.status == 400)
        #expect(disallowed.json?["message"]?.stringValue?.contains("not under an allowed URL prefix") == true)
        for url in ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/x", "dict://127.0.0.1/x", "FILE:///etc/hosts"] {
            let reply = try await Self.upload(stack, url: url)
            #expect(reply.status == 400, "\(url)")
            #expect(reply.json?["message"]?.stringValue?.contains("only http and https") == true, "\(url)")
        }
        #expect(origin.requests == 0, "nothing was fetched")
        await stack.stop()
        // Off by default.
        let off = try Stack()
        let reply = try await Self.upload(off, url: origin.base + "/blob")
        #expect(reply.status == 400)
        #expect(reply.json?["message"]?.stringValue?.contains("not enabled") == true)
        await off.stop()
    }

    @Test func redirectToADisallowedHostIsRefused() async throws {
        let origin = try Self.origin()
        defer { Task { await origin.stop() } }
        let stack = try Stack { $0.urlFetch.allowInternalAddresses = true; $0.urlFetch.allowedPrefixes = [origin.base + "/"] }
        let reply = try await Self.upload(stack, url: origin.base + "/away")
        #expect(reply.status == 502)
        #expect(reply.json?["message"]?.stringValue?.contains("redirects elsewhere") == true, "\(reply.text)")
        #expect(reply.json?["details"]?["redirect"]?.stringValue == "http://127.0.0.2:1/elsewhere")
        await stack.stop()
    }

    @Test func originFailures() async throws {
        let origin = try Self.origin()
        defer { Task { await origin.stop() } }
        let stack = try Stack { $0.urlFetch.allowInternalAddresses = true; $0.urlFetch.allowedPrefixes = [origin.base + "/", "http://127.0.0.1:1/"] }
        let serverError = try await Self.upload(stack, url: origin.base + "/fail")
        #expect(serverError.status == 502)
        #expect(serverError.json?["message"]?.stringValue?.contains("answered HTTP 500") == true)
        let refused = try await Self.upload(stack, url: "http://127.0.0.1:1/x")
        #expect(refused.status == 502)
        #expect(refused.json?["message"]?.stringValue?.contains("http://127.0.0.1:1/x") == true)
        // Failing midway: the backend sees a broken stream, so no digest comes back.
        let midway = try await Self.upload(stack, url: origin.base + "/broken")
        #expect(midway.status == 502, "\(midway.text)")
        await stack.stop()
    }

    /// A fast origin and a slow backend: the fetch is paused rather than buffered.
    @Test(.heavyTransfer) func slowBackendKeepsTheFetchBounded() async throws {
        let big = (0..<(32 << 20)).map { UInt8(truncatingIfNeeded: $0) }
        let origin = try Origin(whole: { _ in HTTPResponse(status: 200, body: big) })
        defer { Task { await origin.stop() } }
        let resolve = try DemoBackend.resolve()
        let iface = try #require(resolve.main.interface(named: "blobs"))
        var server = WRPCServer(logger: Logger(label: "slow", factory: { _ in SwiftLogNoOpLogHandler() }))
        server.handle(instance: iface.qualifiedName, function: try #require(iface.function(named: "upload"))) { call in
            var total = 0
            try await call.channel.readStream(path: [0], element: .primitive(.u8)) { event in
                if case .bytes(let b) = event {
                    total += b.count
                    try await Task.sleep(for: .microseconds(200))
                }
            }
            try await call.respond(.object([("bytes", .number(total)), ("sha256", .string(""))]))
        }
        let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        let serving = Task { await server.serve(listener) }
        defer { serving.cancel(); listener.close() }
        let stack = try Stack(configure: { $0.urlFetch.allowInternalAddresses = true; $0.urlFetch.allowedPrefixes = [origin.base + "/"]; $0.defaultTimeout = .seconds(600) }, target: listener.address)
        // Watch the transfer from the side: the gateway keeps it internal, so
        // open one the same way and drain it slowly.
        let probe = try #require(try? await stack.gateway.openURL(NormalizedURL(origin.base + "/big")).get())
        var got = 0
        while let piece = try await probe.next() {
            got += piece.count
            if got < 8 << 20 { try await Task.sleep(for: .milliseconds(1)) }
        }
        #expect(got == big.count)
        let stats = probe.statistics
        #expect(stats.pauses > 0, "the fetch was paused while the reader was behind")
        #expect(stats.peak <= Transfer.highWater + (1 << 20), "held at most \(stats.peak) bytes")
        let reply = try await post(stack.port, blobs, "upload", "{\"data\":{\"url\":\"\(origin.base)/big\"}}")
        #expect(reply.text == "{\"bytes\":\(big.count),\"sha256\":\"\"}")
        await stack.stop()
    }
}
