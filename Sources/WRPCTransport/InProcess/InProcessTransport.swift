import DequeModule
import EventLoops
import Locking

/// A transport inside one process, for unit tests: `connect()` hands the
/// other end of an in-memory duplex pipe to the paired listener.
public final class InProcessListener: ServerTransport {
    private struct State {
        var queue = Deque<any ByteStream>()
        var waiters: [(id: UInt64, continuation: UnsafeContinuation<any ByteStream, any Error>)] = []
        var nextID: UInt64 = 0
        var closed = false
    }

    private let state = Locked(State())
    public let address = "in-process"

    public init() {}

    public var client: InProcessTransport { InProcessTransport(listener: self) }

    func enqueue(_ stream: any ByteStream) throws {
        let waiter: UnsafeContinuation<any ByteStream, any Error>? = try state.withLock { s in
            if s.closed { throw ConnectError.unavailable("in-process listener is closed") }
            if !s.waiters.isEmpty { return s.waiters.removeFirst().continuation }
            s.queue.append(stream)
            return nil
        }
        waiter?.resume(returning: stream)
    }

    /// Several tasks may wait at once (one per event loop); each connection
    /// goes to one. A waiting task that is cancelled stops waiting.
    public func accept() async throws -> any ByteStream {
        let id = state.withLock { s in
            defer { s.nextID += 1 }
            return s.nextID
        }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (c: UnsafeContinuation<any ByteStream, any Error>) in
                let ready: Result<any ByteStream, any Error>? = state.withLock { s in
                    if let first = s.queue.popFirst() { return .success(first) }
                    if s.closed { return .failure(SocketError.closed) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    s.waiters.append((id, c))
                    return nil
                }
                if let ready { c.resume(with: ready) }
            }
        } onCancel: {
            let c = state.withLock { s -> UnsafeContinuation<any ByteStream, any Error>? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: i).continuation
            }
            c?.resume(throwing: CancellationError())
        }
    }

    public func close() {
        let waiters = state.withLock { s in
            s.closed = true
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for w in waiters { w.continuation.resume(throwing: SocketError.closed) }
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
