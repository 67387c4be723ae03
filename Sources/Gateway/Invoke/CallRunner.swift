import BackendPool
import CurlClient
import ComponentValues
import EventLoops
import WIT
import WRPCTransport

/// Bytes that feed a pending `stream<u8>` parameter.
protocol ChunkSource: Sendable {
    /// The next piece; nil at a clean end; throws if the source failed.
    func next() async throws -> [UInt8]?
    /// No more is wanted.
    func stop()
}

extension BodyReader: ChunkSource {
    func stop() { discard() }
}

extension Transfer: ChunkSource {
    func stop() { cancel() }
}

struct Feed: Sendable {
    let path: [UInt32]
    let source: any ChunkSource
}

/// Everything one backend call needs, decided before dialling.
struct CallPlan: Sendable {
    let instance: String
    let function: Function
    let params: [UInt8]
    /// Pending `stream<u8>` parameters fed from the request body or from URLs.
    let feeds: [Feed]
    let deadline: ContinuousClock.Instant
    /// The deadline passing says nothing about the backend: the caller chose
    /// it (`Wrpc-Timeout-Ms`) shorter than the gateway's own, or the call is
    /// fed by a request body or a URL, which set their own pace.
    let callerDeadline: Bool
    /// The function's backends, resolved at start-up.
    let pool: BackendPool
    /// How a top-level stream result is answered; nil for other results.
    let format: StreamFormat?
    /// The pool member the call's handles came from, which alone may take
    /// it; nil: any member, as the pool picks.
    let member: String?
    /// Seals handles in the result as tokens; nil when it holds none.
    let handles: ResourceTokens?
}

extension Gateway {
    /// Runs the call and answers through `sink`: the status goes out as soon
    /// as it is known, then (for a streamed result) the body as it arrives.
    /// The deadline bounds the time to the status; once stream bytes move,
    /// the stream idle timeout applies instead.
    func run(_ plan: CallPlan, _ sink: RecordingSink) async {
        // Which member serves the call: named in errors, counted per backend.
        let served = PoolCall()
        metrics.inFlight.increment()
        defer { metrics.inFlight.decrement() }
        do {
            try await PoolCall.$current.withValue(served) { try await call(plan, sink) }
            served.finished(.completed)
        } catch {
            for feed in plan.feeds { feed.source.stop() }
            guard let failure = upstreamFailure(error, served: served, pool: plan.pool, member: plan.member,
                                                callerDeadline: plan.callerDeadline) else { return }
            let e = plan.member == nil ? clientFacing(failure, pool: plan.pool, requestID: sink.context.requestID) : failure
            await fail(sink, e, format: plan.format)
        }
    }

