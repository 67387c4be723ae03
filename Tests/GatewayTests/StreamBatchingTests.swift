import DemoBackend
import Foundation
@testable import Gateway
import Logging
import Synchronization
import TestSupport
import Testing
import WRPCTransport

/// NDJSON and SSE results of many small elements go out in few HTTP chunks,
/// a slowly produced stream still shows each row within the flush delay,
/// and streaming costs no memory per element.
@Suite struct StreamBatchingTests {
    /// A backend whose `count` sends each element in a frame of its own (as
    /// a backend in another language may), and, with `hold`, stops after the
    /// first element until the test lets it go on (or `holdLimit` passed).
    final class OneByOneBackend: Sendable {
        let url: String
        let stop: @Sendable () -> Void
        final class Flags: Sendable {
            /// Set by the test once it saw the first row.
            let released = Atomic<Bool>(false)
            /// Whether the backend went on because it was released (not by its own limit).
            let wentOnReleased = Atomic<Bool>(false)
        }
        let flags = Flags()

        init(hold: Bool, holdLimit: Duration = .seconds(20)) throws {
            let resolve = try DemoBackend.resolve()
            let iface = try #require(resolve.main.interface(named: "blobs"))
            var server = WRPCServer(logger: Logger(label: "one-by-one", factory: { _ in SwiftLogNoOpLogHandler() }))
            let flags = self.flags
            server.handle(instance: iface.qualifiedName, function: try #require(iface.function(named: "count"))) { call in
                let n = call.params.first?.uint64Value ?? 0
                try await call.channel.send(path: [], data: [0])
                var i: UInt64 = 1
                while i <= n {
                    defer { i += 1 }
                    var chunk: [UInt8] = [1]
                    var v = i
                    while v >= 0x80 { chunk.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
                    chunk.append(UInt8(v))
                    try await call.channel.send(path: [0], data: chunk)
                    if hold && i == 1 {
                        let started = ContinuousClock.now
                        while !flags.released.load(ordering: .acquiring) && ContinuousClock.now - started < holdLimit {
                            try await Task.sleep(for: .milliseconds(5))
                        }
                        flags.wentOnReleased.store(flags.released.load(ordering: .acquiring), ordering: .releasing)
                    }
                }
                try await call.channel.endStream(path: [0])
            }
            let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
            let task = Task { await server.serve(listener) }
            url = listener.address
            stop = { task.cancel(); listener.close() }
        }
    }

    /// The raw chunked body of a streamed answer: its chunks' sizes and its data.
    static func chunks(_ port: Int, n: Int, accept: String) async throws -> (sizes: [Int], body: String) {
        let stream = try await TCPTransport(host: "127.0.0.1", port: port).connect()
        defer { stream.close() }
        let body = "{\"n\":\(n)}"
        try await stream.write(Array("POST /invoke/\(blobs)/count HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept: \(accept)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
        var raw: [UInt8] = []
        while case let b = try await stream.read(), !b.isEmpty { raw += b }
        let end = try #require(raw.indices.first { raw[$0...].starts(with: [13, 10, 13, 10]) })
        var i = end + 4
        var sizes: [Int] = []
        var data: [UInt8] = []
        while i < raw.count, let lineEnd = raw[i...].firstIndex(of: 13) {
            let size = try #require(Int(String(decoding: raw[i..<lineEnd], as: UTF8.self), radix: 16))
            i = lineEnd + 2
            if size == 0 { break }
            sizes.append(size)
            data += raw[i..<(i + size)]
            i += size + 2
        }
        return (sizes, String(decoding: data, as: UTF8.self))
    }

    @Test(arguments: ["application/x-ndjson", "text/event-stream"])
    func manySmallElementsGoInFewChunks(accept: String) async throws {
        let backend = try OneByOneBackend(hold: false)
        defer { backend.stop() }
        let stack = try Stack(target: backend.url)
        let n = 20_000
        let started = ContinuousClock.now
        let (sizes, body) = try await Self.chunks(stack.port, n: n, accept: accept)
        let took = ContinuousClock.now - started
        let expected = (1...n).map { accept == "text/event-stream" ? "data: \($0)\n\n" : "\($0)\n" }.joined()
        #expect(body == expected)
        // A chunk goes when `chunkBytes` are held or the flush delay passed:
        // at most one per full chunk and one per delay the call lasted.
        let bound = body.utf8.count / Exchange.chunkBytes + Int(took / Exchange.flushDelay) + 2
        #expect(sizes.count <= bound, "\(sizes.count) chunks for \(n) elements in \(took)")
        #expect(sizes.count < n / 10, "\(sizes.count) chunks for \(n) elements")
        await stack.stop()
    }

    /// The backend sends one row and then waits for the test to have seen
    /// it: only a flush by the delay can get it there (nothing else comes).
    @Test func aSlowStreamShowsItsFirstRowWithinTheFlushDelay() async throws {
        let backend = try OneByOneBackend(hold: true)
        defer { backend.stop() }
        let stack = try Stack(target: backend.url)
        let stream = try await TCPTransport(host: "127.0.0.1", port: stack.port).connect()
        defer { stream.close() }
        let body = "{\"n\":3}"
        try await stream.write(Array("POST /invoke/\(blobs)/count HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
        var raw: [UInt8] = []
        while !String(decoding: raw, as: UTF8.self).contains("\r\n1\n\r\n") {
            let b = try await stream.read()
            if b.isEmpty { break }
            raw += b
        }
        backend.flags.released.store(true, ordering: .releasing)
        while case let b = try await stream.read(), !b.isEmpty { raw += b }
        let reply = try parseReply(raw)
        #expect(reply.text == "1\n2\n3\n")
        let wentOnReleased = backend.flags.wentOnReleased.load(ordering: .acquiring)
        #expect(wentOnReleased, "the first row came only after the backend sent more")
        await stack.stop()
    }

    /// RSS after many streamed calls stays where it was after a warm-up:
    /// 1,000 calls of 3,000 elements at 5.5 bytes per element, as the probe
    /// saw, would be 16.5 MB; the bound is well under that.
    @Test(.heavyTransfer, .enabled(if: ResidentMemory.measurable, "under a sanitizer the allocator, not the code, sets the resident set"),
          arguments: ["application/x-ndjson", "text/event-stream"])
    func streamingCostsNoMemoryPerElement(accept: String) async throws {
        let stack = try Stack()
        func calls(_ count: Int) async throws {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        for _ in stride(from: worker, to: count, by: 4) {
                            let reply = try await post(stack.port, blobs, "count", "{\"n\":3000}", headers: [("Accept", accept)])
                            #expect(reply.status == 200 && reply.body.count > 3000)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        try await calls(200)
        let baseline = ResidentMemory.current()
        try await calls(1000)
        let grown = ResidentMemory.current() - baseline
        #expect(grown < 6 << 20, "RSS grew \(grown >> 10) KiB over 1,000 calls of 3,000 elements")
        await stack.stop()
    }
}
