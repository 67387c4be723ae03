import CMicroHTTPD
import EventLoops
import Synchronization
import WRPCTransport

#if canImport(Glibc)
import Glibc
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
    private let daemons = Mutex<[Daemon]>([])
    private let inFlight = Atomic<Int>(0)
    private let boundPort = Atomic<Int>(0)

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
        // libmicrohttpd's limit is per daemon; split the total over them.
        let perDaemon = max(1, (limits.maxConnections + group.loops.count - 1) / group.loops.count)
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
        await stop()
    }

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

    func access(_ daemon: Daemon, _ connection: OpaquePointer, _ url: String, _ method: String,
                _ uploadData: UnsafePointer<CChar>?, _ uploadSize: UnsafeMutablePointer<Int>,
                _ reqCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        guard let existing = reqCls.pointee else {
            // First call: headers only.
            let headers = values(connection, .HEADER_KIND, lowercase: true)
            let exchange = Exchange(daemon: daemon, connection: connection, method: method, path: url, headers: headers,
                                    query: values(connection, .GET_ARGUMENT_KIND, lowercase: false),
                                    remoteAddress: Self.clientAddress(connection))
            exchange.target = daemon.takeTarget(connection)
            reqCls.pointee = Unmanaged.passRetained(exchange).toOpaque()
            daemon.opened(exchange)
            inFlight.add(1, ordering: .relaxed)
            if headers.count > limits.maxHeaderCount {
                return queue(connection, exchange, .whole(responder.reject(.tooManyHeaders(limit: limits.maxHeaderCount), exchange.request)))
            }
            if responder.forwardsRaw(method: method, path: url, target: exchange.target) {
                exchange.streaming = true
                exchange.rawHeaders = rawValues(connection, .HEADER_KIND)
                exchange.trailerSlot = RequestTrailers()
            } else {
                exchange.streaming = responder.streamsBody(method: method, path: url, headers: headers)
            }
            if exchange.streaming {
                // The responder starts now and reads the body as it arrives.
                exchange.dispatch(responder)
                return .YES
            }
            if let length = headers.first(where: { $0.0 == "content-length" }).flatMap({ Int($0.1) }),
               length > limits.maxBodyBytes {
                // Refused before reading the body.
                return queue(connection, exchange, .whole(responder.reject(.bodyTooLarge(limit: limits.maxBodyBytes), exchange.request)))
            }
            return .YES
        }
        let exchange = Unmanaged<Exchange>.fromOpaque(existing).takeUnretainedValue()
        if uploadSize.pointee > 0 {
            let n = uploadSize.pointee
            guard let uploadData else {
                uploadSize.pointee = 0
                return .YES
            }
            let piece = UnsafeRawBufferPointer(start: uploadData, count: n)
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

    private static func clientAddress(_ connection: OpaquePointer) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            wrpc_mhd_client_address(connection, buffer.baseAddress, buffer.count)
            return String(cString: buffer.baseAddress!)
        }
    }

    private func rawValues(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> [(String, [UInt8])] {
        let box = Unmanaged.passRetained(RawValueBox())
        defer { box.release() }
        MHD_get_connection_values(connection, kind, MHDCallbacks.collectRaw, box.toOpaque())
        return box.takeUnretainedValue().values
    }

    private func values(_ connection: OpaquePointer, _ kind: MHD_ValueKind, lowercase: Bool) -> [(String, String)] {
        let box = Unmanaged.passRetained(ValueBox(lowercase: lowercase))
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
