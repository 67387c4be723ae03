#if canImport(Glibc)
import Glibc
#endif
import CSystemShims
import Foundation
import Synchronization

/// One thread running epoll for every socket of the process. Socket
/// operations try the system call first and only wait here when it would
/// block, so a busy connection rarely touches the poller.
final class Poller: Sendable {
    static let shared = Poller()

    enum Direction { case read, write }

    private struct Waiters {
        var read: CheckedContinuation<Void, any Error>?
        var write: CheckedContinuation<Void, any Error>?
        var registered = false
    }

    private let epollFD: Int32
    private let state = Mutex<[Int32: Waiters]>([:])

    private init() {
        signal(SIGPIPE, SIG_IGN)
        epollFD = wrpc_epoll_create()
        precondition(epollFD >= 0, "epoll_create1 failed: errno \(errno)")
        let thread = Thread { [self] in self.loop() }
        thread.name = "wrpc-poller"
        thread.start()
    }

    /// Suspends until `fd` is ready in `direction`, the task is cancelled, or `forget(fd)`.
    func wait(_ fd: Int32, for direction: Direction) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let armed: Bool = state.withLock { all in
                    if Task.isCancelled { return false }
                    var w = all[fd] ?? Waiters()
                    switch direction {
                    case .read: w.read = continuation
                    case .write: w.write = continuation
                    }
                    arm(fd, &w)
                    all[fd] = w
                    return true
                }
                if !armed { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let c: CheckedContinuation<Void, any Error>? = state.withLock { all in
                guard var w = all[fd] else { return nil }
                let taken: CheckedContinuation<Void, any Error>?
                switch direction {
                case .read: taken = w.read; w.read = nil
                case .write: taken = w.write; w.write = nil
                }
                all[fd] = w
                return taken
            }
            c?.resume(throwing: CancellationError())
        }
    }

    /// Drops `fd` before it is closed, failing anyone still waiting on it.
    func forget(_ fd: Int32) {
        let w = state.withLock { all in all.removeValue(forKey: fd) }
        if w?.registered == true { wrpc_epoll_remove(epollFD, fd) }
        w?.read?.resume(throwing: SocketError.closed)
        w?.write?.resume(throwing: SocketError.closed)
    }

    /// Registers interest in what the waiters want; one-shot, re-armed per wait.
    private func arm(_ fd: Int32, _ w: inout Waiters) {
        wrpc_epoll_arm(epollFD, fd, w.registered ? 0 : 1, w.read != nil ? 1 : 0, w.write != nil ? 1 : 0)
        w.registered = true
    }

    private func loop() {
        var fds = [Int32](repeating: 0, count: 128)
        var flags = [UInt32](repeating: 0, count: 128)
        while true {
            let n = wrpc_epoll_wait(epollFD, &fds, &flags, 128, -1)
            if n < 0 { continue }
            for i in 0..<Int(n) {
                let fd = fds[i]
                let readable = flags[i] & 1 != 0
                let writable = flags[i] & 2 != 0
                let (r, w): (CheckedContinuation<Void, any Error>?, CheckedContinuation<Void, any Error>?) = state.withLock { all in
                    guard var waiters = all[fd] else { return (nil, nil) }
                    let r = readable ? waiters.read : nil
                    let w = writable ? waiters.write : nil
                    if readable { waiters.read = nil }
                    if writable { waiters.write = nil }
                    if waiters.read != nil || waiters.write != nil { arm(fd, &waiters) }
                    all[fd] = waiters
                    return (r, w)
                }
                r?.resume()
                w?.resume()
            }
        }
    }
}

enum SocketError: Error, CustomStringConvertible {
    case closed
    case system(String, Int32)

    var description: String {
        switch self {
        case .closed: return "socket closed"
        case .system(let call, let code): return "\(call): \(String(cString: strerror(code)))"
        }
    }
}
