import Synchronization

/// When a call must give up: at its deadline, unless bytes are flowing. Once
/// `touch()` reports activity, the limit becomes "no activity for `idle`"
/// (never earlier than the deadline), so a long transfer that keeps moving
/// lives on and a stalled one ends.
public final class Watchdog: Sendable {
    public let deadline: ContinuousClock.Instant
    public let idle: Duration?
    private let start = ContinuousClock.now
    /// Nanoseconds after `start` of the last activity; -1: none yet.
    private let lastActivity = Atomic<Int64>(-1)

    public init(deadline: ContinuousClock.Instant, idle: Duration? = nil) {
        self.deadline = deadline
        self.idle = idle
    }

    /// Bytes moved: push the limit out (cheap enough to call per chunk).
    public func touch() {
        guard idle != nil else { return }
        let d = ContinuousClock.now - start
        lastActivity.store(d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000, ordering: .relaxed)
    }

    /// Whether activity was seen, i.e. the idle limit is what applies now.
    public var streaming: Bool { lastActivity.load(ordering: .relaxed) >= 0 }

    /// The instant the call expires, as things stand.
    public var expiry: ContinuousClock.Instant {
        let last = lastActivity.load(ordering: .relaxed)
        guard let idle, last >= 0 else { return deadline }
        return max(deadline, start + .nanoseconds(last) + idle)
    }

    /// Returns once expired; throws `CancellationError` if cancelled first.
    public func expired() async throws {
        while true {
            let at = expiry
            if ContinuousClock.now >= at { return }
            try await EventLoop.sleep(until: at)
        }
    }
}

/// How a race against a watchdog ended.
public enum Bounded<Value: Sendable>: Sendable {
    case finished(Value)
    case expired
}

/// Runs `operation` until it finishes or `watchdog` expires; on expiry the
/// operation is cancelled (and awaited: it must honour cancellation).
public func withWatchdog<R: Sendable>(_ watchdog: Watchdog,
                                      _ operation: @escaping @Sendable () async throws -> R) async throws -> Bounded<R> {
    try await withThrowingTaskGroup(of: Bounded<R>.self) { group in
        group.addTask { .finished(try await operation()) }
        group.addTask {
            try await watchdog.expired()
            return .expired
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
