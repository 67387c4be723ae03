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

/// Runs `operation`, cancelling it when `deadline` passes.
public func withDeadline<R: Sendable>(_ deadline: ContinuousClock.Instant, what: String,
                               _ operation: @escaping @Sendable () async throws -> R) async throws -> R {
    try await withThrowingTaskGroup(of: R?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(until: deadline, clock: .continuous)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let result = first else {
            throw CallError.deadlineExceeded(what)
        }
        return result
    }
}
