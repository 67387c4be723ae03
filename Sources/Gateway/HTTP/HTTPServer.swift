import CMicroHTTPD
import Foundation
import Synchronization
import WRPCTransport

public struct HTTPRequest: Sendable {
    public let method: String
    /// The path as libmicrohttpd hands it over: percent-decoded.
    public let path: String
    /// Header names in lower case.
    public let headers: [(String, String)]
    public let query: [(String, String)]
    /// The whole body, for requests whose body is buffered.
    public let body: [UInt8]
    /// The body as it arrives, for requests whose body is streamed.
    public let bodyStream: BodyReader?

    public func header(_ name: String) -> String? {
        headers.first { $0.0 == name }?.1
    }

    public func queryValue(_ name: String) -> String? {
        query.first { $0.0 == name }?.1
    }
}

/// A streamed request body, piece by piece as the client sends it.
public struct BodyReader: Sendable {
    let flow: Flow

    /// The next piece; nil at the end of the body.
    public func next() async throws -> [UInt8]? { try await flow.nextBodyPiece() }

    /// Stop reading: the rest is drained and dropped.
    public func discard() { flow.discardBody() }
}

/// Where a streamed response body goes, chunk by chunk.
public struct ResponseWriter: Sendable {
    let flow: Flow

    /// Waits while the client is slow to take what was written.
    public func write(_ bytes: [UInt8]) async throws { try await flow.write(bytes) }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// For a streamed body: writes it, returning true for a clean end, false
    /// to cut the transfer short so the client sees it was truncated.
    public var stream: (@Sendable (ResponseWriter) async -> Bool)?

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = [],
                stream: (@Sendable (ResponseWriter) async -> Bool)? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.stream = stream
    }
}

/// Limits the HTTP server enforces before a request reaches the gateway.
public struct HTTPLimits: Sendable {
    public var maxBodyBytes = 16 << 20
    /// Request line and headers together (libmicrohttpd's per-connection memory).
    public var maxHeaderBytes = 32 << 10
    public var maxHeaderCount = 100
    public var maxConnections = 1024
    /// A connection idle this long is closed (slow clients included).
    public var idleTimeoutSeconds = 30
    /// One epoll thread is the most efficient per CPU, and on two cores a pool
    /// of two measured slower half the time (see README, Benchmarks).
    public var threads = 1

    public init() {}
}

/// Early refusals the server answers itself, before any handler runs.
public enum HTTPRejection: Sendable {
    case bodyTooLarge(limit: Int)
    case tooManyHeaders(limit: Int)
}

