import ComponentValues
import DemoBackend
import Egress
import EventLoops
import Foundation
import Gateway
import Logging
import Synchronization
import Testing
import TestSupport
import WasiHTTP
import WIT
import WRPCTransport
import Locking

/// The egress server on loopback, a real libmicrohttpd origin behind it,
/// and our wRPC client in front, sending what the Go client sends.
final class EgressStack: Sendable {
    let listener: SocketListener
    let serving: Task<Void, Never>
    let client: WRPCClient

    /// Tests reach origins on loopback: allowed here, and only here.
    static var open: EgressConfig {
        var c = EgressConfig()
        c.allowAnyURL = true
        c.allowInternalAddresses = true
        return c
    }

    init(config: EgressConfig = EgressStack.open) throws {
        listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        let server = EgressServer.server(config: config, logger: Logger(label: "egress", factory: { _ in SwiftLogNoOpLogHandler() }))
        let listener = self.listener
        serving = Task { await server.serve(listener) }
        client = WRPCClient(transport: TCPTransport(host: "127.0.0.1", port: listener.port!))
    }

    func stop() {
        serving.cancel()
        listener.close()
    }

    /// One `handle` call to this egress (see `WRPCClient.egressHandle`).
    func handle(_ head: RequestHead, options: [UInt8] = [1, 0, 0, 0], body: [[UInt8]] = [],
                trailers: Fields? = nil) async throws -> EgressAnswer {
        try await client.egressHandle(head, options: options, body: body, trailers: trailers)
    }
}

func get(_ authority: String, _ path: String, headers: Fields = Fields(), method: WasiHTTP.Method = .get) -> RequestHead {
    RequestHead(method: method, pathWithQuery: path, scheme: .http, authority: authority, headers: headers)
}

@Suite struct EgressTests {
    static func origin() throws -> Origin {
        try Origin { request, sink in
            switch request.path {
            case "/small.txt":
                try? await sink.respond(HTTPResponse(status: 200, headers: [("Content-Type", "text/plain")], body: Array("small file\n".utf8)))
            case "/post":
                var digest = UploadDigest()
                digest.update(request.body)
                try? await sink.respond(HTTPResponse(status: 200, headers: [
                    ("X-Echo-Method", request.method), ("X-Echo-Path", request.path),
                    ("X-Echo-Header", request.header("x-test") ?? ""), ("X-Echo-Body-Sha256", digest.hex()),
                    ("Content-Type", "application/octet-stream"),
                ], body: request.body))
            case "/big":
                guard (try? await sink.head(ResponseHead(status: 200))) != nil else { return }
                let piece = [UInt8](repeating: 0x42, count: 256 << 10)
                for _ in 0..<32 { guard (try? await sink.write(piece)) != nil else { return } }
                try? await sink.finish(trailers: [("X-Checksum", "done")])
            case "/broken":
                guard (try? await sink.head(ResponseHead(status: 200))) != nil else { return }
                try? await sink.write([UInt8](repeating: 7, count: 10_000))
                await sink.fail(CLIErrorForTests("cut on purpose"))
            case "/controls":
                // A value with each kind of control byte, and one without.
                try? await sink.respond(HTTPResponse(status: 200, headers: [
                    ("X-Soh", "a\u{01}b"), ("X-Vt", "a\u{0B}b"), ("X-Ff", "a\u{0C}b"), ("X-Del", "a\u{7F}b"), ("X-Ok", "a b"),
                ], body: Array("ok".utf8)))
            case "/method":
                // HEAD gets no body on the wire; the others say what they were.
                try? await sink.respond(HTTPResponse(status: 200, headers: [("X-Method", request.method)],
                                                     body: Array("\(request.method) \(request.body.count)".utf8)))
            case "/endless":
                guard (try? await sink.head(ResponseHead(status: 200))) != nil else { return }
                let piece = [UInt8](repeating: 1, count: 64 << 10)
                while (try? await sink.write(piece)) != nil { Self.endlessWritten.add(piece.count, ordering: .relaxed) }
                Self.endlessStopped.store(true, ordering: .relaxed)
            case "/stream/sink":
                // Hashes an upload of any size as it arrives.
                var digest = UploadDigest()
                var count = 0
                while let piece = try? await request.bodyStream?.next() {
                    digest.update(piece)
                    count += piece.count
                }
                try? await sink.respond(HTTPResponse(status: 200, body: Array("\(count) \(digest.hex())".utf8)))
            case let path where path.hasPrefix("/pattern/"):
                // n bytes of a pattern, chunked, 1 MiB at a time.
                let n = Int(path.dropFirst("/pattern/".count)) ?? 0
                guard (try? await sink.head(ResponseHead(status: 200))) != nil else { return }
                var sent = 0
                while sent < n {
                    let size = min(1 << 20, n - sent)
                    guard (try? await sink.write(Self.pattern(from: sent, count: size))) != nil else { return }
                    sent += size
                }
                try? await sink.finish()
            case "/silent":
                try? await EventLoop.sleep(for: .seconds(30))
                try? await sink.respond(HTTPResponse(status: 204))
            default:
                try? await sink.respond(HTTPResponse(status: 404, body: Array("nothing here".utf8)))
            }
        }
    }

