import ComponentValues
import EventLoops
import Foundation
import Gateway
import Testing
import TestSupport
import WasiHTTP
import WRPCTransport
import Locking

/// The forward against the upstream Go peers' recorded `handle` call.
@Suite struct ForwardWireTests {
    static let request = "POST /go/echo HTTP/1.1\r\nHost: localhost\r\nx-req: hello-header\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"

    /// Our parameter bytes are the Go client's, but for the headers a
    /// forward adds (after the client's own); the body and trailers travel
    /// on the same paths with the same bytes. Then the Go server's answer,
    /// split at every byte, is the same HTTP response each time.
    @Test func matchesTheGoPeers() async throws {
        let recording = try WireRecording("http-incoming-echo")
        var split = 1
        while split < recording.response.count {
            let backend = try RecordingBackend(answer: recording.response, split: split)
            defer { backend.stop() }
            let gateway = try forwardingGateway([ForwardRoute(prefix: "/go", urls: [backend.url])])
            let raw = try await rawHTTP(gateway.port, Self.request)
            await gateway.shutdown()
            let reply = try parseReply(raw)
            #expect(reply.status == 200 && reply.text == "hello" && reply.complete, "split at \(split)")
            #expect(reply.header("x-method") == "POST" && reply.header("x-path") == "/echo", "split at \(split)")
            #expect(reply.header("x-authority") == "localhost" && reply.header("x-echo-x-req") == "hello-header", "split at \(split)")
            if split == 1 { try compareRequest(backend.received.bytes.withLock { $0 }, recording.request) }
            // Every split inside the head and the first frames; then coarser.
            split += split < 140 ? 1 : 7
        }
    }

    private func compareRequest(_ ours: [UInt8], _ go: [UInt8]) throws {
        let header = Array(go[..<(go.count - Self.frameBytes(go))])
        #expect(ours.starts(with: header), "the same invocation header")
        let oursFrames = wireFrames(Array(ours[header.count...])).frames
        let goFrames = wireFrames(Array(go[header.count...])).frames
        func joined(_ frames: [WireFrame], _ path: [UInt32]) -> [UInt8] { frames.filter { $0.path == path }.flatMap(\.data) }
        let goHead = try #require(try RequestHead.decodeIncoming(joined(goFrames, [])))
        var stripped = try #require(try RequestHead.decodeIncoming(joined(oursFrames, [])))
        // The request id is the gateway's own, new for each request.
        let requestID = try #require(stripped.headers.entries.first { $0.name == "x-request-id" }?.values)
        var expected = goHead
        expected.headers.entries += [("content-length", [Array("5".utf8)]), ("x-forwarded-for", [Array("127.0.0.1".utf8)]),
                                     ("x-forwarded-proto", [Array("http".utf8)]), ("x-forwarded-host", [Array("localhost".utf8)]),
                                     ("forwarded", [Array("for=127.0.0.1;proto=http;host=localhost".utf8)]),
                                     ("x-real-ip", [Array("127.0.0.1".utf8)]), ("x-request-id", requestID)]
        #expect(hex(joined(oursFrames, [])) == hex(expected.encodeAsIncomingParameters()))
        // Without what the forward adds, the Go client's bytes exactly.
        let added = ["content-length", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded", "x-real-ip", "x-request-id"]
        stripped.headers.entries.removeAll { added.contains($0.name) }
        #expect(hex(stripped.encodeAsIncomingParameters()) == hex(joined(goFrames, [])))
        for path in [RequestHead.bodyPath, RequestHead.trailersPath] {
            #expect(hex(joined(oursFrames, path)) == hex(joined(goFrames, path)), "path \(path)")
        }
    }

    /// How many bytes at the end of a recorded request are frames (after
    /// the version, instance and function).
    static func frameBytes(_ bytes: [UInt8]) -> Int {
        var i = 1
        for _ in 0..<2 {
            let n = Int(readLEB(bytes, &i)!)
            i += n
        }
        return bytes.count - i
    }
}

/// A backend on a raw socket: records what the gateway sends, answers
/// with `answer` split after `split` bytes (a pause between the
/// pieces), then keeps the connection open as the Go server does.
final class RecordingBackend: Sendable {
    let listener: SocketListener
    let task: Task<Void, Never>
    let received = Received()

    final class Received: Sendable {
        let bytes = Locked<[UInt8]>([])
    }

    init(answer: [UInt8], split: Int) throws {
        let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        self.listener = listener
        let received = self.received
        task = Task(executorPreference: EventLoopGroup.shared.next()) {
            while let s = try? await listener.accept() {
                // Everything the gateway sends until it half-closes.
                while let b = try? await s.read(), !b.isEmpty { received.bytes.withLock { $0 += b } }
                try? await s.write(Array(answer[..<split]))
                try? await Task.sleep(for: .milliseconds(1))
                try? await s.write(Array(answer[split...]))
                _ = try? await s.read()
                s.close()
            }
        }
    }

    var url: String { listener.address }

    func stop() {
        task.cancel()
        listener.close()
    }
}

