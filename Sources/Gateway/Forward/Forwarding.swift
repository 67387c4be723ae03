import BackendPool
import ComponentValues
import EventLoops
import WasiHTTP
import WRPCTransport

extension Gateway {
    /// Whether a request goes to a forward (its body then streams to the
    /// backend as it arrives, with its raw header bytes and trailers).
    func forwardsRaw(method: String, path: String, target: String) -> Bool {
        forwards.match(path: path, target: target) != nil
    }

    /// Passes `request` to the forward's incoming handler and its answer
    /// back: the head as soon as the result is in, the body as it streams.
    /// The deadline bounds the time to the result; once body bytes move
    /// either way, the stream idle timeout applies instead.
    func forward(_ request: HTTPRequest, _ match: ForwardTable.Match, _ sink: RecordingSink) async {
        let prefix = match.route.prefix
        let counters = forwardCounters[match.index]
        let pool = forwardPools[match.index]
        let head = ForwardRequest.head(request, pathWithQuery: match.pathWithQuery, https: tls != nil,
                                       requestID: sink.context.requestID)
        let watchdog = Watchdog(deadline: .now + config.defaultTimeout, idle: config.streamIdleTimeout)
        let served = PoolCall()
        let answered = Flag()
        metrics.inFlight.increment()
        defer { metrics.inFlight.decrement() }
        do {
            try await PoolCall.$current.withValue(served) {
                try await WRPCClient(transport: pool).call(instance: WrpcHTTPWIT.incomingInstance, name: "handle",
                                                           params: head.encodeAsIncomingParameters(), watchdog: watchdog) { inv in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            do {
                                try await self.sendBody(request, inv, watchdog, counters)
                            } catch where answered.isSet {
                                // The answer is complete; the rest of the body is not wanted.
                            }
                        }
                        group.addTask {
                            try await self.relay(request, inv, sink, watchdog, counters)
                            answered.set()
                            request.bodyStream?.discard()
                        }
                        // Answered in full: a body still being sent to a
                        // backend that stopped reading it is not waited for.
                        for try await _ in group where answered.isSet { group.cancelAll() }
                    }
                }
            }
            served.finished(.completed)
        } catch {
            request.bodyStream?.discard()
            // Answered in full already: what failed after that is nobody's business.
            if answered.isSet { served.finished(.completed) }
            // A streamed request body sets its own pace: a stall is the client's.
            guard !answered.isSet,
                  let failure = upstreamFailure(error, served: served, pool: pool, callerDeadline: request.bodyStream != nil,
                                                specific: { error, _ in (error as? ForwardFailure)?.error() })
            else { return }
            let e = clientFacing(failure, pool: pool, requestID: sink.context.requestID)
            metrics.forwardUpstreamError(prefix: prefix, kind: e.details.first { $0.0 == "error_code" }.flatMap { $0.1.stringValue } ?? e.code)
            await fail(sink, e, format: nil)
        }
    }

    /// The request body as the pending `stream<u8>` on the body path, then
    /// the trailers future (a chunked request's trailers, else none). A
    /// client whose body breaks breaks the call: the backend never sees a
    /// clean end of a body that did not end.
    private func sendBody(_ request: HTTPRequest, _ inv: Invocation, _ watchdog: Watchdog, _ counters: ForwardCounters) async throws {
        if let body = request.bodyStream {
            while let piece = try await body.next() {
                watchdog.touch()
                try await inv.sendStreamChunk(path: RequestHead.bodyPath, bytes: piece)
                counters.requestBytes.increment(by: Int64(piece.count))
            }
        } else if !request.body.isEmpty {
            try await inv.sendStreamChunk(path: RequestHead.bodyPath, bytes: request.body)
            counters.requestBytes.increment(by: Int64(request.body.count))
        }
        try await inv.endStream(path: RequestHead.bodyPath)
        let trailers = request.trailers?.fields.flatMap { $0.isEmpty ? nil : Fields(pairs: $0) }
        try await inv.send(path: RequestHead.trailersPath, data: Fields.encodeOptional(trailers))
        try await inv.closeWrite()
    }

    /// The result: an error code as the error answer, a response as the
    /// HTTP answer with its body and trailers.
    private func relay(_ request: HTTPRequest, _ inv: Invocation, _ sink: RecordingSink, _ watchdog: Watchdog,
                       _ counters: ForwardCounters) async throws {
        let result = try await WireValue.collect("the handle result", maxBytes: 2 << 20, next: { try await inv.next(path: []) },
                                                 endedEarly: CallError.protocolError("the backend closed before its handle result was complete"),
                                                 HandleResult.decode)
        let head: WasiHTTP.ResponseHead
        switch result {
        case .failure(let code): throw ForwardFailure.errorCode(code)
        case .response(let h): head = h
        }
        let response = ForwardResponse(head)
        if response.dropped > 0 { counters.droppedFields.increment(by: Int64(response.dropped)) }
        guard (200...999).contains(response.status) else { throw ForwardFailure.badStatus(response.status) }
        if ForwardResponse.bodyless(method: request.method, status: response.status) {
            // No body goes out; the backend's, if any, is not read.
            if request.method == "HEAD" {
                try await sink.head(ResponseHead(status: response.status, headers: response.headers, length: response.length))
                try await sink.finish()
            } else {
                try await sink.respond(HTTPResponse(status: response.status, headers: response.headers))
            }
            return
        }
        var length = response.length
        if case .ready(let bytes) = head.body { length = Int64(bytes.count) }
        try await sink.head(ResponseHead(status: response.status, headers: response.headers, length: length))
        var sent: Int64 = 0
        switch head.body {
        case .ready(let bytes):
            try await sink.write(bytes)
            sent = Int64(bytes.count)
            counters.responseBytes.increment(by: sent)
        case .pending:
            try await inv.readStreamBatches(path: WasiHTTP.ResponseHead.bodyPath, element: .primitive(.u8)) { events in
                watchdog.touch()
                var batch: [UInt8] = []
                for case .bytes(let b) in events {
                    if batch.isEmpty { batch = b } else { batch += b }
                }
                sent += Int64(batch.count)
                if let length, sent > length {
                    throw CallError.protocolError("the backend sent more than its content-length of \(length) bytes")
                }
                counters.responseBytes.increment(by: Int64(batch.count))
                if !batch.isEmpty { try await sink.write(batch) }
            }
        }
        if let length, sent != length {
            throw CallError.protocolError("the backend sent \(sent) of its content-length of \(length) bytes")
        }
        let trailers: Fields?
        switch head.trailers {
        case .ready(let f): trailers = f
        case .pending:
            trailers = try await WireValue.trailers(next: { try await inv.next(path: WasiHTTP.ResponseHead.trailersPath) },
                                                    endedEarly: CallError.protocolError("the backend closed before its trailers"))
        }
        // Trailers go out on a chunked answer; with a content-length
        // libmicrohttpd has nowhere to put them (see the README).
        try await sink.finish(trailers: ForwardResponse.sendable(trailers?.pairs.map { ($0.0.lowercased(), $0.1) } ?? []))
    }
}