    /// The byte at offset i is (7i + i >> 11) mod 256, which repeats every
    /// 2^19 bytes: slices of one precomputed period keep a debug build's
    /// per-byte loop out of 256 MiB transfers.
    static let period: [UInt8] = (0..<(1 << 19)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) }

    static func pattern(from start: Int, count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var at = start
        while out.count < count {
            let offset = at & (period.count - 1)
            let n = min(period.count - offset, count - out.count)
            out += period[offset..<(offset + n)]
            at += n
        }
        return out
    }

    static func sha(_ bytes: [UInt8]) -> String {
        var d = UploadDigest()
        d.update(bytes)
        return d.hex()
    }

    /// 256 MiB each way through the egress, exact to the last byte.
    @Test(.heavyTransfer) func twoHundredFiftySixMebibytesEachWay() async throws {
        let origin = try Self.origin()
        let egress = try EgressStack()
        defer { egress.stop() }
        let size = 256 << 20
        let memory = ResidentMemory()
        // Down: the digest of what arrived against the pattern's.
        var expected = UploadDigest()
        var at = 0
        while at < size { expected.update(Self.pattern(from: at, count: min(1 << 20, size - at))); at += 1 << 20 }
        let down = try await egress.client.call(instance: WrpcHTTPWIT.outgoingInstance, name: "handle",
                                                params: get(Self.authority(origin), "/pattern/\(size)").encodeAsIncomingParameters() + [0],
                                                watchdog: Watchdog(deadline: .now + .seconds(600))) { inv -> (Int, String) in
            try await inv.send(path: RequestHead.trailersPath, data: [0])
            try await inv.endStream(path: RequestHead.bodyPath)
            try await inv.closeWrite()
            var root: [UInt8] = []
            while try HandleResult.decode(root) == nil { root += try await inv.next(path: []) ?? [] }
            var digest = UploadDigest()
            var count = 0
            try await inv.readStream(path: ResponseHead.bodyPath, element: .primitive(.u8)) { event in
                if case .bytes(let b) = event { digest.update(b); count += b.count }
            }
            return (count, digest.hex())
        }
        #expect(down.0 == size)
        #expect(down.1 == expected.hex())
        // Up: streamed in 1 MiB chunks without a length (so chunked); the origin hashes it.
        let up = try await egress.client.call(instance: WrpcHTTPWIT.outgoingInstance, name: "handle",
                                              params: get(Self.authority(origin), "/stream/sink", method: .put).encodeAsIncomingParameters() + [0],
                                              watchdog: Watchdog(deadline: .now + .seconds(600))) { inv -> String in
            try await inv.send(path: RequestHead.trailersPath, data: [0])
            var sent = 0
            while sent < size {
                let n = min(1 << 20, size - sent)
                try await inv.sendStreamChunk(path: RequestHead.bodyPath, bytes: Self.pattern(from: sent, count: n))
                sent += n
            }
            try await inv.endStream(path: RequestHead.bodyPath)
            try await inv.closeWrite()
            var root: [UInt8] = []
            while try HandleResult.decode(root) == nil { root += try await inv.next(path: []) ?? [] }
            var body: [UInt8] = []
            try await inv.readStream(path: ResponseHead.bodyPath, element: .primitive(.u8)) { event in
                if case .bytes(let b) = event { body += b }
            }
            return String(decoding: body, as: UTF8.self)
        }
        #expect(up == "\(size) \(expected.hex())")
        // Bounded per call: neither direction ever holds the body (the other
        // tests running beside this one stay well under the margin).
        let grew = memory.stop()
        #expect(!ResidentMemory.measurable || grew < 128 << 20, "resident set grew by \(grew >> 20) MiB")
        await origin.stop()
    }

    /// Request trailers from the future go out after the chunked body: an
    /// origin that reads the raw request sees them.
    @Test func requestTrailersFollowTheBody() async throws {
        let raw = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        let seen = Locked<[UInt8]>([])
        let serving = Task {
            guard let s = try? await raw.accept() else { return }
            defer { s.close() }
            var got: [UInt8] = []
            while let b = try? await s.read(), !b.isEmpty {
                got += b
                if got.count > 4, got.suffix(4) == [13, 10, 13, 10], got.contains(where: { _ in true }),
                   String(decoding: got, as: UTF8.self).contains("\r\n0\r\n") { break }
            }
            seen.withLock { $0 = got }
            try? await s.write(Array("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".utf8))
        }
        defer { serving.cancel(); raw.close() }
        let egress = try EgressStack()
        defer { egress.stop() }
        let answer = try await egress.handle(get("127.0.0.1:\(raw.port!)", "/upload", method: .post),
                                             body: [Array("abc".utf8)],
                                             trailers: Fields([("X-Digest", [Array("d1".utf8)])]))
        guard case .response(let head) = answer.result else { Issue.record("\(answer.result)"); return }
        #expect(head.status == 204)
        let request = String(decoding: seen.withLock { $0 }, as: UTF8.self)
        #expect(request.lowercased().contains("transfer-encoding: chunked"), "\(request)")
        #expect(request.contains("\r\n0\r\nX-Digest: d1\r\n\r\n"), "\(request)")
    }

    static func authority(_ origin: Origin) -> String { "127.0.0.1:\(origin.server.port)" }
    static let endlessWritten = Atomic<Int>(0)
    static let endlessStopped = Atomic<Bool>(false)

    @Test func everyMethodGoesOutAsItsOwn() async throws {
        let origin = try Self.origin()
        let egress = try EgressStack()
        defer { egress.stop() }
        for method: WasiHTTP.Method in [.get, .head, .post, .put, .delete, .options, .patch, .other("PROPFIND")] {
            let hasBody = ![.get, .head].contains(method)
            let answer = try await egress.handle(get(Self.authority(origin), "/method", method: method), body: hasBody ? [[1, 2]] : [])
            guard case .response(let head) = answer.result else { Issue.record("\(method): \(answer.result)"); continue }
            #expect(head.headers.values("x-method") == [Array(method.name.utf8)])
            let expected = method == .head ? "" : "\(method.name) \(hasBody ? 2 : 0)"
            #expect(String(decoding: answer.body, as: UTF8.self) == expected, "\(method)")
        }
        await origin.stop()
    }

    /// Without an allowance nothing goes out; with a prefix but not private
    /// addresses, a name that resolves to loopback is refused where curl
    /// connects (DNS cannot get around the check).
    @Test func thePolicyDeniesWhatIsNotAllowed() async throws {
        let origin = try Self.origin()
        let closed = try EgressStack(config: EgressConfig())
        defer { closed.stop() }
        #expect(try await closed.handle(get(Self.authority(origin), "/small.txt")).result == .failure(.httpRequestDenied))
        var prefixOnly = EgressConfig()
        prefixOnly.allowedPrefixes = ["http://localhost:\(origin.server.port)/"]
        let guarded = try EgressStack(config: prefixOnly)
        defer { guarded.stop() }
        #expect(try await guarded.handle(get("localhost:\(origin.server.port)", "/small.txt")).result == .failure(.httpRequestDenied))
        #expect(try await guarded.handle(get("localhost:\(origin.server.port)", "/elsewhere-not-allowed")).result == .failure(.httpRequestDenied))
        prefixOnly.allowInternalAddresses = true
        let allowed = try EgressStack(config: prefixOnly)
        defer { allowed.stop() }
        guard case .response(let head) = try await allowed.handle(get("localhost:\(origin.server.port)", "/small.txt")).result else {
            Issue.record("allowed and still refused"); return
        }
        #expect(head.status == 200)
        await origin.stop()
    }

    /// A caller that stops reading: the transfer pauses (the origin's writes
    /// stall, with little held in between); when it reads again, all arrives.
    /// When it hangs up instead, the transfer stops.
    @Test func aSlowCallerPausesTheTransferAndOneThatLeavesStopsIt() async throws {
        let origin = try Self.origin()
        let egress = try EgressStack()
        defer { egress.stop() }
        Self.endlessWritten.store(0, ordering: .relaxed)
        Self.endlessStopped.store(false, ordering: .relaxed)
        var head = get(Self.authority(origin), "/endless")
        head.body = .ready([])
        head.trailers = .ready(nil)
        let written = try await egress.client.call(instance: WrpcHTTPWIT.outgoingInstance, name: "handle",
                                                   params: head.encodeAsIncomingParameters() + [0],
                                                   watchdog: Watchdog(deadline: .now + .seconds(60))) { inv -> Int in
            try await inv.closeWrite()
            var root: [UInt8] = []
            while try HandleResult.decode(root) == nil { root += try await inv.next(path: []) ?? [] }
            // Read a little, then nothing for a while.
            _ = try await inv.next(path: ResponseHead.bodyPath)
            // Kernel socket buffers on the two hops hold some mebibytes (they
            // grow with autotuning, later on a loaded machine); an unpaused
            // transfer on loopback writes gigabytes in these 3 s.
            try await EventLoop.sleep(for: .seconds(3))
            let second = Self.endlessWritten.load(ordering: .relaxed)
            #expect(second < 64 << 20, "the origin kept writing while the caller read nothing: \(second) bytes")
            return second
        }
        // The call above ended, and with it the connection: the origin's writes must end too.
        for _ in 0..<500 where !Self.endlessStopped.load(ordering: .relaxed) {
            try await EventLoop.sleep(for: .milliseconds(20))
        }
        let stopped = Self.endlessStopped.load(ordering: .relaxed)
        #expect(stopped, "the transfer went on after the caller left (\(written) bytes)")
        await origin.stop()
    }

    /// The Go client's GET of an 11-byte file, as recorded, to our origin:
    /// the same status, the body whole, the stream ended, trailers none.
    @Test func getLikeTheGoClient() async throws {
        let origin = try Self.origin()
        let egress = try EgressStack()
        defer { egress.stop() }
        let answer = try await egress.handle(get(Self.authority(origin), "/small.txt"))
        guard case .response(let head) = answer.result else { Issue.record("\(answer.result)"); return }
        #expect(head.status == 200)
        #expect(head.headers.values("content-type") == [Array("text/plain".utf8)])
        #expect(answer.body == Array("small file\n".utf8))
        #expect(answer.bodyComplete)
        #expect(answer.trailers == nil)
        await origin.stop()
    }

    /// An origin's field whose value holds a control byte is not handed on.
    @Test func responseFieldsWithControlBytesAreDropped() async throws {
        let origin = try Self.origin()
        let egress = try EgressStack()
        defer { egress.stop() }
        let answer = try await egress.handle(get(Self.authority(origin), "/controls"))
        guard case .response(let head) = answer.result else { Issue.record("\(answer.result)"); return }
        #expect(head.status == 200 && answer.body == Array("ok".utf8))
        #expect(head.headers.values("x-ok") == [Array("a b".utf8)])
        for dropped in ["x-soh", "x-vt", "x-ff", "x-del"] {
            #expect(head.headers.values(dropped).isEmpty, "\(dropped) was handed on")
        }
        await origin.stop()
    }

    /// A POST whose body streams in two chunks, without a length (so sent
    /// chunked), with a header whose value is not UTF-8.
    @Test func postStreamsTheBodyAndHeaders() async throws {
        let origin = try Self.origin()
        let egress = try EgressStack()
        defer { egress.stop() }
        let headers = Fields([("X-Test", [[0x61, 0xFF, 0x62]])])
        let answer = try await egress.handle(get(Self.authority(origin), "/post", headers: headers, method: .post),
                                             body: [Array("hel".utf8), Array("lo".utf8)])
        guard case .response(let head) = answer.result else { Issue.record("\(answer.result)"); return }
        #expect(head.status == 200)
        #expect(head.headers.values("x-echo-method") == [Array("POST".utf8)])
        #expect(head.headers.values("x-echo-body-sha256") == [Array("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".utf8)])
        #expect(answer.body == Array("hello".utf8))
        // Other methods, `other(…)` included, go out by name.
        let patch = try await egress.handle(get(Self.authority(origin), "/post", method: .other("PURGE")), body: [[1, 2, 3]])
        guard case .response(let p) = patch.result else { Issue.record("\(patch.result)"); return }
        #expect(p.headers.values("x-echo-method") == [Array("PURGE".utf8)])
        #expect(patch.body == [1, 2, 3])
        await origin.stop()
    }

    /// 8 MiB back, chunked, with trailers: all of it, and the trailers
    /// resolve the future.
    @Test func aLargeChunkedResponseWithTrailers() async throws {
        let origin = try Self.origin()
        let egress = try EgressStack()
        defer { egress.stop() }
        let answer = try await egress.handle(get(Self.authority(origin), "/big"))
        #expect(answer.body.count == 8 << 20)
        #expect(answer.body.allSatisfy { $0 == 0x42 })
        #expect(answer.bodyComplete)
        #expect(answer.trailers?.values("x-checksum") == [Array("done".utf8)])
        await origin.stop()
    }

    @Test func failuresAreErrorCodes() async throws {
        let origin = try Self.origin()
        var config = EgressStack.open
        config.firstByteTimeout = .init(fallback: .milliseconds(300), maximum: .seconds(5))
        let egress = try EgressStack(config: config)
        defer { egress.stop() }
        // Nothing listens there, and the port stays ours (a closed one could
        // be taken by a test beside).
        let closed = try RefusingPort()
        let refused = try await egress.handle(get("127.0.0.1:\(closed.port)", "/"))
        #expect(refused.result == .failure(.connectionRefused), "\(refused.result)")
        withExtendedLifetime(closed) {}
        let dns = try await egress.handle(get("no-such-host.invalid", "/"))
        guard case .failure(.dnsError) = dns.result else { Issue.record("\(dns.result)"); return }
        var badScheme = get(Self.authority(origin), "/")
        badScheme.scheme = .other("gopher")
        #expect(try await egress.handle(badScheme).result == .failure(.httpRequestURIInvalid))
        // An origin that sends no head within the first-byte timeout.
        let started = ContinuousClock.now
        let silent = try await egress.handle(get(Self.authority(origin), "/silent"))
        #expect(silent.result == .failure(.httpResponseTimeout), "\(silent.result)")
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        // A caller's own first-byte-timeout (ns) is honoured, up to the maximum.
        var options = [UInt8]([1, 0, 1])
        writeUnsignedLEB(200_000_000, into: &options)
        options.append(0)
        let t0 = ContinuousClock.now
        let asked = try await egress.handle(get(Self.authority(origin), "/silent"), options: options)
        #expect(asked.result == .failure(.httpResponseTimeout))
        #expect(ContinuousClock.now - t0 >= .milliseconds(200))
        await origin.stop()
    }

    /// An origin that breaks after the head: the caller's body stream is
    /// cut, never cleanly ended.
    @Test func aBrokenResponseIsNeverACleanEnd() async throws {
        let origin = try Self.origin()
        let egress = try EgressStack()
        defer { egress.stop() }
        // Body and trailers inline: a cut call is closed at once (wRPC has no
        // error frame), so a caller still streaming them could see its own
        // write fail first, on a loaded machine, instead of the cut body.
        var request = get(Self.authority(origin), "/broken")
        request.body = .ready([])
        request.trailers = .ready(nil)
        let answer = try await egress.handle(request)
        guard case .response(let head) = answer.result else { Issue.record("\(answer.result)"); return }
        #expect(head.status == 200)
        #expect(!answer.bodyComplete)
        await origin.stop()
    }

    /// Through the HTTP gateway: JSON in, the egress server behind it, an
    /// origin behind that; the nested stream and future are collected.
    @Test func theGatewayCallsTheEgressServer() async throws {
        let origin = try Self.origin()
        let egress = try EgressStack()
        defer { egress.stop() }
        var config = GatewayConfig(target: egress.listener.address)
        config.port = 0
        let gateway = try Gateway(resolve: try WrpcHTTPWIT.resolve(), config: config,
                                  logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        try gateway.start()
        let body = """
            {"request": {"body": "", "trailers": null, "method": {"tag": "get"}, "path-with-query": "/small.txt",
             "scheme": {"tag": "HTTP"}, "authority": "\(Self.authority(origin))", "headers": []},
             "options": null}
            """
        let reply = try await post(gateway.port, WrpcHTTPWIT.outgoingInstance, "handle", body)
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.json?["tag"]?.stringValue == "ok")
        #expect(reply.json?["val"]?["status"]?.uint64Value == 200)
        #expect(reply.text.contains("\"body\":\"c21hbGwgZmlsZQo=\""), "\(reply.text)")
        await gateway.shutdown()
        await origin.stop()
    }
}

