import DemoBackend
import EventLoops
import Foundation
import Gateway
import Synchronization
import Testing
import TestSupport
import WasiHTTP
import WRPCTransport

/// Large bodies through a forward: exact, streamed, bounded in memory, and
/// paced by the slower side.
@Suite struct ForwardTransferTests {
    /// The demo's download pattern repeats every 251 bytes: one block of
    /// whole periods, hashed again and again.
    static let block: [UInt8] = (0..<(251 * 4096)).map { DemoBackend.downloadByte(UInt64($0)) }

    static func patternDigest(_ size: Int) -> String {
        var digest = UploadDigest()
        var left = size
        while left > 0 {
            let n = min(left, block.count)
            digest.update(block[0..<n])
            left -= n
        }
        return digest.hex()
    }

    /// Writes `size` bytes of the pattern to `stream`, counting them into `written`.
    static func upload(_ stream: any ByteStream, size: Int, written: SharedCount? = nil) async throws {
        var sent = 0
        while sent < size {
            let n = min(block.count, size - sent)
            try await stream.write(n == block.count ? block : Array(block[0..<n]))
            sent += n
            written?.value.store(sent, ordering: .relaxed)
        }
    }

    /// A response read off `stream` to its close: the head, and the body's length and SHA-256.
    static func download(_ stream: any ByteStream) async throws -> (head: String, count: Int, sha: String) {
        var buffered: [UInt8] = []
        var head = ""
        var digest = UploadDigest()
        var count = 0
        while case let bytes = try await stream.read(), !bytes.isEmpty {
            if head.isEmpty {
                buffered += bytes
                guard let end = buffered.indices.first(where: { buffered[$0...].starts(with: [13, 10, 13, 10]) }) else { continue }
                head = String(decoding: buffered[..<end], as: UTF8.self)
                let rest = buffered[(end + 4)...]
                digest.update(rest)
                count += rest.count
                buffered = []
            } else {
                digest.update(bytes)
                count += bytes.count
            }
        }
        return (head, count, digest.hex())
    }

    /// 256 MiB down and 256 MiB up, exact to the last byte, neither held whole.
    @Test(.heavyTransfer) func twoHundredFiftySixMebibytesEachWay() async throws {
        let backend = try IncomingBackend()
        defer { backend.stop() }
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/app", urls: [backend.url])])
        defer { Task { await gateway.shutdown() } }
        let size = 256 << 20
        let expected = Self.patternDigest(size)
        let memory = ResidentMemory()
        let down = try await TCPTransport(host: "127.0.0.1", port: gateway.port).connect()
        try await down.write(Array("GET /app/bytes/\(size) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
        let got = try await Self.download(down)
        down.close()
        #expect(got.head.hasPrefix("HTTP/1.1 200") && got.head.lowercased().contains("content-length: \(size)"))
        #expect(got.count == size && got.sha == expected)

        let up = try await TCPTransport(host: "127.0.0.1", port: gateway.port).connect()
        try await up.write(Array("POST /app/sha256 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: \(size)\r\n\r\n".utf8))
        try await Self.upload(up, size: size)
        var raw: [UInt8] = []
        while case let bytes = try await up.read(), !bytes.isEmpty { raw += bytes }
        up.close()
        let reply = try parseReply(raw)
        #expect(reply.status == 200)
        #expect(reply.json?["bytes"]?.uint64Value == UInt64(size))
        #expect(reply.json?["sha256"]?.stringValue == expected)
        let grew = memory.stop()
        #expect(!ResidentMemory.measurable || grew < 128 << 20, "resident set grew by \(grew >> 20) MiB")
    }

    /// A backend that does not read yet holds the client back: what the
    /// client could send meanwhile is bounded by the buffers on the way
    /// (a queue, the wRPC demux bound, socket buffers), not the body's size.
    @Test(.heavyTransfer) func slowBackendPushesBack() async throws {
        let open = SharedCount()
        let backend = try IncomingBackend { inv in
            let request = try await WireValue.collect("p", maxBytes: 1 << 20, next: { try await inv.next(path: []) },
                                                      endedEarly: ProtocolError.malformed("early"), RequestHead.decodeIncoming)
            while open.value.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(10)) }
            var digest = UploadDigest()
            var count = 0
            try await DemoHTTP.body(of: request, inv) { digest.update($0); count += $0.count }
            let json = Array(#"{"bytes":\#(count),"sha256":"\#(digest.hex())"}"#.utf8)
            try await inv.send(path: [], data: HandleResult.response(ResponseHead(status: 200, headers: Fields())).encode())
            try await inv.sendStreamChunk(path: ResponseHead.bodyPath, bytes: json)
            try await inv.endStream(path: ResponseHead.bodyPath)
            try await inv.send(path: ResponseHead.trailersPath, data: [0])
        }
        defer { backend.stop() }
        let gateway = try forwardingGateway([ForwardRoute(prefix: "/slow", urls: [backend.url])]) {
            $0.defaultTimeout = .seconds(120)
            $0.streamIdleTimeout = .seconds(120)
        }
        defer { Task { await gateway.shutdown() } }
        let size = 128 << 20
        let stream = try await TCPTransport(host: "127.0.0.1", port: gateway.port).connect()
        defer { stream.close() }
        try await stream.write(Array("POST /slow/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: \(size)\r\n\r\n".utf8))
        let written = SharedCount()
        let uploading = Task { try await Self.upload(stream, size: size, written: written) }
        // Wait until the client makes no progress for a while (or sent it all, which fails below).
        var last = -1
        var still = 0
        while still < 20 && written.value.load(ordering: .relaxed) < size {
            try await Task.sleep(for: .milliseconds(50))
            let now = written.value.load(ordering: .relaxed)
            still = now == last ? still + 1 : 0
            last = now
        }
        let heldBack = written.value.load(ordering: .relaxed)
        #expect(heldBack < 48 << 20, "the client sent \(heldBack >> 20) MiB to a backend that read nothing")
        open.value.store(1, ordering: .relaxed)
        try await uploading.value
        var raw: [UInt8] = []
        while case let bytes = try await stream.read(), !bytes.isEmpty { raw += bytes }
        let reply = try parseReply(raw)
        #expect(reply.json?["bytes"]?.uint64Value == UInt64(size))
        #expect(reply.json?["sha256"]?.stringValue == Self.patternDigest(size))
    }
}

/// A number shared between tasks.
final class SharedCount: Sendable {
    let value = Atomic<Int>(0)
}