/// libmicrohttpd, wrapped: requests are handed to an async Swift handler
/// while their connection is suspended, and resumed with the response.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse
    public typealias Rejecter = @Sendable (HTTPRejection, HTTPRequest) -> HTTPResponse

    /// Whether a request's body is streamed to the handler as it arrives
    /// (decided from the request line and headers) rather than buffered.
    public typealias BodyPolicy = @Sendable (_ method: String, _ path: String, _ headers: [(String, String)]) -> Bool

    let handler: Handler
    let rejecter: Rejecter
    let bodyPolicy: BodyPolicy
    let limits: HTTPLimits
    private let daemon = Mutex<ConnectionHandle?>(nil)
    private let inFlight = Atomic<Int>(0)
    private let boundPort = Atomic<Int>(0)

    /// The bound port (useful after asking for port 0).
    public var port: Int { boundPort.load(ordering: .relaxed) }

    public init(limits: HTTPLimits, bodyPolicy: @escaping BodyPolicy = { _, _, _ in false },
                handler: @escaping Handler, rejecter: @escaping Rejecter) {
        self.limits = limits
        self.bodyPolicy = bodyPolicy
        self.handler = handler
        self.rejecter = rejecter
    }

    /// Binds `host:port` (port 0 picks a free one) and starts serving.
    public func start(host: String, port: Int) throws {
        let name = host == "localhost" ? "127.0.0.1" : host
        guard let address = try? SocketAddress.tcp(host: name, port: port, numericOnly: true).first else {
            throw HTTPServerError.cannotStart("listen address `\(host)` must be an IPv4 or IPv6 address")
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        let started = address.withSockAddr { sockaddr, _ -> OpaquePointer? in
            wrpc_mhd_start(sockaddr, address.family == AF_INET6 ? 1 : 0,
                           UInt32(max(1, limits.threads)), UInt32(limits.maxConnections),
                           UInt32(limits.idleTimeoutSeconds), limits.maxHeaderBytes,
                           Callbacks.access, me, Callbacks.completed, me)
        }
        guard let started else {
            throw HTTPServerError.cannotStart("cannot listen on \(host):\(port) (address in use or not permitted)")
        }
        daemon.withLock { $0 = ConnectionHandle(started) }
        boundPort.store(Int(wrpc_mhd_port(started)), ordering: .relaxed)
    }

    /// Stops accepting, lets requests in flight finish for up to `grace`, then stops.
    public func shutdown(grace: Duration) async {
        guard let d = daemon.withLock({ $0 }) else { return }
        let listener = MHD_quiesce_daemon(d.pointer)
        if listener >= 0 { close(listener) }
        let deadline = ContinuousClock.now + grace
        while inFlight.load(ordering: .relaxed) > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        stop()
    }

    public func stop() {
        let d = daemon.withLock { d -> ConnectionHandle? in
            defer { d = nil }
            return d
        }
        if let d { MHD_stop_daemon(d.pointer) }
    }

    public var requestsInFlight: Int { inFlight.load(ordering: .relaxed) }

    // MARK: - Per request

    /// A request's state across libmicrohttpd's calls for it. Those calls are
    /// serialised per connection; what crosses threads goes through `flow`.
    final class Context: @unchecked Sendable {
        let method: String
        let path: String
        let headers: [(String, String)]
        let query: [(String, String)]
        let flow: Flow
        var streaming = false
        var body: [UInt8] = []
        var tooLarge = false
        var bodyEnded = false
        var dispatched = false
        var queued = false
        var task: Task<Void, Never>?

        init(method: String, path: String, headers: [(String, String)], query: [(String, String)], flow: Flow) {
            self.method = method
            self.path = path
            self.headers = headers
            self.query = query
            self.flow = flow
        }

        var request: HTTPRequest {
            HTTPRequest(method: method, path: path, headers: headers, query: query, body: body,
                        bodyStream: streaming ? BodyReader(flow: flow) : nil)
        }
    }

    fileprivate func access(_ connection: OpaquePointer, _ url: String, _ method: String,
                            _ uploadData: UnsafePointer<CChar>?, _ uploadSize: UnsafeMutablePointer<Int>,
                            _ reqCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        guard let existing = reqCls.pointee else {
            // First call: headers only.
            let headers = values(connection, .HEADER_KIND, lowercase: true)
            let context = Context(method: method, path: url, headers: headers,
                                  query: values(connection, .GET_ARGUMENT_KIND, lowercase: false),
                                  flow: Flow(connection: connection))
            reqCls.pointee = Unmanaged.passRetained(context).toOpaque()
            inFlight.add(1, ordering: .relaxed)
            if headers.count > limits.maxHeaderCount {
                return queue(connection, context, rejecter(.tooManyHeaders(limit: limits.maxHeaderCount), context.request))
            }
            context.streaming = bodyPolicy(method, url, headers)
            if context.streaming {
                // The handler starts now and reads the body as it arrives.
                dispatch(context, connection)
                return .YES
            }
            if let length = headers.first(where: { $0.0 == "content-length" }).flatMap({ Int($0.1) }),
               length > limits.maxBodyBytes {
                // Refused before reading the body.
                return queue(connection, context, rejecter(.bodyTooLarge(limit: limits.maxBodyBytes), context.request))
            }
            return .YES
        }
        let context = Unmanaged<Context>.fromOpaque(existing).takeUnretainedValue()
        if uploadSize.pointee > 0 {
            let n = uploadSize.pointee
            let piece = uploadData.map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) }
            if context.streaming {
                // Not taken means the reader is behind: the connection is now
                // suspended, and libmicrohttpd offers the same bytes again later.
                if piece.map({ context.flow.offer(UnsafeBufferPointer(start: $0, count: n)) }) ?? true {
                    uploadSize.pointee = 0
                }
                return .YES
            }
            if !context.tooLarge {
                if context.body.count + n > limits.maxBodyBytes {
                    context.tooLarge = true
                    context.body = []
                } else if let piece {
                    context.body.append(contentsOf: UnsafeBufferPointer(start: piece, count: n))
                }
            }
            uploadSize.pointee = 0
            return .YES
        }
        if context.queued { return .YES }
        if !context.bodyEnded {
            context.bodyEnded = true
            if context.streaming { context.flow.endBody() }
        }
        if context.tooLarge {
            return queue(connection, context, rejecter(.bodyTooLarge(limit: limits.maxBodyBytes), context.request))
        }
        if !context.dispatched { dispatch(context, connection) }
        guard let response = context.flow.responseOrPause() else { return .YES }
        return queue(connection, context, response)
    }

    /// Runs the handler in a task; its response reaches libmicrohttpd through the flow.
    private func dispatch(_ context: Context, _ connection: OpaquePointer) {
        context.dispatched = true
        let request = context.request
        context.body = []
        let flow = context.flow
        // A suspended connection is not watched by libmicrohttpd: while a
        // buffered request waits for its answer, we watch the socket, so that
        // a client going away cancels its backend call. (A streamed body keeps
        // the connection active, and libmicrohttpd notices a hang-up itself.)
        let fd = context.streaming ? -1 : wrpc_mhd_connection_fd(connection)
        let handler = self.handler
        context.task = Task {
            let work = Task { await handler(request) }
            let watcher: Task<Void, Never>? = fd < 0 ? nil : Task {
                if (try? await PeerWatch.closed(fd: fd)) == true { work.cancel() }
            }
            let response = await withTaskCancellationHandler {
                await work.value
            } onCancel: {
                work.cancel()
            }
            if let watcher {
                watcher.cancel()
                PeerWatch.release(fd: fd)
                _ = await watcher.value
            }
            flow.setResponse(response)
            if let produce = response.stream {
                let clean = await produce(ResponseWriter(flow: flow))
                flow.finish(failed: !clean)
            }
        }
    }

    fileprivate func completed(_ reqCls: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) {
        guard let raw = reqCls?.pointee else { return }
        reqCls?.pointee = nil
        let context = Unmanaged<Context>.fromOpaque(raw).takeRetainedValue()
        context.flow.close()
        context.task?.cancel()
        inFlight.subtract(1, ordering: .relaxed)
    }

    private func queue(_ connection: OpaquePointer, _ context: Context, _ response: HTTPResponse) -> MHD_Result {
        context.queued = true
        let r: OpaquePointer?
        if response.stream != nil {
            r = wrpc_mhd_callback_response(64 << 10, Callbacks.reader, Unmanaged.passRetained(context.flow).toOpaque(), Callbacks.release)
        } else {
            r = response.body.withUnsafeBytes { wrpc_mhd_buffer_response($0.count, $0.baseAddress) }
        }
        guard let r else { return .NO }
        defer { MHD_destroy_response(r) }
        for (name, value) in response.headers { MHD_add_response_header(r, name, value) }
        return MHD_queue_response(connection, UInt32(response.status), r)
    }

    private func values(_ connection: OpaquePointer, _ kind: MHD_ValueKind, lowercase: Bool) -> [(String, String)] {
        let box = Unmanaged.passRetained(ValueBox(lowercase: lowercase))
        defer { box.release() }
        MHD_get_connection_values(connection, kind, Callbacks.collect, box.toOpaque())
        return box.takeUnretainedValue().values
    }

    final class ValueBox {
        let lowercase: Bool
        var values: [(String, String)] = []
        init(lowercase: Bool) { self.lowercase = lowercase }
    }
}

