import Testing
@testable import EventLoops
import Locking

@Suite struct TimerTests {
    static let group = EventLoopGroup(threads: 1, name: "timer-loop")

    @Test func timersFireInDueOrderAndCancelledOnesNever() async throws {
        let loop = Self.group.loops[0]
        let fired = Locked<[Int]>([])
        let start = ContinuousClock.now
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            // Scheduled and cancelled on the loop, so that none can fire in between.
            loop.execute {
                var cancelled: [LoopTimer] = []
                for i in (0..<20).reversed() {
                    let t = loop.schedule(at: start + .milliseconds(5 * i)) {
                        precondition(loop.inLoop)
                        fired.withLock { $0.append(i) }
                    }
                    if i % 3 == 0 { cancelled.append(t) }
                }
                for t in cancelled { t.cancel() }
                loop.schedule(at: start + .milliseconds(120)) { c.resume() }
            }
        }
        #expect(fired.withLock { $0 } == (0..<20).filter { $0 % 3 != 0 })
        #expect(ContinuousClock.now - start >= .milliseconds(120))
    }

    @Test func manyCancelledTimersLeaveNothingBehind() async {
        let loop = EventLoopGroup(threads: 1, name: "timer-count").loops[0]
        let timers = (0..<10_000).map { i in loop.schedule(after: .seconds(60 + i)) {} }
        for t in timers { t.cancel() }
        let left = await withCheckedContinuation { (c: CheckedContinuation<Int, Never>) in
            loop.execute { c.resume(returning: loop.pendingTimers) }
        }
        #expect(left == 0)
    }

    @Test func sleepLastsAtLeastItsDurationAndEndsOnCancellation() async throws {
        let loop = Self.group.loops[0]
        let start = ContinuousClock.now
        try await loop.sleep(until: start + .milliseconds(30))
        #expect(ContinuousClock.now - start >= .milliseconds(30))

        let sleeper = Task { try await loop.sleep(until: .now + .seconds(3600)) }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }

        // Cancelled while already waiting, from another thread.
        let waiting = Task(executorPreference: loop) { try await loop.sleep(until: .now + .seconds(3600)) }
        try await Task.sleep(for: .milliseconds(10))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }

    @Test func watchdogExpiresAtTheDeadlineUnlessBytesFlow() async throws {
        let quiet = Watchdog(deadline: .now + .milliseconds(50), idle: .milliseconds(50))
        let start = ContinuousClock.now
        let r1 = try await withWatchdog(quiet) { try await EventLoop.sleep(for: .seconds(3600)); return 1 }
        guard case .expired(streaming: false) = r1 else { Issue.record("expected expiry at the deadline: \(r1)"); return }
        #expect(ContinuousClock.now - start >= .milliseconds(50))

        // Activity every 10 ms for six times the deadline, and it lives (the
        // idle limit is wide: a loaded machine may delay a 10 ms sleep a lot).
        // Bytes flow from the start: the first touch comes before the task
        // runs, which on a loaded machine may be later than the deadline.
        let busy = Watchdog(deadline: .now + .milliseconds(50), idle: .seconds(5))
        busy.touch()
        let r2 = try await withWatchdog(busy) { () -> Int in
            for _ in 0..<30 {
                busy.touch()
                try await EventLoop.sleep(for: .milliseconds(10))
            }
            return 2
        }
        guard case .finished(2) = r2 else { Issue.record("a moving transfer was cut: \(r2)"); return }

        // Then it stalls: it ends one idle period after the last activity.
        let stalled = Watchdog(deadline: .now + .milliseconds(20), idle: .milliseconds(60))
        stalled.touch()
        let t0 = ContinuousClock.now
        let r3 = try await withWatchdog(stalled) { try await EventLoop.sleep(for: .seconds(3600)); return 3 }
        guard case .expired(streaming: true) = r3 else { Issue.record("a stalled transfer lived: \(r3)"); return }
        #expect(ContinuousClock.now - t0 >= .milliseconds(55))
    }

    /// The deadline passes before any bytes, and the cancelled operation
    /// sees its first bytes while it winds down: that is still the deadline,
    /// not a stall of a stream that had been moving (a CI run once reported
    /// "no bytes moved for 700ms" for a call whose only chunk came late).
    @Test func expiryTellsDeadlineFromStallAsItWasWhenItFired() async throws {
        let watchdog = Watchdog(deadline: .now + .milliseconds(20), idle: .milliseconds(700))
        let r = try await withWatchdog(watchdog) { () -> Int in
            do {
                try await EventLoop.sleep(for: .seconds(3600))
            } catch {
                watchdog.touch()
                throw error
            }
            return 1
        }
        guard case .expired(streaming: false) = r else { Issue.record("expected expiry at the deadline: \(r)"); return }
        #expect(watchdog.streaming)
    }
}
