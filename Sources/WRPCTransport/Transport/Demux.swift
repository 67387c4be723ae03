import EventLoops
import Locking

/// Incoming bytes of one invocation, sorted by path: one `ByteQueue` per
/// path. The connection's reader delivers; consumers of each path take.
/// Bytes for a path nobody has asked for yet are held (results arrive
/// before their consumers know the paths), up to a bound across all paths:
/// beyond it the reader waits, which stops reading the socket and so
/// pushes back on the peer.
final class Demux: Sendable {
    private struct State {
        var paths: [[UInt32]: ByteQueue] = [:]
        /// Set once the connection ended: nil error for a clean end.
        var ended: (any Error)??
        var held = 0
        var reader: UnsafeContinuation<Void, Never>?
    }

    private let state = Locked(State())
    let highWater: Int

    init(highWater: Int = 8 << 20) {
        self.highWater = highWater
    }

    /// The queue of `path`, made on first mention (already ended if the
    /// connection has).
    private func queue(_ path: [UInt32]) -> ByteQueue {
        state.withLock { s in
            if let q = s.paths[path] { return q }
            let q = ByteQueue(highWater: .max)
            if case .some(let error) = s.ended {
                if let error { q.fail(error) } else { q.finish() }
            }
            s.paths[path] = q
            return q
        }
    }

    /// Called by the reader. Suspends while too much is held.
    func deliver(path: [UInt32], bytes: [UInt8]) async {
        let q = queue(path)
        // A path closed before, or whose consumer gave up: the bytes change nothing.
        guard (try? await q.write(bytes)) != nil else { return }
        let over = state.withLock { s -> Bool in
            s.held += bytes.count
            guard s.held > highWater else { return false }
            // Consumers that gave up dropped what they held: count exactly.
            s.held = s.paths.values.reduce(0) { $0 + $1.buffered }
            return s.held > highWater
        }
        guard over else { return }
        // Cancellable: when the call ends, its reader must not wait for a
        // consumer that is gone.
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (c: UnsafeContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.held <= highWater / 2 || s.ended != nil || Task.isCancelled { return true }
                    s.reader = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            let reader = state.withLock { s in
                defer { s.reader = nil }
                return s.reader
            }
            reader?.resume()
        }
    }

    func close(path: [UInt32]) {
        queue(path).finish()
    }

    /// The connection ended (cleanly with nil, or with an error): every
    /// consumer gets what is held, then the end.
    func finish(_ error: (any Error)?) {
        let (queues, reader) = state.withLock { s -> ([ByteQueue], UnsafeContinuation<Void, Never>?) in
            guard s.ended == nil else { return ([], nil) }
            s.ended = .some(error)
            defer { s.reader = nil }
            return (Array(s.paths.values), s.reader)
        }
        for q in queues {
            if let error { q.fail(error) } else { q.finish() }
        }
        reader?.resume()
    }

    /// The next bytes on `path`; nil once it is closed or the connection ended.
    func next(_ path: [UInt32]) async throws -> [UInt8]? {
        let bytes = try await queue(path).next()
        guard let bytes else { return nil }
        let reader = state.withLock { s -> UnsafeContinuation<Void, Never>? in
            s.held -= bytes.count
            guard s.held <= highWater / 2 else { return nil }
            defer { s.reader = nil }
            return s.reader
        }
        reader?.resume()
        return bytes
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
            try Task.checkCancellation()
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
