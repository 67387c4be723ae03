import ComponentValues
import Egress
import EventLoops
import Foundation
import Testing
import TestSupport
import WasiHTTP
import WRPCTransport

/// Callers that send what no honest client sends: bad variant tags, oversized
/// declared lengths, parameters, a body or a trailers future that never end.
/// Each gets a typed `error-code` result or its connection closed, within the
/// bound that applies; none crashes the egress or makes it allocate what was
/// declared.
@Suite struct EgressHostileCallerTests {
    /// A short between-bytes bound, so a stalled caller is given up on
    /// quickly, where the stall is what a test is about.
    static var config: EgressConfig { config(betweenBytes: .milliseconds(400)) }

    /// Where a test is about something else, a bound a loaded machine never
    /// reaches between two steps of an honest exchange.
    static var patient: EgressConfig { config(betweenBytes: .seconds(60)) }

    static func config(betweenBytes: Duration) -> EgressConfig {
        var c = EgressStack.open
        c.betweenBytesTimeout = .init(fallback: betweenBytes, maximum: .seconds(120))
        return c
    }

    /// A valid request to `path` on `origin`, its body and trailers pending.
    static func request(_ origin: Origin, _ path: String, method: WasiHTTP.Method = .post) -> RequestHead {
        get(EgressTests.authority(origin), path, method: method)
    }

    /// The call's header and a root frame of `params` (`handle(request, options)`).
    static func opening(_ params: [UInt8]) -> [UInt8] {
        var out = Framing.header(instance: WrpcHTTPWIT.outgoingInstance, name: "handle")
        Framing.frame(path: [], data: params, into: &out)
        return out
    }

    /// Writes `bytes` on a raw connection, keeps it open (no half-close: the
    /// caller goes quiet instead), and reads until a result decodes or the
    /// egress closes. Returns the frames and how long the answer took.
    static func stall(_ port: Int, _ bytes: [UInt8]) async throws -> (frames: [WireFrame], after: Duration) {
        let stream = try await TCPTransport(host: "127.0.0.1", port: port).connect()
        defer { stream.close() }
        let started = ContinuousClock.now
        try await stream.write(bytes)
        var raw: [UInt8] = []
        // Far beyond the 400 ms bound under test: only says "it never answered".
        let giveUp = ContinuousClock.now + .seconds(60)
        while try result(wireFrames(raw).frames) == nil {
            let more = try await withDeadline(giveUp, what: "the egress's answer") { try await stream.read() }
            if more.isEmpty { break }
            raw += more
        }
        return (wireFrames(raw).frames, ContinuousClock.now - started)
    }

    /// The `handle` result in `frames`, if one decodes.
    static func result(_ frames: [WireFrame]) throws -> HandleResult? {
        try HandleResult.decode(frames.filter { $0.path.isEmpty }.flatMap(\.data))
    }

    /// Bad tags in the stream, future, method, option and scheme positions,
    /// and a string that declares more bytes than any request may hold:
    /// each is a typed `internal-error` naming the problem, at once, and
    /// the egress (a process of its own, so its resident set is its own)
    /// holds nothing of what was declared.
    @Test func badTagsAndLengthsGetATypedError() async throws {
        let origin = try EgressTests.origin()
        let egress = try await EgressProcess(betweenBytes: .seconds(60))
        defer { egress.stop() }
        var good = Self.request(origin, "/post")
        good.body = .ready([])
        good.trailers = .ready(nil)
        let valid = good.encodeAsIncomingParameters() + [0]
        // The record starts: body (1, then an empty list: 0), trailers (1,
        // then none: 0), the method's case; then path-with-query's option tag.
        #expect(valid[0] == 1 && valid[1] == 0 && valid[2] == 1 && valid[3] == 0 && valid[4] == 2 && valid[5] == 1)
        var cases: [(String, [UInt8])] = []
        var p = valid; p[0] = 7; cases.append(("stream tag", p))
        p = valid; p[2] = 9; cases.append(("future tag", p))
        p = valid; p[4] = 42; cases.append(("method case", p))
        p = valid; p[5] = 2; cases.append(("option tag", p))
        // `other` with a method name that declares 2^32 - 1 bytes.
        cases.append(("method length", [1, 0, 1, 0, 9, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]))
        // A list of headers that declares 2^32 - 1 entries and brings none.
        var noPath = good
        noPath.pathWithQuery = nil
        noPath.authority = nil
        noPath.scheme = nil
        let prefix = Array(noPath.encodeAsIncomingParameters().dropLast())
        cases.append(("header count", prefix + [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]))
        for (what, params) in cases {
            let (frames, grew) = try await egress.growth { try await Self.stall(egress.port, Self.opening(params)).frames }
            guard case .failure(.internalError(let message?))? = try Self.result(frames) else {
                Issue.record("\(what): \(frames)"); continue
            }
            #expect(message.contains("malformed"), "\(what): \(message)")
            #expect(!ResidentMemory.measurable || grew < 64 << 20, "\(what): the resident set grew \(grew) bytes")
        }
        // The egress still serves honest callers.
        let answer = try await egress.handle(Self.request(origin, "/small.txt", method: .get))
        guard case .response(let head) = answer.result else { Issue.record("\(answer.result)"); return }
        #expect(head.status == 200)
        await origin.stop()
    }

