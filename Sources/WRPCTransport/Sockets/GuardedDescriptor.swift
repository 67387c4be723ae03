#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A descriptor that is closed only once no system call is using it.
///
/// `close()` may run on any thread, also while another one is between
/// reading the number and calling `read`, `writev` or `accept` with it.
/// Closing the number at once would let a socket opened meanwhile (by any
/// caller in the process) get the same number, and that call would then
/// read, write or accept on somebody else's connection. So `close` marks
/// the descriptor, and whoever uses it last closes it.
final class GuardedDescriptor: Sendable {
    /// Bit 0: closed. The rest: the number of calls using `fd`, times 2.
    private let state = Atomic<Int>(0)
    private let fd: Int32

    init(_ fd: Int32) {
        self.fd = fd
    }

    /// Nothing can be using it now; an owner that never closed it leaks
    /// nothing.
    deinit {
        if !isClosed { Glibc.close(fd) }
    }

    /// Whether `close` has run.
    var isClosed: Bool { state.load(ordering: .acquiring) & 1 != 0 }

    /// Runs `body` with the descriptor, which stays open until it returns;
    /// throws `SocketError.closed` once `close` has run.
    func use<T>(_ body: (Int32) throws -> T) throws -> T {
        guard acquire(closing: false) else { throw SocketError.closed }
        defer { release() }
        return try body(fd)
    }

    /// Marks the descriptor closed and runs `body` with it (to take it off
    /// the loops that watch it) the first time; the descriptor itself is
    /// closed now or by the last call still using it.
    func close(_ body: (Int32) -> Void = { _ in }) {
        guard acquire(closing: true) else { return }
        body(fd)
        release()
    }

    /// Counts one more user; with `closing`, also sets the closed bit.
    /// False when it was already set.
    private func acquire(closing: Bool) -> Bool {
        var current = state.load(ordering: .relaxed)
        while true {
            if current & 1 != 0 { return false }
            let next = (current + 2) | (closing ? 1 : 0)
            let (done, seen) = state.compareExchange(expected: current, desired: next, ordering: .acquiringAndReleasing)
            if done { return true }
            current = seen
        }
    }

    private func release() {
        if state.subtract(2, ordering: .acquiringAndReleasing).newValue == 1 {
            // The caller reads `errno` of its own call after this returns.
            let saved = errno
            Glibc.close(fd)
            errno = saved
        }
    }
}
