import Foundation
import Synchronization

/// Set when the awaiting task is cancelled; blocking loops check it.
final class CancelFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isCancelled: Bool { flag.load(ordering: .relaxed) }
    func cancel() { flag.store(true, ordering: .relaxed) }
}

/// Runs blocking work (a blocking socket, a child's pipe, a timed sleep) on
/// a thread of its own, so it never holds one of the Swift concurrency
/// threads (two on this machine) that the in-process servers and clients
/// need, and so a busy pool does not delay what it times.
func onOwnThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable (CancelFlag) throws -> T) async throws -> T {
    let flag = CancelFlag()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let thread = Thread { continuation.resume(with: Result { try body(flag) }) }
            thread.name = name
            thread.start()
        }
    } onCancel: {
        flag.cancel()
    }
}
