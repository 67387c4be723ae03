import ComponentValues
import Foundation
import Gateway
import TestSupport
import Testing
import WRPCTransport

/// `blobs.echo` with a raw body of any size gets its status line:
/// libmicrohttpd sends no response before the request body is in, while
/// the echoed bytes would fill every buffer, so the early response is
/// held up to `maxEarlyResponseBytes`, and a call past that gets a 413
/// at once; every size answers. The whole suite takes the heavy-transfer
/// turn: its bodies (up to 100 MiB, made in this process) would grow the
/// resident set that other tests measure.
@Suite(.heavyTransfer) struct FullDuplexTests {
    static let limit = 4 << 20

    /// Sends the body while reading the answer (as curl does), until the
    /// server closes. The last `holdBack` bytes wait for the answer's first
    /// bytes: otherwise, on a loaded machine, the whole body may be in
    /// before the echo passes the bound, and the call is rightly answered
    /// 200 (nothing was held past the bound), which is not what a test of
    /// the bound means to see.
    static func echo(_ port: Int, _ body: [UInt8], holdBack: Int = 0) async throws -> Reply {
        let stream = try await TCPTransport(host: "127.0.0.1", port: port).connect()
        defer { stream.close() }
        let head = "POST /invoke/\(blobs)/echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
            + "Content-Type: application/octet-stream\r\nContent-Length: \(body.count)\r\n\r\n"
        let (answered, answer) = AsyncStream<Void>.makeStream()
        let sending = Task {
            try? await stream.write(Array(head.utf8))
            func send(_ range: Range<Int>) async -> Bool {
                var at = range.lowerBound
                while at < range.upperBound {
                    let end = min(at + (256 << 10), range.upperBound)
                    guard (try? await stream.write(Array(body[at..<end]))) != nil else { return false }
                    at = end
                }
                return true
            }
            let split = body.count - min(holdBack, body.count)
            guard await send(0..<split) else { return }
            for await _ in answered { break }
            _ = await send(split..<body.count)
        }
        defer { sending.cancel() }
        var raw: [UInt8] = []
        while case let bytes = try await stream.read(), !bytes.isEmpty {
            raw += bytes
            answer.yield()
        }
        answer.finish()
        return try parseReply(raw)
    }

    /// `size` bytes: a 64 KiB pattern repeated (made quickly, even in a debug build).
    static func body(_ size: Int) -> [UInt8] {
        let block = (0..<(64 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        var out: [UInt8] = []
        out.reserveCapacity(size)
        while out.count < size { out += block.prefix(size - out.count) }
        return out
    }

    /// Under the bound: the whole echo, byte for byte.
    @Test(arguments: [0, 1, 1 << 20, 3 << 20])
    func smallEchoesComeBackWhole(_ size: Int) async throws {
        let stack = try Stack { $0.http.maxEarlyResponseBytes = Self.limit }
        let body = Self.body(size)
        let reply = try await Self.echo(stack.port, body)
        #expect(reply.status == 200)
        #expect(reply.complete)
        #expect(reply.body == body)
        await stack.stop()
    }

    /// Past the bound: a 413 JSON error, at once, not a hang.
    @Test(arguments: [8 << 20, 40 << 20])
    func largeEchoesGetA413(_ size: Int) async throws {
        let stack = try Stack { $0.http.maxEarlyResponseBytes = Self.limit }
        let reply = try await Self.echo(stack.port, Self.body(size), holdBack: 64 << 10)
        try expectEarly413(reply)
        await stack.stop()
    }

    @Test func aHundredMebibyteEchoGetsA413() async throws {
        let stack = try Stack { $0.http.maxEarlyResponseBytes = Self.limit }
        let reply = try await Self.echo(stack.port, Self.body(100 << 20), holdBack: 64 << 10)
        try expectEarly413(reply)
        await stack.stop()
    }

    func expectEarly413(_ reply: Reply, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(reply.status == 413, "\(reply.text.prefix(300))", sourceLocation: sourceLocation)
        #expect(reply.header("connection")?.lowercased() == "close", sourceLocation: sourceLocation)
        if case .object(let fields)? = reply.json {
            #expect(fields.first { $0.0 == "code" }?.1 == .string("resource_exhausted"), sourceLocation: sourceLocation)
        } else {
            Issue.record("not the JSON error body: \(reply.text.prefix(300))", sourceLocation: sourceLocation)
        }
    }
}
