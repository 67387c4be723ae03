import DequeModule
import EventLoops
import Synchronization

/// A transport inside one process, for unit tests: `connect()` hands the
/// other end of an in-memory duplex pipe to the paired listener.
public final class InProcessListener: ServerTransport {
    private struct State {
        var queue = Deque<any ByteStream>()
        var waiters = Deque<UnsafeContinuation<any ByteStream, any Error>>()
        var closed = false
    }

    private let state = Mutex(State())
    public let address = "in-process"

    public init() {}

    public var client: InProcessTransport { InProcessTransport(listener: self) }

    func enqueue(_ stream: any ByteStream) throws {
        let waiter: UnsafeContinuation<any ByteStream, any Error>? = try state.withLock { s in
            if s.closed { throw ConnectError.unavailable("in-process listener is closed") }
            if let w = s.waiters.popFirst() { return w }
            s.queue.append(stream)
            return nil
        }
        waiter?.resume(returning: stream)
    }

    /// Several tasks may wait at once (one per event loop); each connection goes to one.
    public func accept() async throws -> any ByteStream {
        try await withUnsafeThrowingContinuation { (c: UnsafeContinuation<any ByteStream, any Error>) in
            let ready: Result<any ByteStream, any Error>? = state.withLock { s in
                if let first = s.queue.popFirst() { return .success(first) }
                if s.closed { return .failure(SocketError.closed) }
                s.waiters.append(c)
                return nil
            }
            if let ready { c.resume(with: ready) }
        }
    }

    public func close() {
        let waiters = state.withLock { s in
            s.closed = true
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for w in waiters { w.resume(throwing: SocketError.closed) }
    }
}

public struct InProcessTransport: ClientTransport {
    let listener: InProcessListener
    public var target: String { "in-process" }

    public func connect() async throws -> any ByteStream {
        let a = ByteQueue(), b = ByteQueue()
        try listener.enqueue(PipeStream(incoming: b, outgoing: a))
        return PipeStream(incoming: a, outgoing: b)
    }
}

/// One end of an in-memory connection: a byte queue each way.
struct PipeStream: ByteStream {
    let incoming: ByteQueue
    let outgoing: ByteQueue

    func read() async throws -> [UInt8] {
        do {
            return try await incoming.next() ?? []
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw SocketError.closed
        }
    }

    func write(_ bytes: [UInt8]) async throws {
        do {
            try await outgoing.write(bytes)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw SocketError.closed
        }
    }

    func closeWrite() async throws { outgoing.finish() }

    func close() {
        outgoing.finish()
        incoming.cancel(SocketError.closed)
    }
}
