#if canImport(Glibc)
import Glibc
#endif
import CMicroHTTPD
import CSystemShims
import EventLoops
import HTTPHead
import Synchronization
import WasiHTTP

/// One request and its response on one libmicrohttpd connection. Every
/// libmicrohttpd call happens on the daemon's loop thread (its callbacks run
/// there, and the sink hops there when called from elsewhere); bytes cross
/// to and from the responder's task through two `ByteQueue`s, and the
/// connection is suspended while a side waits and resumed when it may go on.
final class Exchange: ResponseSink, @unchecked Sendable {
    // @unchecked: every `var` below is used only on `loop`'s thread.

    enum Pending {
        case none
        case whole(HTTPResponse)
        case streamed(ResponseHead)
        /// No answer can be given: close the connection.
        case close
    }

    let loop: EventLoop
    let daemon: Daemon
    private(set) var connection: OpaquePointer?
    let method: String
    let path: String
    let headers: [(String, String)]
    let query: [(String, String)]
    let remoteAddress: String

    var streaming = false
    /// The request target as sent.
    var target = ""
    /// Set for forwards: header bytes as sent, and the chunked body's trailers.
    var rawHeaders: [(String, [UInt8])] = []
    var trailerSlot: RequestTrailers?
    var body: [UInt8] = []
    var tooLarge = false
    var bodyEnded = false
    var dispatched = false
    var queued = false
    private var suspended = false
    /// Body bytes received in the current rate window, and when it began
    /// (reset while the server itself holds the body back).
    private var windowBytes = 0
    private var windowStart = ContinuousClock.now
    /// The server stops: nothing is suspended any more, so that
    /// libmicrohttpd can close the connection (it aborts on a suspended one).
    private(set) var stopping = false
    private var task: Task<Void, Never>?
    private(set) var pending = Pending.none
    private var trailers: [(String, String)] = []
    private var peerWatch: PeerWatch?

    /// Request body: libmicrohttpd offers, the responder takes.
    let requestBody = ByteQueue(highWater: 1 << 20)
    /// Response body: the responder writes, libmicrohttpd's content reader takes.
    let responseBody = ByteQueue(highWater: 1 << 20)
    /// A streamed response began while the streamed request body is still
    /// coming: its writes are held without waiting (see `holdEarly`).
    private let fullDuplex = Atomic<Bool>(false)

    init(daemon: Daemon, connection: OpaquePointer, method: String, path: String,
         headers: [(String, String)], query: [(String, String)], remoteAddress: String) {
        self.daemon = daemon
        self.remoteAddress = remoteAddress
        self.loop = daemon.loop
        self.connection = connection
        self.method = method
        self.path = path
        self.headers = headers
        self.query = query
    }

    var request: HTTPRequest {
        var r = HTTPRequest(method: method, path: path, headers: headers, query: query, body: body,
                            bodyStream: streaming ? BodyReader(requestBody) : nil, remoteAddress: remoteAddress)
        r.target = target
        r.rawHeaders = rawHeaders
        r.trailers = trailerSlot
        return r
    }

    // MARK: - Suspending and resuming (loop thread)

    /// Inside a libmicrohttpd callback: stop calling us until `wake()`.
    func suspend() {
        guard let connection, !suspended, !stopping else { return }
        suspended = true
        MHD_suspend_connection(connection)
    }

    /// Lets libmicrohttpd go on with the connection; it runs again on this
    /// loop's next pass (external mode has no wake-up of its own).
    func wake() {
        guard let connection, suspended else { return }
        suspended = false
        windowStart = .now
        windowBytes = 0
        unwatchPeer()
        MHD_resume_connection(connection)
        daemon.scheduleRun()
    }

    /// For a ByteQueue callback, which may fire on any thread or inside our
    /// own call stack: the wake-up happens on the loop, after the current step.
    private var deferredWake: @Sendable () -> Void {
        { [self] in loop.execute { self.wake() } }
    }