    /// The backend call itself: parameters and feeds out, results to `sink`.
    private func call(_ plan: CallPlan, _ sink: RecordingSink) async throws {
        let client = WRPCClient(transport: plan.member.map { plan.pool.pinned(to: $0) } ?? plan.pool)
        let limits = DecoderLimits(maxOutputBytes: config.maxResponseBytes)
        let watchdog = Watchdog(deadline: plan.deadline, idle: config.streamIdleTimeout)
        // Nothing streams either way: the answer is read by this task itself.
        let inline = plan.feeds.isEmpty && !(plan.function.result?.containsAsync ?? false)
        try await client.call(instance: plan.instance, name: plan.function.wireName, params: plan.params,
                              watchdog: watchdog, inline: inline) { inv in
            guard !plan.feeds.isEmpty else {
                // Everything is sent already: no second task needed.
                try await inv.closeWrite()
                return try await self.results(plan, inv, sink, limits, watchdog)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await withThrowingTaskGroup(of: Void.self) { feeding in
                        for feed in plan.feeds {
                            feeding.addTask { try await self.send(feed.source, on: feed.path, inv, watchdog) }
                        }
                        for try await _ in feeding {}
                    }
                    try await inv.closeWrite()
                }
                group.addTask {
                    try await self.results(plan, inv, sink, limits, watchdog)
                    for feed in plan.feeds { feed.source.stop() }
                }
                for try await _ in group {}
            }
        }
    }

    /// A failure: the error response while the status is not out yet, else
    /// the format's error marker or a cut-off body.
    func fail(_ sink: RecordingSink, _ error: GatewayError, format: StreamFormat?) async {
        guard sink.headSent else {
            await answer(sink, .failure(error))
            return
        }
        if let kind = error.upstreamKind { metrics.upstreamError(kind) }
        if let format, let marker = format.failure(error) {
            sink.noteFailure("\(error.code): \(error.message)")
            try? await sink.write(marker)
            try? await sink.finish()
        } else {
            await sink.fail(error)
        }
    }

    /// A source's bytes, piece by piece, as chunks of the pending stream on
    /// `path`. A failing source ends nothing: the error closes the connection,
    /// so the backend sees a broken stream rather than a clean end.
    private func send(_ source: any ChunkSource, on path: [UInt32], _ inv: Invocation, _ watchdog: Watchdog) async throws {
        while let piece = try await source.next() {
            watchdog.touch()
            try await inv.sendStreamChunk(path: path, bytes: piece)
            metrics.streamedBytes.increment(by: Int64(piece.count))
        }
        try await inv.endStream(path: path)
    }

    private func results(_ plan: CallPlan, _ inv: Invocation, _ sink: RecordingSink, _ limits: DecoderLimits,
                         _ watchdog: Watchdog) async throws {
        guard let result = plan.function.result else {
            while try await inv.next(path: []) != nil {}
            try await sink.respond(HTTPResponse(status: 204))
            return
        }
        // Tokens name the member that answered.
        let handles = plan.handles.map { $0.issuing(for: PoolCall.current?.target ?? plan.member ?? plan.pool.target) }
        let root = try await inv.readValues(types: [result], shape: .bare, limits: limits, handles: handles)
        guard let format = plan.format, format != .collected, case .stream(let element) = result else {
            let json = try await inv.collect(json: root.json, pending: root.pending, limits: limits, handles: handles)
            try await sink.respond(HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: json))
            return
        }
        // The status line goes now; what follows can only end the body well or badly.
        var headers = [("Content-Type", format.contentType)]
        if format == .sse { headers.append(("Cache-Control", "no-cache")) }
        try await sink.head(ResponseHead(status: 200, headers: headers))
        guard let pending = root.pending.first(where: { $0.path == [0] }) else {
            try await sendReady(root.json, format, sink)
            try await sink.finish()
            return
        }
        try await inv.readStreamBatches(path: pending.path, element: element, limits: limits, handles: handles) { events in
            watchdog.touch()
            // One write per batch: a stream of small elements (numbers as
            // NDJSON lines) would otherwise cost a queue round per element.
            var batch: [UInt8] = []
            for event in events {
                switch event {
                case .bytes(let b):
                    if batch.isEmpty { batch = b } else { batch += b }
                    self.metrics.streamedBytes.increment(by: Int64(b.count))
                case .element(let json, let nested):
                    let full = nested.isEmpty ? json : try await inv.collect(json: json, pending: nested, limits: limits, handles: handles)
                    batch += format.element(full)
                case .end:
                    break
                }
            }
            try await sink.write(batch)
        }
        try await sink.finish()
    }

    /// A stream result that came whole in the root value.
    private func sendReady(_ json: [UInt8], _ format: StreamFormat, _ sink: RecordingSink) async throws {
        let value = try JSONValue(parsing: json)
        if format == .octets {
            try await sink.write(value.base64Bytes ?? [])
        } else if case .array(let items) = value {
            // Framed in pieces of a bounded size: one write per element would
            // cost a queue round each, one write in all a second copy of it.
            var batch: [UInt8] = []
            for item in items {
                batch += format.element(item.bytes)
                if batch.count >= Exchange.chunkBytes {
                    try await sink.write(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            try await sink.write(batch)
        }
    }
}
