import CSystemShims
import Foundation
import Locking

/// A child process started with posix_spawn rather than Foundation's
/// `Process`. swift-corelibs-foundation's `Process.run` looks for the
/// highest open descriptor by copying 256 bytes of every `/proc/self/fd`
/// entry's name out of readdir's buffer, past the short entry; when the
/// last entry ends near the end of a mapping the whole test process dies
/// (SIGSEGV in memmove under `Process.run`), and the more descriptors the
/// tests running side by side hold, the likelier that is.
public final class SpawnedProcess: Sendable {
    public let pid: pid_t
    /// The wait status, once the child was reaped.
    private let reaped = Locked<Int32?>(nil)

    /// Starts `path` with `arguments`; the child's standard input, output
    /// and error are these descriptors (nil: /dev/null), and it inherits no
    /// other. `environment` nil: the test process's own.
    public init(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                stdin: Int32? = nil, stdout: Int32? = nil, stderr: Int32? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (fd, target, flags) in [(stdin, STDIN_FILENO, O_RDONLY), (stdout, STDOUT_FILENO, O_WRONLY), (stderr, STDERR_FILENO, O_WRONLY)] {
            if let fd {
                posix_spawn_file_actions_adddup2(&actions, fd, target)
            } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", flags, 0)
            }
        }
        wrpc_spawn_close_from(&actions, 3)
        // As Foundation does: no signal blocked, every one at its default
        // (the test process may ignore SIGPIPE or SIGTERM, which a child
        // would otherwise inherit).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var child: pid_t = 0
        let status = Self.withCStrings([path] + arguments) { argv in
            Self.withCStrings(env) { envp in posix_spawn(&child, path, &actions, &attributes, argv, envp) }
        }
        guard status == 0 else { throw SpawnError(path: path, errno: status) }
        pid = child
    }

    public var isRunning: Bool {
        reaped.withLock { status in
            if status != nil { return false }
            var raw: Int32 = 0
            guard waitpid(pid, &raw, WNOHANG) == pid else { return true }
            status = raw
            return false
        }
    }

    /// Blocks until the child ends: its exit code, or the signal that ended it.
    @discardableResult
    public func waitUntilExit() -> Int32 {
        if let status = reaped.withLock({ $0 }) { return Self.code(status) }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
        reaped.withLock { if $0 == nil { $0 = raw } }
        return Self.code(reaped.withLock { $0 } ?? raw)
    }

    /// The exit code, or the signal that ended it (as Foundation's
    /// `terminationStatus` says it); only once the child ended.
    public var terminationStatus: Int32 { waitUntilExit() }

    public func signal(_ number: Int32) { kill(pid, number) }

    private static func code(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : signal
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for p in pointers { free(p) } }
        return body(pointers)
    }
}

public struct SpawnError: Error, CustomStringConvertible {
    public let path: String
    public let errno: Int32
    public var description: String { "posix_spawn \(path): \(String(cString: strerror(errno)))" }
}
