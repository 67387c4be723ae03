import Synchronization

/// A transport inside one process, for unit tests: `connect()` hands the
/// other end of an in-memory duplex pipe to the paired listener.
public final class InProcessListener: ServerTransport {
    private struct State {
        var queue: [any ByteStream] = []
        var waiter: CheckedContinuation<any ByteStream, any Error>?
        var closed = false
    }

    private let state = Mutex(State())
    public let address = "in-process"

    public init() {}

    public var client: InProcessTransport { InProcessTransport(listener: self) }

    func enqueue(_ stream: any ByteStream) throws {
        let waiter: CheckedContinuation<any ByteStream, any Error>? = try state.withLock { s in
            if s.closed { throw ConnectError.unavailable("in-process listener is closed") }
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.queue.append(stream)
            return nil
        }
        waiter?.resume(returning: stream)
    }

    public func accept() async throws -> any ByteStream {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<any ByteStream, any Error>) in
            let ready: Result<any ByteStream, any Error>? = state.withLock { s in
                if !s.queue.isEmpty { return .success(s.queue.removeFirst()) }
                if s.closed { return .failure(ConnectError.unavailable("closed")) }
                s.waiter = c
                return nil
            }
            if let ready { c.resume(with: ready) }
        }
    }

    public func close() {
        let w = state.withLock { s in
            s.closed = true
            defer { s.waiter = nil }
            return s.waiter
        }
        w?.resume(throwing: ConnectError.unavailable("closed"))
    }
}

public struct InProcessTransport: ClientTransport {
    let listener: InProcessListener
    public var target: String { "in-process" }

    public func connect() async throws -> any ByteStream {
        let a = Pipe(), b = Pipe()
        try listener.enqueue(PipeStream(incoming: b, outgoing: a))
        return PipeStream(incoming: a, outgoing: b)
    }
}

/// One direction of an in-memory connection.
final class Pipe: Sendable {
    private struct State {
        var chunks: [[UInt8]] = []
        var ended = false
        var broken = false
        var waiter: CheckedContinuation<[UInt8], any Error>?
    }

    private let state = Mutex(State())

    func write(_ bytes: [UInt8]) throws {
        let w: CheckedContinuation<[UInt8], any Error>? = try state.withLock { s in
            if s.broken || s.ended { throw SocketError.closed }
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.chunks.append(bytes)
            return nil
        }
        w?.resume(returning: bytes)
    }

    func end(broken: Bool) {
        let w = state.withLock { s in
            s.ended = true
            s.broken = s.broken || broken
            defer { s.waiter = nil }
            return s.waiter
        }
        if broken { w?.resume(throwing: SocketError.closed) } else { w?.resume(returning: []) }
    }

    func read() async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<[UInt8], any Error>) in
            let ready: Result<[UInt8], any Error>? = state.withLock { s in
                if !s.chunks.isEmpty { return .success(s.chunks.removeFirst()) }
                if s.broken { return .failure(SocketError.closed) }
                if s.ended { return .success([]) }
                s.waiter = c
                return nil
            }
            if let ready { c.resume(with: ready) }
        }
    }
}

struct PipeStream: ByteStream {
    let incoming: Pipe
    let outgoing: Pipe

    func read() async throws -> [UInt8] { try await incoming.read() }
    func write(_ bytes: [UInt8]) async throws {
        if !bytes.isEmpty { try outgoing.write(bytes) }
    }
    func closeWrite() async throws { outgoing.end(broken: false) }
    func close() {
        outgoing.end(broken: false)
        incoming.end(broken: true)
    }
}
