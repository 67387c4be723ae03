import Locking

extension EventLoop {
    /// Suspends until `deadline` by this loop's timers (no other thread is
    /// involved when the caller runs on this loop); throws
    /// `CancellationError` as soon as the task is cancelled.
    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        let state = Locked(SleepState())
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (c: UnsafeContinuation<Void, any Error>) in
                let proceed = state.withLock { s -> Bool in
                    guard !s.cancelled else { return false }
                    s.waiter = c
                    return true
                }
                guard proceed else {
                    c.resume(throwing: CancellationError())
                    return
                }
                let timer = schedule(at: deadline) {
                    state.withLock { $0.take() }?.resume()
                }
                let cancelledMeanwhile = state.withLock { s -> Bool in
                    s.timer = timer
                    return s.cancelled
                }
                if cancelledMeanwhile { timer.cancel() }
            }
        } onCancel: {
            let (waiter, timer) = state.withLock { s -> (UnsafeContinuation<Void, any Error>?, LoopTimer?) in
                s.cancelled = true
                return (s.take(), s.timer)
            }
            timer?.cancel()
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Sleeps on the caller's loop, or on a shared one.
    public static func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await currentOrShared.sleep(until: deadline)
    }

    public static func sleep(for duration: Duration) async throws {
        try await currentOrShared.sleep(until: .now + duration)
    }
}

private struct SleepState {
    var waiter: UnsafeContinuation<Void, any Error>?
    var timer: LoopTimer?
    var cancelled = false

    mutating func take() -> UnsafeContinuation<Void, any Error>? {
        defer { waiter = nil }
        return waiter
    }
}
