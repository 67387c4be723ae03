import Foundation

/// Carries a call's response from the task that runs the call (and must
/// keep its connection open while a result streams) to the HTTP layer: the
/// head once, then body chunks with back-pressure.
final class Relay: @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `lock`.
    private let lock = NSLock()
    /// The response, or the error answered instead, once known.
    private var head: Result<HTTPResponse, GatewayError>?
    private var headWaiter: CheckedContinuation<Result<HTTPResponse, GatewayError>, Never>?
    private var chunks: [[UInt8]] = []
    private var bytes = 0
    private var ended = false
    private var clean = true
    private var gone = false
    private var chunkWaiter: CheckedContinuation<[UInt8]?, Never>?
    private var spaceWaiter: CheckedContinuation<Void, any Error>?
    private var abandonAction: (@Sendable () -> Void)?
    static let highWater = 1 << 20

    /// What to do when the client goes away (cancel the call).
    func onAbandon(_ action: @escaping @Sendable () -> Void) {
        lock.lock()
        let already = gone
        abandonAction = action
        lock.unlock()
        if already { action() }
    }


    /// Appends a last chunk without waiting for space (an error marker).
    func enqueueFinal(_ chunk: [UInt8]) {
        lock.lock()
        if let w = chunkWaiter {
            chunkWaiter = nil
            lock.unlock()
            w.resume(returning: chunk)
            return
        }
        chunks.append(chunk)
        bytes += chunk.count
        lock.unlock()
    }

    func respond(_ response: HTTPResponse) {
        _ = settle(.success(response))
    }

    /// Sets the head unless it is set already; true if this call set it.
    func settle(_ outcome: Result<HTTPResponse, GatewayError>) -> Bool {
        lock.lock()
        guard head == nil else { lock.unlock(); return false }
        head = outcome
        let w = headWaiter
        headWaiter = nil
        lock.unlock()
        w?.resume(returning: outcome)
        return true
    }

    func response() async -> Result<HTTPResponse, GatewayError> {
        await withCheckedContinuation { c in
            lock.lock()
            if let head {
                lock.unlock()
                c.resume(returning: head)
            } else {
                headWaiter = c
                lock.unlock()
            }
        }
    }

    /// Queues a chunk; waits while the client is behind; throws once it is gone.
    func send(_ chunk: [UInt8]) async throws {
        guard !chunk.isEmpty else { return }
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            lock.lock()
            if gone {
                lock.unlock()
                c.resume(throwing: CancellationError())
                return
            }
            if let w = chunkWaiter {
                chunkWaiter = nil
                lock.unlock()
                w.resume(returning: chunk)
                c.resume()
                return
            }
            chunks.append(chunk)
            bytes += chunk.count
            if bytes > Self.highWater {
                spaceWaiter = c
                lock.unlock()
            } else {
                lock.unlock()
                c.resume()
            }
        }
    }

    func finish(clean: Bool) {
        lock.lock()
        ended = true
        self.clean = clean
        let w = chunkWaiter
        chunkWaiter = nil
        lock.unlock()
        w?.resume(returning: nil)
    }

    /// The next chunk for the client; nil at the end.
    func next() async -> [UInt8]? {
        await withCheckedContinuation { c in
            lock.lock()
            if !chunks.isEmpty {
                let chunk = chunks.removeFirst()
                bytes -= chunk.count
                var w: CheckedContinuation<Void, any Error>?
                if bytes <= Self.highWater / 2 {
                    w = spaceWaiter
                    spaceWaiter = nil
                }
                lock.unlock()
                w?.resume()
                c.resume(returning: chunk)
            } else if ended {
                lock.unlock()
                c.resume(returning: nil)
            } else {
                chunkWaiter = c
                lock.unlock()
            }
        }
    }

    var endedCleanly: Bool {
        lock.lock()
        defer { lock.unlock() }
        return clean
    }

    /// The client went away: the producer's next send fails, and the call is cancelled.
    func abandon() {
        lock.lock()
        gone = true
        let w = spaceWaiter, c = chunkWaiter, action = abandonAction
        spaceWaiter = nil
        chunkWaiter = nil
        lock.unlock()
        w?.resume(throwing: CancellationError())
        c?.resume(returning: nil)
        action?()
    }

    /// A response whose body is whatever this relay carries.
    func streamedBody() -> @Sendable (ResponseWriter) async -> Bool {
        { writer in
            await withTaskCancellationHandler {
                while let chunk = await self.next() {
                    do {
                        try await writer.write(chunk)
                    } catch {
                        self.abandon()
                        return false
                    }
                }
                return self.endedCleanly
            } onCancel: {
                self.abandon()
            }
        }
    }
}