/// The Go client's recorded requests, byte for byte (but for the origin's
/// address), against our egress: the answers decode to the values the Go
/// server gave, on the same paths.
@Suite struct EgressReplayTests {
    /// The recorded request with its root frame re-encoded for `authority`.
    static func retarget(_ request: [UInt8], to authority: String) throws -> [UInt8] {
        var i = 1
        let instanceLength = Int(readLEB(request, &i)!); i += instanceLength
        let nameLength = Int(readLEB(request, &i)!); i += nameLength
        let header = Array(request[..<i])
        let (recorded, _) = wireFrames(Array(request[i...]))
        var out = header
        for frame in recorded {
            var data = frame.data
            if frame.path.isEmpty {
                var call = try #require(try OutgoingCall.decode(frame.data))
                // The options' bytes, as Go sent them, follow the request record.
                let optionBytes = frame.data[call.request.encodeAsIncomingParameters().count...]
                call.request.authority = authority
                data = call.request.encodeAsIncomingParameters() + optionBytes
            }
            writeUnsignedLEB(UInt64(frame.path.count), into: &out)
            for p in frame.path { writeUnsignedLEB(UInt64(p), into: &out) }
            writeUnsignedLEB(UInt64(data.count), into: &out)
            out += data
        }
        return out
    }