    /// Parameters that stop half-way: after the between-bytes bound, a
    /// `connection-read-timeout` result and the close — not a wait forever.
    @Test func parametersThatNeverCompleteTimeOut() async throws {
        let egress = try EgressStack(config: Self.config)
        defer { egress.stop() }
        let origin = try EgressTests.origin()
        let whole = Self.request(origin, "/post").encodeAsIncomingParameters() + [0]
        // The frame declares all of it; half arrives.
        let declared = Self.opening(whole)
        let (frames, after) = try await Self.stall(egress.listener.port!, Array(declared.dropLast(whole.count / 2)))
        #expect(try Self.result(frames) == .failure(.connectionReadTimeout), "\(frames)")
        #expect(after >= .milliseconds(400))
        await origin.stop()
    }

    /// A body that never ends: one chunk, then silence. The upload fails at
    /// the between-bytes bound, before the origin could answer.
    @Test func aBodyThatNeverEndsTimesOut() async throws {
        let origin = try EgressTests.origin()
        let egress = try EgressStack(config: Self.config)
        defer { egress.stop() }
        var out = Self.opening(Self.request(origin, "/stream/sink").encodeAsIncomingParameters() + [0])
        // One chunk of 5 bytes on the body's path, and no end.
        Framing.frame(path: RequestHead.bodyPath, data: [5] + Array("hello".utf8), into: &out)
        let (frames, after) = try await Self.stall(egress.listener.port!, out)
        #expect(try Self.result(frames) == .failure(.connectionReadTimeout), "\(frames)")
        #expect(after >= .milliseconds(400))
        await origin.stop()
    }

    /// A chunk that declares 4 GiB (the most a chunk length may say) and
    /// brings five bytes: nothing of the declared size is reserved, and the
    /// stall ends the call. One that declares 2^40 does not decode: a typed
    /// error at once. The egress is a process of its own, so its resident
    /// set is its own.
    @Test func aChunkThatDeclaresGigabytesIsNotReserved() async throws {
        let origin = try EgressTests.origin()
        for (declared, expected, betweenBytes) in [(UInt64(UInt32.max), "connection-read-timeout", Duration.milliseconds(400)),
                                                   (1 << 40, "internal-error", .seconds(60))] {
            let egress = try await EgressProcess(betweenBytes: betweenBytes)
            defer { egress.stop() }
            var out = Self.opening(Self.request(origin, "/stream/sink").encodeAsIncomingParameters() + [0])
            var chunk: [UInt8] = []
            writeUnsignedLEB(declared, into: &chunk)
            Framing.frame(path: RequestHead.bodyPath, data: chunk + Array("hello".utf8), into: &out)
            let (frames, grew) = try await egress.growth { try await Self.stall(egress.port, out).frames }
            guard case .failure(let code)? = try Self.result(frames) else { Issue.record("\(declared): \(frames)"); continue }
            #expect(code.caseName == expected, "\(declared): \(code)")
            #expect(!ResidentMemory.measurable || grew < 64 << 20, "\(declared): the resident set grew \(grew) bytes")
        }
        await origin.stop()
    }

    /// A body that keeps coming past the egress's limit: the upload stops
    /// there with `HTTP-request-body-size`, whatever the caller goes on sending.
    @Test func aBodyPastTheLimitIsRefused() async throws {
        let origin = try EgressTests.origin()
        var config = Self.patient
        config.maxRequestBodyBytes = 1 << 20
        let egress = try EgressStack(config: config)
        defer { egress.stop() }
        let head = Self.request(origin, "/stream/sink")
        let result = try await egress.client.call(instance: WrpcHTTPWIT.outgoingInstance, name: "handle",
                                                  params: head.encodeAsIncomingParameters() + [0],
                                                  watchdog: Watchdog(deadline: .now + .seconds(60))) { inv -> HandleResult in
            try await withThrowingTaskGroup(of: HandleResult?.self) { group in
                group.addTask {
                    // Endless: only the egress closing the call stops it.
                    let piece = [UInt8](repeating: 0x5A, count: 64 << 10)
                    while true { try await inv.sendStreamChunk(path: RequestHead.bodyPath, bytes: piece) }
                }
                group.addTask {
                    var root: [UInt8] = []
                    while true {
                        if let r = try HandleResult.decode(root) { return r }
                        guard let more = try await inv.next(path: []) else { return nil }
                        root += more
                    }
                }
                while let next = try? await group.next() {
                    if let r = next { group.cancelAll(); return r }
                }
                throw CLIErrorForTests("no result")
            }
        }
        guard case .failure(.httpRequestBodySize(let n?)) = result else { Issue.record("\(result)"); return }
        #expect(n > 1 << 20)
        await origin.stop()
    }

    /// The body ends but the trailers' future never resolves: the upload
    /// cannot end either, and the call fails at the between-bytes bound.
    @Test func aFutureThatNeverResolvesTimesOut() async throws {
        let origin = try EgressTests.origin()
        let egress = try EgressStack(config: Self.config)
        defer { egress.stop() }
        var out = Self.opening(Self.request(origin, "/stream/sink").encodeAsIncomingParameters() + [0])
        Framing.frame(path: RequestHead.bodyPath, data: [5] + Array("hello".utf8), into: &out)
        Framing.frame(path: RequestHead.bodyPath, data: [0], into: &out)
        let (frames, after) = try await Self.stall(egress.listener.port!, out)
        #expect(try Self.result(frames) == .failure(.connectionReadTimeout), "\(frames)")
        #expect(after >= .milliseconds(400))
        await origin.stop()
    }
}
