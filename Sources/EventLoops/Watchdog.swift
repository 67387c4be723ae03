import Synchronization
import Locking

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
        lastActivity.store(d.nanoseconds, ordering: .relaxed)
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

    /// Calls `action` once on `loop` when the watchdog expires; the timer is
    /// re-armed lazily (activity only moves a timestamp), so a busy stream
    /// costs no timer work per chunk.
    public func arm(on loop: EventLoop, _ action: @escaping @Sendable () -> Void) -> WatchdogTimer {
        let timer = WatchdogTimer()
        timer.schedule(self, on: loop, action)
        return timer
    }
}

/// The loop timer behind `Watchdog.arm`, cancellable from any thread.
public final class WatchdogTimer: Sendable {
    private struct State {
        var timer: LoopTimer?
        var cancelled = false
    }

    private let state = Locked(State())

    func schedule(_ watchdog: Watchdog, on loop: EventLoop, _ action: @escaping @Sendable () -> Void) {
        let t = loop.schedule(at: watchdog.expiry) { [self] in
            if ContinuousClock.now >= watchdog.expiry {
                action()
            } else {
                schedule(watchdog, on: loop, action)
            }
        }
        let keep = state.withLock { s -> Bool in
            guard !s.cancelled else { return false }
            s.timer = t
            return true
        }
        if !keep { t.cancel() }
    }

    public func cancel() {
        let t = state.withLock { s -> LoopTimer? in
            s.cancelled = true
            defer { s.timer = nil }
            return s.timer
        }
        t?.cancel()
    }
}

/// How a race against a watchdog ended.
public enum Bounded<Value: Sendable>: Sendable {
    case finished(Value)
    /// `streaming`: whether bytes had moved when it expired (the idle limit
    /// ended it), or not (the deadline did). Taken when the timer fires: the
    /// cancelled operation may still see bytes before it returns.
    case expired(streaming: Bool)
}

/// Runs `operation` until it finishes or `watchdog` expires; on expiry the
/// operation is cancelled (and awaited: it must honour cancellation). The
/// operation runs as one task on the caller's loop (or the global pool when
/// the caller is not on a loop) and the watchdog is a loop timer, not a
/// second task: deadlines are set on every call, and rarely fire.
public func withWatchdog<R: Sendable>(_ watchdog: Watchdog,
                                      _ operation: @escaping @Sendable () async throws -> R) async throws -> Bounded<R> {
    let current = EventLoop.current
    let task = Task(executorPreference: current) { try await operation() }
    // 0: not expired; 1: at the deadline; 2: idle while streaming.
    let expired = Atomic<UInt8>(0)
    let timer = watchdog.arm(on: current ?? .currentOrShared) {
        expired.store(watchdog.streaming ? 2 : 1, ordering: .releasing)
        task.cancel()
    }
    defer { timer.cancel() }
    do {
        let value = try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
        return .finished(value)
    } catch {
        let kind = expired.load(ordering: .acquiring)
        if kind != 0 { return .expired(streaming: kind == 2) }
        throw error
    }
}
