import Locking

/// Closed until `open()`; waiting on it is cancellable. Calls to a pool wait
/// on one for its first DNS answer.
final class Latch: Sendable {
    private struct State {
        var open = false
        var waiters: [Int: CheckedContinuation<Void, any Error>] = [:]
        var next = 0
    }

    private let state = Locked(State())

    init(open: Bool = false) {
        state.withLock { $0.open = open }
    }

    var isOpen: Bool { state.withLock { $0.open } }

    func open() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            s.open = true
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume() }
    }

    func wait() async throws {
        let id = state.withLock { s -> Int in
            s.next += 1
            return s.next
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.open { return true }
                    s.waiters[id] = c
                    return false
                }
                if resumeNow { c.resume() }
                // Cancelled before the waiter was stored: the handler found nothing to resume.
                if Task.isCancelled, let w = state.withLock({ $0.waiters.removeValue(forKey: id) }) {
                    w.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }
}
