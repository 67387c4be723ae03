import Locking

/// The server's sink, wrapped to learn what the client actually got: the
/// status, the body bytes and how the body ended. `onEnd` gets the record
/// once, the moment the body ends (or the responder gives up), so the log
/// line and metrics tell the real outcome: a stream cut after its status
/// line is not counted as a clean 200.
final class RecordingSink: ResponseSink {
    enum Outcome: Sendable, Equatable {
        /// Nothing has ended yet.
        case open
        case complete
        /// The body was cut short on purpose: the reason.
        case cut(String)
        /// The client left before the end.
        case clientGone
    }

    struct Record: Sendable {
        var route = "unknown"
        var status: Int?
        var bytes: Int64 = 0
        var outcome = Outcome.open
    }

    private let inner: any ResponseSink
    /// Its id and the headers middleware added go on the answer's head.
    let context: RequestContext
    private let state = Locked(Record())
    /// Set when the body carries an error marker: its end is not a clean one.
    private let failure = Locked<String?>(nil)
    private let onEnd: @Sendable (Record) -> Void

    init(_ inner: any ResponseSink, context: RequestContext, onEnd: @escaping @Sendable (Record) -> Void) {
        self.inner = inner
        self.context = context
        self.onEnd = onEnd
    }

    /// Names the route for the metrics (before the answer ends).
    func route(_ name: String) {
        state.withLock { $0.route = name }
    }

    private func end(_ outcome: Outcome) {
        let ended = state.withLock { r -> Record? in
            guard r.outcome == .open else { return nil }
            r.outcome = outcome
            return r
        }
        if let ended { onEnd(ended) }
    }

    /// The body will end with an error marker (NDJSON's error line, SSE's
    /// error event): a well-formed end, but not a successful one.
    func noteFailure(_ reason: String) {
        failure.withLock { $0 = reason }
    }

    /// The responder is done: if the answer never ended, its client is gone.
    func responderReturned() {
        end(.clientGone)
    }

    var headSent: Bool { state.withLock { $0.status != nil } }

    func head(_ head: ResponseHead) async throws {
        var head = head
        head.headers = withContextHeaders(head.headers)
        state.withLock { $0.status = head.status }
        try await noting { try await inner.head(head) }
    }

    func respond(_ response: HTTPResponse) async throws {
        var response = response
        response.headers = withContextHeaders(response.headers)
        state.withLock { $0.status = response.status }
        try await noting { try await inner.respond(response) }
        state.withLock { $0.bytes = Int64(response.body.count) }
        end(.complete)
    }

    func write(_ bytes: [UInt8]) async throws {
        try await noting { try await inner.write(bytes) }
        state.withLock { $0.bytes += Int64(bytes.count) }
    }

    func finish(trailers: [(String, String)]) async throws {
        try await noting { try await inner.finish(trailers: trailers) }
        end(failure.withLock { $0 }.map { .cut($0) } ?? .complete)
    }

    func fail(_ error: any Error) async {
        await inner.fail(error)
        end(.cut("\(error)"))
    }

    /// The headers middleware added, but for those the answer sets itself
    /// (a route's own policy, such as the console's stricter CSP, wins),
    /// then the request id. `Vary` is a list that adds up (RFC 9110
    /// §12.5.5): a backend's own does not replace the edge's.
    private func withContextHeaders(_ headers: [(String, String)]) -> [(String, String)] {
        let added = context.responseHeaders
        guard !added.isEmpty else { return headers + [("X-Request-Id", context.requestID)] }
        let own = Set(headers.map { $0.0.lowercased() }).subtracting(["vary"])
        return headers + added.filter { !own.contains($0.0.lowercased()) } + [("X-Request-Id", context.requestID)]
    }

    /// A sink that throws has lost its client.
    private func noting(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            end(.clientGone)
            throw error
        }
    }
}
