import ComponentValues
import EventLoops
import Logging
import WIT

/// Serves wRPC functions written in Swift over any `ServerTransport`.
/// Functions are looked up by instance and wire name; a call to anything
/// else is logged and its connection closed at once (the upstream Go server
/// leaves such a caller hanging).
public struct WRPCServer: Sendable {
    public typealias Handler = @Sendable (ServerCall) async throws -> Void
    /// A handler that reads its own parameters off the channel (path `[]`).
    public typealias RawHandler = @Sendable (Invocation) async throws -> Void

    enum Route: Sendable {
        case typed(Function, Handler)
        case raw(RawHandler)
    }

    private var routes: [String: [String: Route]] = [:]
    public var logger: Logger
    /// How long to wait for a caller's first bytes, and for it to finish
    /// sending once the results are out.
    public var idleTimeout: Duration = .seconds(10)

    public init(logger: Logger = Logger(label: "wrpc-server")) {
        self.logger = logger
    }

    /// Registers `handler` for `function` of `instance` (the interface's
    /// qualified name, or "" for a function of a world).
    public mutating func handle(instance: String, function: Function, _ handler: @escaping Handler) {
        routes[instance, default: [:]][function.wireName] = .typed(function, handler)
    }

    /// Registers `handler` for the function `name` of `instance`; it decodes
    /// the parameters itself (for a few fixed records, read by their shape).
    public mutating func handleRaw(instance: String, name: String, _ handler: @escaping RawHandler) {
        routes[instance, default: [:]][name] = .raw(handler)
    }

    /// A handler that maps decoded parameters to a result, both as JSON.
    public mutating func handle(instance: String, function: Function,
                                _ body: @escaping @Sendable ([JSONValue]) async throws -> JSONValue?) {
        handle(instance: instance, function: function) { call in
            try await call.respond(try await body(call.params))
        }
    }

    public var instances: [String] { routes.keys.sorted() }

    /// Accepts connections on every loop of `group` until the task is
    /// cancelled or the listener closes; each connection is served on the
    /// loop that accepted it.
    public func serve(_ listener: any ServerTransport, on group: EventLoopGroup = .shared) async {
        await withDiscardingTaskGroup { loops in
            for loop in group.loops {
                loops.addTask(executorPreference: loop) { await self.acceptLoop(listener) }
            }
        }
    }

    private func acceptLoop(_ listener: any ServerTransport) async {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let stream: any ByteStream
                do {
                    stream = try await listener.accept()
                } catch {
                    // A closed listener is how serving ends; anything else is news.
                    if !Task.isCancelled && !(error is CancellationError), case SocketError.closed? = error as? SocketError {
                        return
                    } else if !Task.isCancelled && !(error is CancellationError) {
                        logger.error("accept failed on \(listener.address): \(error)")
                    }
                    return
                }
                group.addTask { await self.connection(stream) }
            }
        }
    }

    func connection(_ stream: any ByteStream) async {
        defer { stream.close() }
        let opening: (instance: String, name: String, rest: [UInt8])?
        do {
            opening = try await withDeadline(.now + idleTimeout, what: "reading the header") {
                var header = HeaderReader()
                var first = true
                while true {
                    let bytes = try await stream.read()
                    // Closed before sending anything: a connect probe (a
                    // gateway's readiness check or pool probe), not a fault.
                    if bytes.isEmpty && first { return nil }
                    if bytes.isEmpty { throw ProtocolError.malformed("connection closed before a complete header") }
                    first = false
                    if let h = try header.feed(bytes) { return h }
                }
            }
        } catch {
            logger.warning("rejected a connection: \(error)")
            return
        }
        guard let opening else {
            logger.debug("a connection closed without a call (a connect probe)")
            return
        }
        guard let route = routes[opening.instance]?[opening.name] else {
            logger.warning("no function `\(opening.name)` in instance `\(opening.instance)`; closing the connection")
            return
        }
        let describe = "\(opening.instance).\(opening.name)"
        let demux = Demux()
        let channel = Invocation(stream: stream, incoming: demux, describe: describe)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await pump(stream, into: demux, initial: opening.rest) }
            do {
                switch route {
                case .typed(let function, let handler):
                    let decoded = try await channel.readValues(types: function.params.map(\.type), shape: .array)
                    let params = try JSONValue(parsing: decoded.json)
                    try await handler(ServerCall(function: function, params: params, pending: decoded.pending, channel: channel))
                case .raw(let handler):
                    try await handler(channel)
                }
                try await channel.closeWrite()
                // Let the caller finish sending before closing, so our results
                // are not lost to a reset; but only for so long.
                group.addTask { try? await EventLoop.sleep(for: idleTimeout) }
                _ = await group.next()
            } catch {
                logger.warning("\(describe) failed: \(error)")
            }
            group.cancelAll()
        }
    }
}

/// One call as its handler sees it.
public struct ServerCall: Sendable {
    public let function: Function
    /// The parameters in order; a pending stream or future is `null` here
    /// and listed in `pending`.
    public let params: [JSONValue]
    public let pending: [PendingValue]
    public let channel: Invocation

    init(function: Function, params: JSONValue, pending: [PendingValue], channel: Invocation) {
        self.function = function
        if case .array(let items) = params { self.params = items } else { self.params = [] }
        self.pending = pending
        self.channel = channel
    }

    /// Sends the result, encoded by the function's WIT type.
    public func respond(_ result: JSONValue?) async throws {
        guard let type = function.result else {
            try await channel.send(path: [], data: [])
            return
        }
        guard let result else { throw ProtocolError.malformed("\(function.name) must return a value") }
        var bytes: [UInt8] = []
        try ValueEncoder.encode(json: result.bytes, as: type, into: &bytes)
        try await channel.send(path: [], data: bytes)
    }

    /// The pending parameter at `path`, if the caller sent one there.
    public func pendingParameter(_ path: [UInt32]) -> PendingValue? {
        pending.first { $0.path == path }
    }
}