/// A libmicrohttpd daemon or connection pointer carried across threads:
/// libmicrohttpd allows `MHD_resume_connection` and `MHD_stop_daemon` from any thread.
struct ConnectionHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

public enum HTTPServerError: Error, CustomStringConvertible {
    case cannotStart(String)
    public var description: String {
        switch self { case .cannotStart(let m): return m }
    }
}

/// C callbacks: they capture nothing and find the server through their context pointer.
private enum Callbacks {
    static let access: wrpc_mhd_access_handler = { cls, connection, url, method, _, uploadData, uploadSize, reqCls in
        let server = Unmanaged<HTTPServer>.fromOpaque(cls!).takeUnretainedValue()
        return server.access(connection!, String(cString: url!), String(cString: method!), uploadData, uploadSize!, reqCls!)
    }

    static let completed: wrpc_mhd_completed_handler = { cls, _, reqCls, _ in
        let server = Unmanaged<HTTPServer>.fromOpaque(cls!).takeUnretainedValue()
        server.completed(reqCls)
    }

    static let reader: wrpc_mhd_reader = { cls, _, buffer, max in
        let flow = Unmanaged<Flow>.fromOpaque(cls!).takeUnretainedValue()
        return flow.read(into: buffer!, max: max)
    }

    static let release: wrpc_mhd_free = { cls in
        Unmanaged<Flow>.fromOpaque(cls!).release()
    }

    static let collect: MHD_KeyValueIterator = { cls, _, key, value in
        let box = Unmanaged<HTTPServer.ValueBox>.fromOpaque(cls!).takeUnretainedValue()
        let k = String(cString: key!)
        box.values.append((box.lowercase ? k.lowercased() : k, value.map { String(cString: $0) } ?? ""))
        return .YES
    }
}
