import CMicroHTTPD
import EventLoops
import HTTPHead
import Synchronization
import WRPCTransport

#if canImport(Glibc)
import Glibc
import Locking
#endif

/// libmicrohttpd on the event loops: one daemon per loop, all accepting on
/// one port, each driven by its loop's thread. A request's responder runs as
/// a task on the loop that accepted the connection, so a request is served
/// start to end on one thread.
public final class HTTPServer: Sendable {
    let responder: any HTTPResponder
    let limits: HTTPLimits
    let group: EventLoopGroup
    /// HTTPS on every daemon when set.
    let tls: TLSContext?
    private let daemons = Locked<[Daemon]>([])
    private let inFlight = Atomic<Int>(0)
    private let boundPort = Atomic<Int>(0)
    /// Open connections, against `maxConnections` and `maxConnectionsPerClient`.
    let clients = ClientCounts()

    /// The bound port (useful after asking for port 0).
    public var port: Int { boundPort.load(ordering: .relaxed) }

    public var requestsInFlight: Int { inFlight.load(ordering: .relaxed) }

    public init(limits: HTTPLimits, group: EventLoopGroup = .shared, responder: any HTTPResponder, tls: TLSContext? = nil) {
        self.limits = limits
        self.group = group
        self.tls = tls
        self.responder = responder
    }

    /// Binds `host:port` (port 0 picks a free one) and starts serving.
    public func start(host: String, port: Int) throws {
        let name = host == "localhost" ? "127.0.0.1" : host
        let listeners: (fds: [Int32], port: Int)
        do {
            listeners = try SharedPort.listen(host: name, port: port, count: group.loops.count)
        } catch {
            throw HTTPServerError.cannotStart("cannot listen on \(host):\(port): \(error)")
        }
        let ipv6 = name.contains(":")
        // libmicrohttpd's limit is per daemon; split the total over them,
        // with room above it for connections that are only answered 503.
        let share = max(1, (limits.maxConnections + group.loops.count - 1) / group.loops.count)
        let perDaemon = share + max(16, share / 8)
        var started: [Daemon] = []
        for (loop, fd) in zip(group.loops, listeners.fds) {
            let daemon = Daemon(loop: loop, server: self)
            do {
                try daemon.start(listenFD: fd, ipv6: ipv6, limits: limits, connectionLimit: perDaemon)
            } catch {
                for fd in listeners.fds.dropFirst(started.count) { close(fd) }
                for d in started { d.loop.execute { d.stop() } }
                throw error
            }
            started.append(daemon)
        }
        daemons.withLock { $0 = started }
        boundPort.store(listeners.port, ordering: .relaxed)
    }

    /// Stops accepting, lets requests in flight finish for up to `grace`, then stops.
    public func shutdown(grace: Duration) async {
        let all = daemons.withLock { $0 }
        await onEachLoop(all) { $0.quiesce() }
        let deadline = ContinuousClock.now + grace
        while inFlight.load(ordering: .relaxed) > 0 && ContinuousClock.now < deadline {
            try? await EventLoop.sleep(for: .milliseconds(20))
        }
        if inFlight.load(ordering: .relaxed) > 0 {
            // Calls still in flight get their 503 (or their stream cut),
            // with a moment for the answers to leave before the sockets close.
            await onEachLoop(all) { $0.abandonAll() }
            let flushed = ContinuousClock.now + Self.lastAnswersDelay
            while inFlight.load(ordering: .relaxed) > 0 && ContinuousClock.now < flushed {
                try? await EventLoop.sleep(for: .milliseconds(10))
            }
        }
        await stop()
    }

    /// How long answers given at the end of the grace period get to leave.
    static let lastAnswersDelay: Duration = .milliseconds(500)

    public func stop() async {
        let all = daemons.withLock { d in
            defer { d = [] }
            return d
        }
        await onEachLoop(all) { $0.stop() }
    }

