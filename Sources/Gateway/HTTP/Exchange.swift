#if canImport(Glibc)
import Glibc
#endif
import CMicroHTTPD
import CSystemShims
import EventLoops
import Synchronization

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
    var body: [UInt8] = []
    var tooLarge = false
    var bodyEnded = false
    var dispatched = false
    var queued = false
    private var suspended = false
    private var task: Task<Void, Never>?
    private(set) var pending = Pending.none
    private var trailers: [(String, String)] = []
    private var peerWatch: PeerWatch?

    /// Request body: libmicrohttpd offers, the responder takes.
    let requestBody = ByteQueue(highWater: 1 << 20)
    /// Response body: the responder writes, libmicrohttpd's content reader takes.
    let responseBody = ByteQueue(highWater: 1 << 20)

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
        HTTPRequest(method: method, path: path, headers: headers, query: query, body: body,
                    bodyStream: streaming ? BodyReader(requestBody) : nil, remoteAddress: remoteAddress)
    }

    // MARK: - Suspending and resuming (loop thread)

    /// Inside a libmicrohttpd callback: stop calling us until `wake()`.
    func suspend() {
        guard let connection, !suspended else { return }
        suspended = true
        MHD_suspend_connection(connection)
    }

    /// Lets libmicrohttpd go on with the connection; it runs again on this
    /// loop's next pass (external mode has no wake-up of its own).
    func wake() {
        guard let connection, suspended else { return }
        suspended = false
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
        if requestBody.offer(bytes, onWritable: deferredWake) { return true }
        suspend()
        return false
    }

    func endBody() {
        bodyEnded = true
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
        let reason = MHD_get_reason_phrase_for(UInt32(response.status)).map { String(cString: $0) } ?? ""
        var head = "HTTP/1.1 \(response.status) \(reason)\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + response.body
        // A small answer on a socket that has sent nothing yet: the kernel
        // takes it whole; if not, the client just sees the connection end.
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        shutdown(fd, Int32(SHUT_WR))
    }

    func head(_ head: ResponseHead) async throws {
        try await onLoop { Result { try self.setPending(.streamed(head)) } }.get()
    }

    func respond(_ response: HTTPResponse) async throws {
        try await onLoop { Result { try self.setPending(.whole(response)) } }.get()
    }

    func write(_ bytes: [UInt8]) async throws {
        try await responseBody.write(bytes)
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
