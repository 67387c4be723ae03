import Synchronization

/// Incoming bytes of one invocation, sorted by path. The connection's reader
/// delivers; consumers of each path take. Bytes for a path nobody has asked
/// for yet are held (results arrive before their consumers know the paths),
/// up to a bound: beyond it the reader waits, which stops reading the socket
/// and so pushes back on the peer.
final class Demux: Sendable {
    private struct PathState {
        var chunks: [[UInt8]] = []
        var head = 0
        var closed = false
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
    }

    private struct State {
        var paths: [[UInt32]: PathState] = [:]
        var ended = false
        var failure: (any Error)?
        var buffered = 0
        var spaceWaiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    let highWater: Int

    init(highWater: Int = 8 << 20) {
        self.highWater = highWater
    }

    /// Called by the reader. Suspends while too much is held.
    func deliver(path: [UInt32], bytes: [UInt8]) async {
        let (waiter, mustWait): (CheckedContinuation<[UInt8]?, any Error>?, Bool) = state.withLock { s in
            var p = s.paths[path] ?? PathState()
            if let w = p.waiter {
                p.waiter = nil
                s.paths[path] = p
                return (w, false)
            }
            p.chunks.append(bytes)
            s.paths[path] = p
            s.buffered += bytes.count
            return (nil, s.buffered > highWater)
        }
        if let waiter {
            waiter.resume(returning: bytes)
            return
        }
        if mustWait {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.buffered <= highWater || s.ended { return true }
                    s.spaceWaiter = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        }
    }

    func close(path: [UInt32]) {
        let waiter: CheckedContinuation<[UInt8]?, any Error>? = state.withLock { s in
            var p = s.paths[path] ?? PathState()
            p.closed = true
            let w = p.chunks.count == p.head ? p.waiter : nil
            if w != nil { p.waiter = nil }
            s.paths[path] = p
            return w
        }
        waiter?.resume(returning: nil)
    }

    /// The connection ended (cleanly with nil, or with an error): every
    /// consumer gets what is held, then the end.
    func finish(_ error: (any Error)?) {
        let (waiters, space): ([CheckedContinuation<[UInt8]?, any Error>], CheckedContinuation<Void, Never>?) = state.withLock { s in
            guard !s.ended else { return ([], nil) }
            s.ended = true
            s.failure = error
            var out: [CheckedContinuation<[UInt8]?, any Error>] = []
            for (k, var p) in s.paths {
                if let w = p.waiter {
                    out.append(w)
                    p.waiter = nil
                    s.paths[k] = p
                }
            }
            let space = s.spaceWaiter
            s.spaceWaiter = nil
            return (out, space)
        }
        for w in waiters {
            if let error { w.resume(throwing: error) } else { w.resume(returning: nil) }
        }
        space?.resume()
    }

    /// The next bytes on `path`; nil once it is closed or the connection ended.
    private enum Outcome { case bytes([UInt8]?), failure(any Error), wait }

    func next(_ path: [UInt32]) async throws -> [UInt8]? {
        let immediate: Outcome = take(path)
        switch immediate {
        case .bytes(let b): return b
        case .failure(let e): throw e
        case .wait: break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<[UInt8]?, any Error>) in
                let outcome: Outcome = state.withLock { s in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    var p = s.paths[path] ?? PathState()
                    if p.head < p.chunks.count || p.closed || s.ended {
                        return .wait  // something arrived meanwhile: take it below
                    }
                    p.waiter = c
                    s.paths[path] = p
                    return .bytes(nil)
                }
                switch outcome {
                case .failure(let e): c.resume(throwing: e)
                case .wait:
                    switch take(path) {
                    case .bytes(let b): c.resume(returning: b)
                    case .failure(let e): c.resume(throwing: e)
                    case .wait: c.resume(returning: nil)
                    }
                case .bytes: break
                }
            }
        } onCancel: {
            let w: CheckedContinuation<[UInt8]?, any Error>? = state.withLock { s in
                let w = s.paths[path]?.waiter
                s.paths[path]?.waiter = nil
                return w
            }
            w?.resume(throwing: CancellationError())
        }
    }

    /// What `path` has now: bytes, its end, a failure, or nothing yet (`.wait`).
    private func take(_ path: [UInt32]) -> Outcome {
            let (outcome, space): (Outcome, CheckedContinuation<Void, Never>?) = state.withLock { s in
                var p = s.paths[path] ?? PathState()
                if p.head < p.chunks.count {
                    let b = p.chunks[p.head]
                    p.chunks[p.head] = []
                    p.head += 1
                    if p.head == p.chunks.count {
                        p.chunks.removeAll(keepingCapacity: true)
                        p.head = 0
                    }
                    s.paths[path] = p
                    s.buffered -= b.count
                    var space: CheckedContinuation<Void, Never>?
                    if s.buffered <= highWater / 2, let w = s.spaceWaiter {
                        space = w
                        s.spaceWaiter = nil
                    }
                    return (.bytes(b), space)
                }
                if p.closed { return (.bytes(nil), nil) }
                if s.ended {
                    if let f = s.failure { return (.failure(f), nil) }
                    return (.bytes(nil), nil)
                }
                return (.wait, nil)
            }
            space?.resume()
            return outcome
    }
}

/// Reads `stream` to its end, sorting frames into `demux` by path; `initial`
/// are bytes already read past a header.
func pump(_ stream: any ByteStream, into demux: Demux, initial: [UInt8] = []) async {
    var frames = FrameReader()
    do {
        var bytes = initial
        while true {
            if !bytes.isEmpty {
                for event in try frames.feed(bytes) {
                    switch event {
                    case .data(let path, let data): await demux.deliver(path: path, bytes: data)
                    case .closed(let path): demux.close(path: path)
                    }
                }
            }
            bytes = try await stream.read()
            if bytes.isEmpty {
                demux.finish(nil)
                return
            }
        }
    } catch is CancellationError {
        demux.finish(CancellationError())
    } catch {
        demux.finish(CallError.protocolError("reading from the peer: \(error)"))
    }
}
