#if canImport(Glibc)
import Glibc
#endif
import EventLoops
import Locking

/// Edge-triggered readiness of one descriptor on one loop. Operations try
/// the system call first and wait here only after EAGAIN; an edge that
/// arrives while nobody waits is remembered, so none is lost between the
/// failed call and the wait.
final class Readiness: IOHandler, Sendable {
    enum Direction { case read, write }

    private struct State {
        var readable = false
        var writable = false
        var closed = false
        /// A failure for the next wait for writing (`failWrite` with no waiter yet).
        var writeFailure: (any Error)?
        var reader: UnsafeContinuation<Void, any Error>?
        var writer: UnsafeContinuation<Void, any Error>?
    }

    private let state = Locked(State())

    func ready(_ events: IOEvents) {
        let (r, w) = state.withLock { s -> (UnsafeContinuation<Void, any Error>?, UnsafeContinuation<Void, any Error>?) in
            var r: UnsafeContinuation<Void, any Error>?, w: UnsafeContinuation<Void, any Error>?
            if events.contains(.read) {
                if let c = s.reader { r = c; s.reader = nil } else { s.readable = true }
            }
            if events.contains(.write) {
                if let c = s.writer { w = c; s.writer = nil } else { s.writable = true }
            }
            return (r, w)
        }
        r?.resume()
        w?.resume()
    }

    /// Returns when `direction` may have become ready since the last EAGAIN;
    /// throws when closed or cancelled.
    func wait(_ direction: Direction) async throws {
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (c: UnsafeContinuation<Void, any Error>) in
                let outcome: Result<Bool, any Error> = state.withLock { s in
                    if s.closed { return .failure(SocketError.closed) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    switch direction {
                    case .read:
                        if s.readable { s.readable = false; return .success(true) }
                        s.reader = c
                    case .write:
                        if let failure = s.writeFailure { s.writeFailure = nil; return .failure(failure) }
                        if s.writable { s.writable = false; return .success(true) }
                        s.writer = c
                    }
                    return .success(false)
                }
                switch outcome {
                case .success(true): c.resume()
                case .success(false): break
                case .failure(let e): c.resume(throwing: e)
                }
            }
        } onCancel: {
            let c = state.withLock { s -> UnsafeContinuation<Void, any Error>? in
                switch direction {
                case .read: defer { s.reader = nil }; return s.reader
                case .write: defer { s.writer = nil }; return s.writer
                }
            }
            c?.resume(throwing: CancellationError())
        }
    }

    /// Fails the wait for writing with `error` (a connect that ran out of
    /// time): the current waiter, or else the next one. `clearFailure` takes
    /// an unused failure back.
    func failWrite(_ error: any Error) {
        let c = state.withLock { s -> UnsafeContinuation<Void, any Error>? in
            guard let c = s.writer else { s.writeFailure = error; return nil }
            s.writer = nil
            return c
        }
        c?.resume(throwing: error)
    }

    func clearFailure() {
        state.withLock { $0.writeFailure = nil }
    }

    /// The descriptor is going away: whoever waits fails.
    func close() {
        let (r, w) = state.withLock { s -> (UnsafeContinuation<Void, any Error>?, UnsafeContinuation<Void, any Error>?) in
            s.closed = true
            defer { s.reader = nil; s.writer = nil }
            return (s.reader, s.writer)
        }
        r?.resume(throwing: SocketError.closed)
        w?.resume(throwing: SocketError.closed)
    }
}

enum SocketError: Error, CustomStringConvertible {
    case closed
    case connectTimedOut
    case system(String, Int32)

    var description: String {
        switch self {
        case .closed: return "socket closed"
        case .connectTimedOut: return "connect: timed out"
        case .system(let call, let code): return "\(call): \(String(cString: strerror(code)))"
        }
    }
}