    /// Sends `request` on a raw connection and reads frames until the result,
    /// the body's end and the trailers are in (the Go peers do not close).
    static func exchange(_ port: Int, _ request: [UInt8]) async throws -> [WireFrame] {
        let stream = try await TCPTransport(host: "127.0.0.1", port: port).connect()
        defer { stream.close() }
        try await stream.write(request)
        try await stream.closeWrite()
        var raw: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let (got, _) = wireFrames(raw)
            let paths = Set(got.map(\.path))
            let bodyEnded = got.last(where: { $0.path == [0, 0] })?.data == [0]
            if paths.contains([]) && bodyEnded && paths.contains([0, 1]) { return got }
            let more = try await stream.read()
            if more.isEmpty { return got }
            raw += more
        }
        throw CLIErrorForTests("no complete answer")
    }

    @Test(arguments: ["http-outgoing-get", "http-outgoing-post"])
    func goRequestsGetGoAnswers(name: String) async throws {
        let origin = try EgressTests.origin()
        let egress = try EgressStack()
        defer { egress.stop() }
        let recording = try WireRecording(name)
        let (request, goResponse) = (recording.request, recording.response)
        let ours = try await Self.exchange(egress.listener.port!, try Self.retarget(request, to: EgressTests.authority(origin)))
        let (theirs, _) = wireFrames(goResponse)
        #expect(Set(ours.map(\.path)) == Set(theirs.map(\.path)), "paths: ours \(ours.map(\.path)), Go's \(theirs.map(\.path))")
        func root(_ f: [WireFrame]) throws -> WasiHTTP.ResponseHead {
            let r = try #require(try HandleResult.decode(f.filter { $0.path.isEmpty }.flatMap(\.data)))
            guard case .response(let head) = r else { throw CLIErrorForTests("an error result: \(r)") }
            return head
        }
        let (a, b) = (try root(ours), try root(theirs))
        #expect(a.status == b.status)
        #expect(a.body == b.body && a.trailers == b.trailers)
        // The origins differ (Python's there, ours here) in Server and Date;
        // the headers that carry the exchange's meaning agree.
        for name in ["content-type", "x-echo-method", "x-echo-path", "x-echo-body-sha256"] {
            #expect(a.headers.values(name) == b.headers.values(name), "\(name)")
        }
        func body(_ f: [WireFrame]) -> [UInt8] {
            // Chunks on [0, 0]: a length, then the bytes; the end is a lone 0.
            let joined = f.filter { $0.path == [0, 0] }.flatMap(\.data)
            var i = 0
            var out: [UInt8] = []
            while let n = readLEB(joined, &i), n > 0 { out += joined[i..<(i + Int(n))]; i += Int(n) }
            return out
        }
        #expect(body(ours) == body(theirs))
        let trailers = { (f: [WireFrame]) throws -> Fields? in try Fields.decodeOptional(f.filter { $0.path == [0, 1] }.flatMap(\.data)).0 }
        // Go says some([]) where there were none; we say none: both mean no trailers.
        #expect((try trailers(ours))?.isEmpty ?? true)
        #expect((try trailers(theirs))?.isEmpty ?? true)
        await origin.stop()
    }
}
