import ComponentValues
import CurlClient
import EventLoops
import HTTPHead
import Logging
import Synchronization
import WasiHTTP
import WRPCTransport
import Locking

/// One `outgoing-handler.handle` call: the request goes out with libcurl as
/// its body arrives; the result is sent as soon as the response's head is
/// in, with the body pending, and the body follows as curl delivers it.
struct EgressCall {
    let inv: Invocation
    let config: EgressConfig
    let metrics: EgressMetrics
    let logger: Logger

    /// The parameters' bytes never need to be larger than this.
    static let maxParameterBytes = 2 << 20

    /// How the call ended, for the metrics and the log line.
    final class Outcome: Sendable {
        private let state = Locked<(outcome: String, status: Int?, sent: Int64, received: Int64)>(("ok", nil, 0, 0))
        /// Why the caller's body failed the transfer, if it did.
        let bodyFailure = Locked<ErrorCode?>(nil)

        func set(_ outcome: String, status: Int? = nil) { state.withLock { $0.outcome = outcome; $0.status = status ?? $0.status } }
        func sent(_ n: Int) { state.withLock { $0.sent += Int64(n) } }
        func received(_ n: Int) { state.withLock { $0.received += Int64(n) } }
        var snapshot: (outcome: String, status: Int?, sent: Int64, received: Int64) { state.withLock { $0 } }
    }

