import EventLoops

/// Why a call failed, in the classes the gateway maps to HTTP statuses.
public enum CallError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The backend could not be reached: refused, no such socket, no route.
    case unavailable(String)
    /// The deadline passed before the results were complete.
    case deadlineExceeded(String)
    /// The backend closed before the results, or sent bytes that do not decode.
    case protocolError(String)
    /// The results are larger than the caller allows.
    case resultTooLarge(String)
    /// The caller went away.
    case cancelled

    public var description: String {
        switch self {
        case .unavailable(let m): return "backend unavailable: \(m)"
        case .deadlineExceeded(let m): return "deadline exceeded: \(m)"
        case .protocolError(let m): return "protocol error: \(m)"
        case .resultTooLarge(let m): return "result too large: \(m)"
        case .cancelled: return "cancelled"
        }
    }
}

/// Runs `operation`, cancelling it when `deadline` passes (by the caller's
/// event loop's timers).
public func withDeadline<R: Sendable>(_ deadline: ContinuousClock.Instant, what: String,
                                      _ operation: @escaping @Sendable () async throws -> R) async throws -> R {
    try await withWatchdog(Watchdog(deadline: deadline), what: what, operation)
}

/// Runs `operation` until it finishes or `watchdog` expires: then it is
/// cancelled and the call fails with `deadlineExceeded`, telling whether
/// the deadline passed before any bytes flowed or a stream stalled.
public func withWatchdog<R: Sendable>(_ watchdog: Watchdog, what: String,
                                      _ operation: @escaping @Sendable () async throws -> R) async throws -> R {
    switch try await EventLoops.withWatchdog(watchdog, operation) {
    case .finished(let value): return value
    case .expired(let streaming):
        if streaming, let idle = watchdog.idle {
            throw CallError.deadlineExceeded("\(what): no bytes moved for \(idle)")
        }
        throw CallError.deadlineExceeded(what)
    }
}