    private func onEachLoop(_ daemons: [Daemon], _ body: @escaping @Sendable (Daemon) -> Void) async {
        for d in daemons {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                d.loop.execute {
                    body(d)
                    c.resume()
                }
            }
        }
    }

    func finishedRequest() {
        inFlight.subtract(1, ordering: .relaxed)
    }

    // MARK: - libmicrohttpd's access handler (on the daemon's loop)

    func access(_ daemon: Daemon, _ connection: OpaquePointer, _ url: String, _ method: UnsafePointer<CChar>,
                _ version: UnsafePointer<CChar>?,
                _ uploadData: UnsafePointer<CChar>?, _ uploadSize: UnsafeMutablePointer<Int>,
                _ reqCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        let context = reqCls.pointee.map { Unmanaged<AnyObject>.fromOpaque($0).takeUnretainedValue() }
        guard let exchange = context as? Exchange else {
            // First call: headers only; the context is the URI logger's.
            if let raw = reqCls.pointee { Unmanaged<AnyObject>.fromOpaque(raw).release() }
            reqCls.pointee = nil
            return begin(daemon, connection, url, method, context as? RawTarget, version, reqCls)
        }
        if uploadSize.pointee > 0 {
            let n = uploadSize.pointee
            guard let uploadData else {
                uploadSize.pointee = 0
                return .YES
            }
            let piece = UnsafeRawBufferPointer(start: uploadData, count: n)
            exchange.noteReceived(n)
            if exchange.streaming {
                // Not taken: the connection is now suspended, and
                // libmicrohttpd offers the same bytes again after resuming.
                if exchange.offer(piece) { uploadSize.pointee = 0 }
                return .YES
            }
            if !exchange.tooLarge {
                if exchange.body.count + n > limits.maxBodyBytes {
                    exchange.tooLarge = true
                    exchange.body = []
                } else {
                    exchange.body.append(contentsOf: piece)
                }
            }
            uploadSize.pointee = 0
            return .YES
        }
        if exchange.queued { return .YES }
        if !exchange.bodyEnded { exchange.endBody() }
        if exchange.tooLarge {
            return queue(connection, exchange, .whole(responder.reject(.bodyTooLarge(limit: limits.maxBodyBytes), exchange.request)))
        }
        if !exchange.dispatched { exchange.dispatch(responder) }
        if case .none = exchange.pending {
            exchange.awaitResponse()
            return .YES
        }
        return queue(connection, exchange, exchange.pending)
    }

    /// A request's headers are in: its exchange is made, and refused at
    /// once when its method is not a token or hides a NUL, its head hides a folded line or
    /// a NUL, a field value holds a control byte, its Host is missing,
    /// repeated or invalid, its framing is ambiguous, its target holds a
    /// NUL, it has too many headers, or its declared body is over the limit.
    private func begin(_ daemon: Daemon, _ connection: OpaquePointer, _ url: String, _ methodBytes: UnsafePointer<CChar>,
                       _ target: RawTarget?, _ version: UnsafePointer<CChar>?,
                       _ reqCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        let method = String(cString: methodBytes)
        // One pass over the headers: as received for the framing check and
        // forwards, as text for everything else; and where libmicrohttpd
        // keeps them, measured from the method, the head's first byte.
        let (raw, fields) = RawValues.collectPlaced(connection, .HEADER_KIND, origin: UnsafeRawPointer(methodBytes))
        let headers = RawValues.text(raw)
        let exchange = Exchange(daemon: daemon, connection: connection, method: method, path: url, headers: headers,
                                query: values(connection, .GET_ARGUMENT_KIND),
                                remoteAddress: Self.clientAddress(connection))
        exchange.target = target?.text ?? ""
        reqCls.pointee = Unmanaged.passRetained(exchange).toOpaque()
        daemon.opened(exchange)
        inFlight.add(1, ordering: .relaxed)
        // A connection answered 503/429 (or timed out) is not served, whatever it sends.
        guard daemon.watch.headReceived(connection) else { return .NO }
        let size = wrpc_mhd_request_header_size(connection)
        let head = size > 0 ? UnsafeRawBufferPointer(start: UnsafeRawPointer(methodBytes), count: Int(size)) : nil
        let length: UInt64?
        let targetAt = target.map { $0.start - UnsafeRawPointer(methodBytes) }
        switch HeadRules.check(method: method.utf8, targetAt: targetAt, version: version.map { String(cString: $0) } ?? "",
                               head: head, fields: fields, headers: raw) {
        case .failure(let refusal):
            return refuse(connection, exchange, HTTPRejection(refusal))
        case .success(let declared):
            length = declared
        }
        if let target, let refusal = FramingCheck.controlBytes(inTarget: target.bytes, versionFollows: target.versionFollows(version)) {
            return refuse(connection, exchange, HTTPRejection(refusal))
        }
        if headers.count > limits.maxHeaderCount {
            return queue(connection, exchange, .whole(responder.reject(.tooManyHeaders(limit: limits.maxHeaderCount), exchange.request)))
        }
        if responder.forwardsRaw(method: method, path: url, target: exchange.target) {
            exchange.streaming = true
            exchange.rawHeaders = RawValues.byName(raw)
            exchange.trailerSlot = RequestTrailers()
        } else {
            exchange.streaming = responder.streamsBody(method: method, path: url, headers: headers)
        }
        if exchange.streaming {
            // The responder starts now and reads the body as it arrives.
            exchange.dispatch(responder)
            return .YES
        }
        if let length, length > UInt64(limits.maxBodyBytes) {
            // Refused before reading the body, whatever the length.
            return refuse(connection, exchange, .bodyTooLarge(limit: limits.maxBodyBytes))
        }
        return .YES
    }

    /// An answer before the body, after which the connection is closed: the
    /// bytes that follow cannot be trusted to be a next request.
    private func refuse(_ connection: OpaquePointer, _ exchange: Exchange, _ rejection: HTTPRejection) -> MHD_Result {
        var response = responder.reject(rejection, exchange.request)
        response.headers.append(("Connection", "close"))
        return queue(connection, exchange, .whole(response))
    }

    private func queue(_ connection: OpaquePointer, _ exchange: Exchange, _ pending: Exchange.Pending) -> MHD_Result {
        exchange.queued = true
        let r: OpaquePointer?
        let headers: [(String, String)]
        let status: Int
        switch pending {
        case .none, .close:
            return .NO
        case .whole(let response):
            r = response.body.withUnsafeBytes { wrpc_mhd_buffer_response($0.count, $0.baseAddress) }
            headers = response.headers
            status = response.status
        case .streamed(let head):
            let box = ReaderBox(exchange)
            r = wrpc_mhd_callback_response(head.length ?? -1, 64 << 10, MHDCallbacks.reader,
                                           Unmanaged.passRetained(box).toOpaque(), MHDCallbacks.release)
            box.response = r
            headers = head.headers
            status = head.status
        }
        guard let r else { return .NO }
        defer { MHD_destroy_response(r) }
        for (name, value) in headers { MHD_add_response_header(r, name, value) }
        return MHD_queue_response(connection, UInt32(status), r)
    }

    static func clientAddress(_ connection: OpaquePointer) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            wrpc_mhd_client_address(connection, buffer.baseAddress, buffer.count)
            return String(cString: buffer.baseAddress!)
        }
    }

    private func values(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> [(String, String)] {
        let box = Unmanaged.passRetained(ValueBox())
        defer { box.release() }
        MHD_get_connection_values(connection, kind, MHDCallbacks.collect, box.toOpaque())
        return box.takeUnretainedValue().values
    }
}

public enum HTTPServerError: Error, CustomStringConvertible {
    case cannotStart(String)
    public var description: String {
        switch self { case .cannotStart(let m): return m }
    }
}