    func run(url describe: inout String, outcome: Outcome) async throws {
        let call: OutgoingCall
        do {
            call = try await parameters()
        } catch let error as WasiHTTPError {
            // Bad bytes from the caller still get a typed answer.
            return try await answer(.failure(.internalError("malformed parameters: \(error)")), outcome)
        } catch CallError.deadlineExceeded {
            // wRPC has no error frame: a caller that stalls mid-parameters
            // gets the same answer as one whose body stalls, then the close.
            return try await answer(.failure(.connectionReadTimeout), outcome)
        }
        let head = call.request
        guard let written = Self.url(head) else {
            return try await answer(.failure(.httpRequestURIInvalid), outcome)
        }
        describe = "\(head.method.name) \(written)"
        // What is fetched is the normalised URL the allowlist checked.
        let url: String
        switch config.check(written) {
        case .success(let normalized):
            url = normalized.text
        case .failure(let refusal):
            logger.notice("egress refused", metadata: ["url": .string(written), "reason": .string(refusal.description)])
            if case .invalid = refusal { return try await answer(.failure(.httpRequestURIInvalid), outcome) }
            return try await answer(.failure(.httpRequestDenied), outcome)
        }
        guard let headers = HostField.drop(from: head) else {
            logger.notice("egress refused", metadata: ["url": .string(url), "reason": "a host header that is not the authority"])
            return try await answer(.failure(.httpRequestDenied), outcome)
        }
        let headerBytes = head.headers.entries.reduce(0) { $0 + $1.name.utf8.count + $1.values.reduce(0) { $0 + $1.count } }
        guard headerBytes <= config.maxHeaderBytes else {
            return try await answer(.failure(.httpRequestHeaderSectionSize(UInt32(clamping: headerBytes))), outcome)
        }
        let length = Self.contentLength(head)
        if let length, length > config.maxRequestBodyBytes {
            return try await answer(.failure(.httpRequestBodySize(UInt64(length))), outcome)
        }
        let options = call.options ?? RequestOptions()
        var limits = FetchLimits()
        limits.connectTimeout = config.connectTimeout.resolve(options.connectTimeout)
        limits.totalTimeout = config.totalTimeout
        limits.maxBytes = config.maxResponseBodyBytes
        let upload: ByteQueue? = Self.hasBody(head, length) ? ByteQueue(highWater: 1 << 20) : nil
        let requestTrailers = TrailerSlot()
        var request = OutgoingRequest(method: head.method.name, url: url, headers: headers, body: upload,
                                      bodyLength: length, trailers: { requestTrailers.fields })
        request.allowInternalAddresses = config.allowInternalAddresses
        let transfer: Transfer
        do {
            transfer = try Transfer(request: request, limits: limits)
        } catch {
            return try await answer(.failure(ErrorCode(error, message: "\(error)")), outcome)
        }
        let betweenBytes = config.betweenBytesTimeout.resolve(options.betweenBytesTimeout)
        let firstByte = config.firstByteTimeout.resolve(options.firstByteTimeout)
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let upload {
                group.addTask {
                    try await forward(head, into: upload, trailers: requestTrailers, idle: betweenBytes, outcome: outcome)
                }
            }
            // However the call ends (the caller may have left), the transfer
            // ends with it: curl drops the origin's connection.
            defer {
                group.cancelAll()
                transfer.cancel()
            }
            try await respond(transfer, firstByte: firstByte, betweenBytes: betweenBytes, outcome)
        }
    }

    /// Reads `handle(request, options)`'s parameters off path `[]`, within
    /// the default between-bytes timeout (the caller's own options are not
    /// known before they are read).
    private func parameters() async throws -> OutgoingCall {
        let bound = config.betweenBytesTimeout.fallback
        return try await withDeadline(.now + bound, what: "the caller's parameters within \(bound)") { [self] in
            try await collect(path: [], "parameters", OutgoingCall.decode)
        }
    }

    /// Reads frames on `path` until `decode` makes a value of them; more
    /// than `maxParameterBytes` without one is refused, not buffered.
    private func collect<T>(path: [UInt32], _ what: String, _ decode: ([UInt8]) throws -> T?) async throws -> T {
        try await WireValue.collect(what, maxBytes: Self.maxParameterBytes, next: { try await inv.next(path: path) },
                                    endedEarly: ProtocolError.malformed("the caller's \(what) ended early"), decode)
    }

    private func answer(_ result: HandleResult, _ outcome: Outcome) async throws {
        switch result {
        case .failure(let code): outcome.set(code.caseName)
        case .response(let head): outcome.set("ok", status: Int(head.status))
        }
        try await inv.send(path: [], data: result.encode())
    }

    /// Waits for the response's head (bounded by the first-byte timeout),
    /// answers, then streams the body and the trailers back.
    private func respond(_ transfer: Transfer, firstByte: Duration, betweenBytes: Duration, _ outcome: Outcome) async throws {
        let loop = EventLoop.currentOrShared
        let expired = Atomic<Bool>(false)
        let timer = loop.schedule(after: firstByte) {
            expired.store(true, ordering: .relaxed)
            transfer.cancel(.timedOut, message: "no response within \(firstByte)")
        }
        transfer.start()
        let head = await transfer.responseHead()
        timer.cancel()
        // A head that arrived whole is answered even if the body broke since:
        // the caller then sees the body cut.
        guard head.complete || head.failure == nil, let status = head.status, (100...999).contains(status) else {
            let code: ErrorCode
            if expired.load(ordering: .relaxed) {
                code = .httpResponseTimeout
            } else if let failure = outcome.bodyFailure.withLock({ $0 }) {
                code = failure
            } else {
                code = ErrorCode(head.failureKind ?? .other, message: head.failure ?? "no response")
            }
            return try await answer(.failure(code), outcome)
        }
        // An origin's field with a control byte is not handed on: the caller
        // (and whatever it forwards to) could read it its own way.
        let fields = FieldValue.droppingControls(head.headers)
        if fields.dropped > 0 { metrics.droppedFields.increment(by: Int64(fields.dropped)) }
        try await answer(.response(ResponseHead(status: UInt16(status), headers: Fields(pairs: fields.kept))), outcome)

        // The body: pieces as curl delivers them, the transfer paused while
        // the caller is behind (the write below waits, the queue fills).
        let idle = Watchdog(deadline: .now + betweenBytes, idle: betweenBytes)
        let watch = idle.arm(on: loop) {
            transfer.cancel(.timedOut, message: "no bytes for \(betweenBytes)")
        }
        defer { watch.cancel() }
        idle.touch()
        do {
            while let piece = try await transfer.next() {
                idle.touch()
                try await inv.sendStreamChunk(path: ResponseHead.bodyPath, bytes: piece)
                outcome.received(piece.count)
                metrics.responseBytes.increment(by: Int64(piece.count))
            }
        } catch {
            // Ends the call without the stream's end: the caller sees the body
            // cut, never a clean end.
            outcome.set("cut")
            throw error
        }
        try await inv.endStream(path: ResponseHead.bodyPath)
        let trailers = transfer.trailers
        try await inv.send(path: ResponseHead.trailersPath,
                           data: Fields.encodeOptional(trailers.isEmpty ? nil : Fields(pairs: trailers)))
    }

    /// The caller's request body (inline, or streamed on its path) into the
    /// upload queue, and its trailers (inline, or from their future) where
    /// libcurl asks for them when the body ends. A caller that pauses longer
    /// than the between-bytes timeout, or sends too much, fails the transfer.
    private func forward(_ head: RequestHead, into upload: ByteQueue, trailers: TrailerSlot,
                         idle: Duration, outcome: Outcome) async throws {
        let watchdog = Watchdog(deadline: .now + idle, idle: idle)
        let limit = config.maxRequestBodyBytes
        do {
            let result = try await withWatchdog(watchdog) { () -> Void in
                var sent: Int64 = 0
                func pass(_ bytes: [UInt8]) async throws {
                    sent += Int64(bytes.count)
                    guard sent <= limit else {
                        outcome.bodyFailure.withLock { $0 = .httpRequestBodySize(UInt64(sent)) }
                        throw WasiHTTPError.malformed("request body over \(limit) bytes")
                    }
                    watchdog.touch()
                    try await upload.write(bytes)
                    outcome.sent(bytes.count)
                    metrics.requestBytes.increment(by: Int64(bytes.count))
                }
                switch head.body {
                case .ready(let bytes): try await pass(bytes)
                case .pending:
                    try await inv.readStream(path: RequestHead.bodyPath, element: .primitive(.u8)) { event in
                        if case .bytes(let b) = event { try await pass(b) }
                    }
                }
                let fields: Fields?
                switch head.trailers {
                case .ready(let f): fields = f
                case .pending: fields = try await futureTrailers()
                }
                trailers.fields = fields?.pairs ?? []
            }
            if case .expired = result {
                outcome.bodyFailure.withLock { $0 = .connectionReadTimeout }
                throw CallError.deadlineExceeded("the caller's request body paused for \(idle)")
            }
            upload.finish()
        } catch {
            // Bytes that do not decode as the body stream or its trailers are
            // the caller's fault, and its answer says so.
            if case CallError.protocolError(let message) = error {
                outcome.bodyFailure.withLock { $0 = $0 ?? .internalError("malformed request body: \(message)") }
            }
            // The transfer must not see a clean end of a body that broke.
            upload.fail(error)
            throw error
        }
    }

    private func futureTrailers() async throws -> Fields? {
        try await WireValue.trailers(maxBytes: Self.maxParameterBytes, next: { try await inv.next(path: RequestHead.trailersPath) },
                                     endedEarly: ProtocolError.malformed("the caller's request trailers ended early"))
    }

    static func url(_ head: RequestHead) -> String? {
        let scheme: String
        switch head.scheme ?? .http {
        case .http: scheme = "http"
        case .https: scheme = "https"
        case .other: return nil
        }
        guard let authority = head.authority, !authority.isEmpty,
              !authority.utf8.contains(where: { $0 <= 32 || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") || $0 >= 127 })
        else { return nil }
        let path = head.pathWithQuery ?? "/"
        guard path.hasPrefix("/") || path == "*", !path.utf8.contains(where: { $0 <= 32 || $0 >= 127 }) else { return nil }
        return "\(scheme)://\(authority)\(path)"
    }

    static func contentLength(_ head: RequestHead) -> Int64? {
        if case .ready(let bytes) = head.body { return Int64(bytes.count) }
        guard let raw = head.headers.values("content-length").first,
              let n = Int64(String(decoding: raw, as: UTF8.self)), n >= 0 else { return nil }
        return n
    }

    /// GET and HEAD carry a body only when their headers say so; every
    /// other method sends what the caller streams (possibly nothing).
    static func hasBody(_ head: RequestHead, _ length: Int64?) -> Bool {
        switch head.method {
        case .get, .head:
            if case .ready(let b) = head.body { return !b.isEmpty }
            return (length ?? 0) > 0 || !head.headers.values("transfer-encoding").isEmpty
        default:
            return true
        }
    }
}

/// The request's trailers, set when its body has ended and read by libcurl
/// when it sends the last chunk.
final class TrailerSlot: Sendable {
    private let value = Locked<[(String, [UInt8])]>([])

    var fields: [(String, [UInt8])] {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
