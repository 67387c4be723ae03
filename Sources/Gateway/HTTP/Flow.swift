import CMicroHTTPD
import Foundation

/// The bytes of one request and its response crossing between
/// libmicrohttpd's thread and Swift tasks, with back-pressure both ways:
/// when a side cannot keep up, the connection is suspended, and resumed
/// when it can. One lock guards everything, including the suspend flag, so
/// a resume can never be lost between deciding to suspend and suspending.
final class Flow: @unchecked Sendable {
    // @unchecked: every mutable field below is read and written under `lock`.
    private let lock = NSLock()
    private let connection: ConnectionHandle
    private var suspended = false
    private var gone = false

    private var incoming: [[UInt8]] = []
    private var incomingBytes = 0
    private var incomingEnded = false
    private var discarding = false
    private var incomingWaiter: CheckedContinuation<[UInt8]?, any Error>?

    private var response: HTTPResponse?

    private var outgoing: [UInt8] = []
    private var outgoingHead = 0
    private var outgoingEnded = false
    private var outgoingFailed = false
    private var spaceWaiter: CheckedContinuation<Void, any Error>?

    /// Held per direction before the other side must wait.
    static let highWater = 1 << 20

    init(connection: OpaquePointer) {
        self.connection = ConnectionHandle(connection)
    }

    /// With the lock held: resume libmicrohttpd if it is waiting for us.
    private func wake() {
        if suspended {
            suspended = false
            MHD_resume_connection(connection.pointer)
        }
    }

    /// With the lock held, on libmicrohttpd's thread, inside its callback.
    private func pause() {
        if !suspended {
            suspended = true
            MHD_suspend_connection(connection.pointer)
        }
    }

    // MARK: - Request body (libmicrohttpd → task)

    /// On libmicrohttpd's thread: takes a piece of the body, or suspends
    /// the connection and returns false when the reader is behind (the
    /// piece is offered again after resumption).
    func offer(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        lock.lock()
        if discarding || gone {
            lock.unlock()
            return true
        }
        if let w = incomingWaiter {
            incomingWaiter = nil
            lock.unlock()
            w.resume(returning: Array(bytes))
            return true
        }
        if incomingBytes >= Self.highWater {
            pause()
            lock.unlock()
            return false
        }
        incoming.append(Array(bytes))
        incomingBytes += bytes.count
        lock.unlock()
        return true
    }

    func endBody() {
        lock.lock()
        incomingEnded = true
        let w = incomingWaiter
        incomingWaiter = nil
        lock.unlock()
        w?.resume(returning: nil)
    }

    /// The next piece of the request body; nil at its end.
    func nextBodyPiece() async throws -> [UInt8]? {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<[UInt8]?, any Error>) in
            lock.lock()
            if gone {
                lock.unlock()
                c.resume(throwing: CancellationError())
                return
            }
            if !incoming.isEmpty {
                // Everything queued at once: fewer, larger frames downstream.
                var piece = incoming[0]
                if incoming.count > 1 {
                    // Appending whole arrays copies memory; `joined()` would go byte by byte.
                    piece.reserveCapacity(incomingBytes)
                    for more in incoming.dropFirst() { piece += more }
                }
                incoming.removeAll(keepingCapacity: true)
                incomingBytes = 0
                wake()
                lock.unlock()
                c.resume(returning: piece)
                return
            }
            if incomingEnded || discarding {
                lock.unlock()
                c.resume(returning: nil)
                return
            }
            incomingWaiter = c
            wake()
            lock.unlock()
        }
    }

    /// The reader gives up on the body: the rest is read and dropped.
    func discardBody() {
        lock.lock()
        discarding = true
        incoming = []
        incomingBytes = 0
        let w = incomingWaiter
        incomingWaiter = nil
        wake()
        lock.unlock()
        w?.resume(returning: nil)
    }

    // MARK: - Response

    func setResponse(_ r: HTTPResponse) {
        lock.lock()
        response = r
        wake()
        lock.unlock()
    }

    /// On libmicrohttpd's thread: the response if ready; else suspends.
    func responseOrPause() -> HTTPResponse? {
        lock.lock()
        defer { lock.unlock() }
        if let r = response { return r }
        pause()
        return nil
    }

    // MARK: - Streamed response body (task → libmicrohttpd)

    /// Queues bytes for the client; waits while too much is queued.
    func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            lock.lock()
            if gone {
                lock.unlock()
                c.resume(throwing: CancellationError())
                return
            }
            if outgoingHead > 0 && outgoingHead == outgoing.count {
                outgoing.removeAll(keepingCapacity: true)
                outgoingHead = 0
            }
            outgoing.append(contentsOf: bytes)
            wake()
            if outgoing.count - outgoingHead > Self.highWater {
                spaceWaiter = c
                lock.unlock()
            } else {
                lock.unlock()
                c.resume()
            }
        }
    }

    /// Ends the body cleanly, or (`failed`) so the client sees a truncated transfer.
    func finish(failed: Bool = false) {
        lock.lock()
        outgoingEnded = true
        outgoingFailed = failed
        wake()
        lock.unlock()
    }

    /// libmicrohttpd's content reader: copies what is queued, or suspends.
    func read(into buffer: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        lock.lock()
        let available = outgoing.count - outgoingHead
        if available > 0 {
            let n = min(available, max)
            outgoing.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + outgoingHead, byteCount: n)
            }
            outgoingHead += n
            var w: CheckedContinuation<Void, any Error>?
            if outgoing.count - outgoingHead <= Self.highWater / 2 {
                w = spaceWaiter
                spaceWaiter = nil
            }
            lock.unlock()
            w?.resume()
            return n
        }
        if outgoingEnded {
            let failed = outgoingFailed
            lock.unlock()
            return failed ? wrpc_mhd_end_with_error() : wrpc_mhd_end_of_stream()
        }
        pause()
        lock.unlock()
        return 0
    }

    /// The client went away or the request ended: fail whoever still waits.
    func close() {
        lock.lock()
        gone = true
        let a = incomingWaiter, b = spaceWaiter
        incomingWaiter = nil
        spaceWaiter = nil
        lock.unlock()
        a?.resume(throwing: CancellationError())
        b?.resume(throwing: CancellationError())
    }
}