    // MARK: - Request body (libmicrohttpd → responder)

    /// Offers a piece of a streamed body; false means the responder is
    /// behind: the connection is suspended and the piece comes again later.
    func offer(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if stopping { return true }
        if requestBody.offer(bytes, onWritable: deferredWake) { return true }
        suspend()
        return false
    }

    func noteReceived(_ n: Int) { windowBytes += n }

    /// Whether a rate window of the body ended with fewer than `minimum`
    /// bytes while the server was reading (a new window starts either way).
    func bodyWindowElapsed(_ now: ContinuousClock.Instant, _ window: Duration, minimum: Int) -> Bool {
        guard !bodyEnded, !suspended, !stopping, !queued, now - windowStart >= window else { return false }
        defer { windowStart = now; windowBytes = 0 }
        switch pending {
        case .none, .streamed: return windowBytes < minimum
        case .whole, .close: return false
        }
    }

    /// Whether the client closed its side with the body unfinished and
    /// nothing left unread (libmicrohttpd, having read the end, would wait
    /// for the rest until its idle timeout): then the call is cancelled.
    /// Checked only while libmicrohttpd reads, so bytes it holds are
    /// handed over first.
    func clientLeftMidBody() -> Bool {
        guard !bodyEnded, !suspended, !stopping, let connection else { return false }
        let fd = wrpc_mhd_connection_fd(connection)
        guard fd >= 0, wrpc_peer_closed(fd) != 0 else { return false }
        task?.cancel()
        requestBody.fail(ResponseSinkError.clientGone)
        shutdown(fd, Int32(SHUT_RDWR))
        return true
    }

    /// The body came too slowly: answered early, the rest dropped.
    func answerSlowBody(_ response: HTTPResponse) {
        task?.cancel()
        answerEarly(response)
        responseBody.cancel(ResponseSinkError.clientGone)
    }

    func endBody() {
        bodyEnded = true
        fullDuplex.store(false, ordering: .releasing)
        if let trailerSlot, let connection, headers.contains(where: { $0.0 == "transfer-encoding" && $0.1.lowercased().contains("chunked") }) {
            // Before the end is reported: whoever reads the end reads these.
            // They come after the body, too late for a 400: a trailer whose
            // value holds a control byte is left out instead.
            trailerSlot.fields = FieldValue.droppingControls(RawValues.byName(RawValues.collect(connection, .FOOTER_KIND))).kept
        }
        if streaming { requestBody.finish() }
    }

    // MARK: - Running the responder

    func dispatch(_ responder: any HTTPResponder) {
        dispatched = true
        let request = self.request
        body = []
        task = Task(executorPreference: loop) { [self] in
            await responder.respond(to: request, sink: self)
            await onLoop { self.responderReturned() }
        }
    }

    /// A responder that returned without answering (or without ending its
    /// body) leaves nothing sensible to send: the connection is closed.
    private func responderReturned() {
        switch pending {
        case .none:
            pending = .close
            wake()
        case .streamed:
            if !responseBody.isEnded { responseBody.fail(ResponseSinkError.misuse("the responder returned before ending the body")) }
        case .whole, .close:
            break
        }
    }

    /// Nothing to answer yet at the end of the request: wait, watching the
    /// client so that a hang-up cancels the work. Most answers come within
    /// a millisecond, so the watch starts a little later: two system calls
    /// per request saved, and a hang-up still noticed at once after that.
    func awaitResponse() {
        suspend()
        guard peerWatchTimer == nil else { return }
        peerWatchTimer = loop.schedule(after: Self.peerWatchDelay) { [self] in
            peerWatchTimer = nil
            if suspended { watchPeer() }
        }
    }

    static let peerWatchDelay: Duration = .milliseconds(5)
    private var peerWatchTimer: LoopTimer?

    // MARK: - ResponseSink

