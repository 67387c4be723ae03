import ComponentValues
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
    let target: String
    /// How a top-level stream result is answered; nil for other results.
    let format: StreamFormat?
}

extension Gateway {
    /// Runs the call; hands its response to `relay` as soon as the status is
    /// known, then (for a streamed result) keeps feeding it.
    func run(_ plan: CallPlan, _ relay: Relay) async {
        let client = clients[plan.target]!
        let limits = DecoderLimits(maxOutputBytes: config.maxResponseBytes)
        metrics.inFlight.increment()
        defer { metrics.inFlight.decrement() }
        do {
            try await client.call(instance: plan.instance, name: plan.function.wireName, params: plan.params,
                                  deadline: plan.deadline) { inv in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await withThrowingTaskGroup(of: Void.self) { feeding in
                            for feed in plan.feeds {
                                feeding.addTask { try await self.send(feed.source, on: feed.path, inv) }
                            }
                            for try await _ in feeding {}
                        }
                        try await inv.closeWrite()
                    }
                    group.addTask {
                        try await self.results(plan, inv, relay, limits)
                        for feed in plan.feeds { feed.source.stop() }
                    }
                    for try await _ in group {}
                }
            }
        } catch {
            for feed in plan.feeds { feed.source.stop() }
            let e: GatewayError
            if let callError = error as? CallError {
                e = .from(callError, target: plan.target)
            } else {
                e = GatewayError(502, "upstream_protocol", "\(error)", details: [("target", .string(plan.target))])
            }
            relay.fail(e, format: plan.format)
        }
    }

    /// A source's bytes, piece by piece, as chunks of the pending stream on
    /// `path`. A failing source ends nothing: the error closes the connection,
    /// so the backend sees a broken stream rather than a clean end.
    private func send(_ source: any ChunkSource, on path: [UInt32], _ inv: Invocation) async throws {
        while let piece = try await source.next() {
            try await inv.sendStreamChunk(path: path, bytes: piece)
            metrics.streamedBytes.increment(by: Int64(piece.count))
        }
        try await inv.endStream(path: path)
    }

    private func results(_ plan: CallPlan, _ inv: Invocation, _ relay: Relay, _ limits: DecoderLimits) async throws {
        guard let result = plan.function.result else {
            while try await inv.next(path: []) != nil {}
            relay.respond(HTTPResponse(status: 204))
            return
        }
        let root = try await inv.readValues(types: [result], shape: .bare, limits: limits)
        guard let format = plan.format, format != .collected, case .stream(let element) = result else {
            let json = try await inv.collect(json: root.json, pending: root.pending, limits: limits)
            relay.respond(HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: json))
            return
        }
        // The status line goes now; what follows can only end the body well or badly.
        var headers = [("Content-Type", format.contentType)]
        if format == .sse { headers.append(("Cache-Control", "no-cache")) }
        relay.respond(HTTPResponse(status: 200, headers: headers, stream: relay.streamedBody()))
        guard let pending = root.pending.first(where: { $0.path == [0] }) else {
            try await relay.sendReady(root.json, format)
            relay.finish(clean: true)
            return
        }
        try await inv.readStream(path: pending.path, element: element, limits: limits) { event in
            switch event {
            case .bytes(let b):
                try await relay.send(b)
                self.metrics.streamedBytes.increment(by: Int64(b.count))
            case .element(let json, let nested):
                let full = try await inv.collect(json: json, pending: nested, limits: limits)
                try await relay.send(format.element(full))
            case .end:
                break
            }
        }
        relay.finish(clean: true)
    }
}

extension Relay {
    /// A failure: an error response if the status is not out yet, else the
    /// format's error marker or a cut-off body.
    func fail(_ error: GatewayError, format: StreamFormat?) {
        if settle(.failure(error)) { return }
        if let format, let marker = format.failure(error) {
            enqueueFinal(marker)
            finish(clean: true)
        } else {
            finish(clean: false)
        }
    }

    /// A stream result that came whole in the root value.
    func sendReady(_ json: [UInt8], _ format: StreamFormat) async throws {
        let value = try JSONValue(parsing: json)
        if format == .octets {
            try await send(value.base64Bytes ?? [])
        } else if case .array(let items) = value {
            for item in items { try await send(format.element(item.bytes)) }
        }
    }
}
