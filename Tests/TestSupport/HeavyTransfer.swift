import Testing
import Locking

/// Tests that move tens of mebibytes take both cores of a small machine
/// while they run. They take turns, process-wide (every test target links
/// this one module), so at most one of them loads the machine at a time
/// and the timing-sensitive tests beside them keep a core.
public struct HeavyTransfer: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        // Turns are taken per test case; a suite's own scope just passes through.
        guard testCase != nil else { return try await function() }
        await Turn.shared.take()
        defer { Turn.shared.give() }
        try await function()
    }
}

extension Trait where Self == HeavyTransfer {
    /// Runs the test only while no other heavy transfer test runs.
    public static var heavyTransfer: HeavyTransfer { HeavyTransfer() }
}

/// A process-wide turn: FIFO, one holder at a time.
final class Turn: Sendable {
    static let shared = Turn()

    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Locked(State())

    func take() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if !s.held {
                    s.held = true
                    return true
                }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    func give() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty {
                s.held = false
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