    private func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        if loop.inLoop { return body() }
        return await withUnsafeContinuation { c in loop.execute { c.resume(returning: body()) } }
    }

    private func setPending(_ p: Pending) throws {
        guard connection != nil else { throw ResponseSinkError.clientGone }
        guard case .none = pending else { throw ResponseSinkError.misuse("a response was already started") }
        if case .whole(let response) = p, streaming, !bodyEnded {
            answerEarly(response)
            return
        }
        if case .streamed = p, streaming, !bodyEnded { fullDuplex.store(true, ordering: .releasing) }
        pending = p
        wake()
    }

    /// A whole answer while the client is still sending its body (the call
    /// failed, or ended without reading it all): libmicrohttpd can queue a
    /// response only once the body is in, which could be gigabytes later or
    /// never, for a client that stalled. So the answer is written to the
    /// socket here, with `Connection: close` (HTTP allows an early response),
    /// and the rest of the body is read and dropped until the client stops;
    /// libmicrohttpd then closes the connection instead of answering again.
    private func answerEarly(_ response: HTTPResponse) {
        guard let connection else { return }
        pending = .close
        requestBody.cancel(ResponseSinkError.clientGone)
        let fd = wrpc_mhd_connection_fd(connection)
        guard fd >= 0 else { return }
        // Over HTTPS the socket carries TLS records, which only libmicrohttpd
        // can write: the client just sees the connection end.
        if daemon.server.tls == nil {
            var answer = response
            if !answer.headers.contains(where: { $0.0.lowercased() == "connection" }) { answer.headers.append(("Connection", "close")) }
            RawAnswer.send(answer, on: fd)
        }
        shutdown(fd, Int32(SHUT_WR))
    }

    func head(_ head: ResponseHead) async throws {
        try await onLoop { Result { try self.setPending(.streamed(head)) } }.get()
    }

    func respond(_ response: HTTPResponse) async throws {
        try await onLoop { Result { try self.setPending(.whole(response)) } }.get()
    }

    func write(_ bytes: [UInt8]) async throws {
        if fullDuplex.load(ordering: .acquiring), try await onLoop({ Result { try self.holdEarly(bytes) } }).get() { return }
        try await responseBody.write(bytes)
    }

    /// While the request body is still coming, libmicrohttpd sends no
    /// response; a responder that waited for the response to drain would
    /// stop reading the request (through its backend), and neither would
    /// ever end. So the response is held, without waiting, up to
    /// `maxEarlyResponseBytes`; past that the call fails with a 413 that is
    /// written at once. False: the body has ended, write as usual.
    private func holdEarly(_ bytes: [UInt8]) throws -> Bool {
        guard streaming, !bodyEnded, case .streamed = pending else { return false }
        let limit = daemon.server.limits.maxEarlyResponseBytes
        guard responseBody.buffered + bytes.count <= limit else {
            var answer = daemon.server.responder.reject(.earlyResponseTooLarge(limit: limit), request)
            answer.headers.append(("Connection", "close"))
            answerEarly(answer)
            responseBody.cancel(ResponseSinkError.clientGone)
            task?.cancel()
            throw ResponseSinkError.clientGone
        }
        try responseBody.append(bytes)
        return true
    }

    func finish(trailers: [(String, String)]) async throws {
        await onLoop { self.trailers = trailers }
        responseBody.finish()
    }

    func fail(_ error: any Error) async {
        let started = await onLoop { () -> Bool in
            if case .none = self.pending {
                self.pending = .close
                self.wake()
                return false
            }
            return true
        }
        if started { responseBody.fail(error) }
    }

    // MARK: - Response body (responder → libmicrohttpd's content reader)

    /// Fills libmicrohttpd's buffer from the response body, or suspends the
    /// connection until the responder wrote more. Each call makes one HTTP
    /// chunk (and a send), so small writes (a stream of short NDJSON lines)
    /// are gathered: a chunk goes once `chunkBytes` are held, at the end,
    /// or when the oldest held byte has waited `flushDelay`, so a slowly
    /// produced stream still shows each row promptly.
    func readBody(into buffer: UnsafeMutableRawBufferPointer, response: OpaquePointer?) -> Int {
        let minimum = flushDue ? 1 : min(Self.chunkBytes, buffer.count)
        let (outcome, held) = responseBody.read(into: buffer, minimum: minimum, onReadable: deferredWake)
        switch outcome {
        case .bytes(let n):
            flushDue = false
            flushTimer?.cancel()
            flushTimer = nil
            return n
        case .wouldBlock:
            if stopping { return wrpc_mhd_end_with_error() }
            // Bytes wait for company: not longer than the flush delay.
            if held > 0 && flushTimer == nil {
                flushTimer = loop.schedule(after: Self.flushDelay) { [self] in
                    flushTimer = nil
                    flushDue = true
                    wake()
                }
            }
            suspend()
            return 0
        case .end:
            if let response {
                for (name, value) in trailers { MHD_add_response_footer(response, name, value) }
            }
            return wrpc_mhd_end_of_stream()
        case .failed:
            return wrpc_mhd_end_with_error()
        }
    }

    /// A response chunk's size once enough is held.
    static let chunkBytes = 16 << 10
    /// How long held bytes may wait for more before they go as a smaller chunk.
    static let flushDelay: Duration = .milliseconds(5)
    private var flushTimer: LoopTimer?
    private var flushDue = false

    // MARK: - The end

    /// The shutdown grace is over and this exchange is still open: a call
    /// without an answer yet gets `answer` (early, if its body is still
    /// coming), a streamed answer is cut, the responder is cancelled, and
    /// the connection resumed so that libmicrohttpd can finish and close it.
    func abandon(_ answer: HTTPResponse) {
        guard !stopping else { return }
        stopping = true
        task?.cancel()
        if connection != nil {
            switch pending {
            case .none where streaming && !bodyEnded:
                answerEarly(answer)
            case .none:
                pending = .whole(answer)
            case .streamed:
                responseBody.fail(ResponseSinkError.clientGone)
            case .whole, .close:
                break
            }
        }
        wake()
    }

    /// libmicrohttpd is done with the connection's request (sent, or the
    /// client left): whatever still waits on either side fails.
    func completed() {
        connection = nil
        unwatchPeer()
        flushTimer?.cancel()
        flushTimer = nil
        requestBody.fail(ResponseSinkError.clientGone)
        responseBody.cancel(ResponseSinkError.clientGone)
        task?.cancel()
    }

    // MARK: - Watching the client while it waits

    private func watchPeer() {
        guard peerWatch == nil, let connection else { return }
        let fd = wrpc_mhd_connection_fd(connection)
        guard fd >= 0 else { return }
        let watch = PeerWatch(fd: fd) { [self] in task?.cancel() }
        if (try? loop.register(fd, [.read, .hangup, .oneShot], watch)) != nil { peerWatch = watch }
    }

    private func unwatchPeer() {
        peerWatchTimer?.cancel()
        peerWatchTimer = nil
        guard let watch = peerWatch else { return }
        peerWatch = nil
        loop.deregister(watch.fd)
    }
}

/// A suspended connection is not watched by libmicrohttpd, so while its
/// request waits for an answer we watch the socket: a hang-up cancels the
/// work (a pipelined next request is left for libmicrohttpd).
final class PeerWatch: IOHandler, @unchecked Sendable {
    // @unchecked: called only on the loop's thread.
    let fd: Int32
    private let onHangUp: () -> Void

    init(fd: Int32, onHangUp: @escaping () -> Void) {
        self.fd = fd
        self.onHangUp = onHangUp
    }

    func ready(_ events: IOEvents) {
        if wrpc_peer_closed(fd) != 0 { onHangUp() }
    }
}
