import Foundation
import Locking

/// Where a child's output goes.
enum ChildOutput {
    /// The bench's own stdout and stderr.
    case inherit
    /// stdout and stderr to this file, read back when the child fails.
    case log(String)
    /// stdout into this pipe; stderr inherited.
    case capture(Pipe)
}

/// A child process (gateway, demo backend, wrk, stress-ng) that is always
/// ended: callers `stop()` it in a `defer`, and `stopAll()` ends whatever is
/// left when the bench is interrupted or fails, so no server outlives a run.
final class ChildProcess: Sendable {
    let name: String
    private let process: Process
    private let logPath: String?

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    init(_ name: String, executable: String, arguments: [String], output: ChildOutput = .inherit) throws {
        self.name = name
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var logFile: FileHandle?
        switch output {
        case .inherit:
            logPath = nil
        case .log(let path):
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw BenchError("cannot create \(path)") }
            logFile = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            process.standardOutput = logFile
            process.standardError = logFile
            logPath = path
        case .capture(let pipe):
            process.standardOutput = pipe
            logPath = nil
        }
        try Self.withSignalsUnblocked { try process.run() }
        // The child has its own copy of the descriptor now.
        try? logFile?.close()
        live.withLock { $0[process.processIdentifier] = self }
    }

    /// SIGTERM, then SIGKILL if the child has not exited within `grace`
    /// (the gateway drains in-flight requests on SIGTERM, which must not hang
    /// the bench).
    func stop(grace: Duration = .seconds(5)) {
        defer {
            live.withLock { _ = $0.removeValue(forKey: pid) }
            if let logPath { try? FileManager.default.removeItem(atPath: logPath) }
        }
        guard process.isRunning else { return }
        process.terminate()
        if exited(within: grace) { return }
        // A child that leads its own process group (stress-ng) may leave its
        // workers running, and Foundation reports the child running until
        // they are gone too: kill the whole group.
        kill(getpgid(pid) == pid ? -pid : pid, SIGKILL)
        if !exited(within: .seconds(2)) {
            FileHandle.standardError.write(Data("bench: the \(name) (pid \(pid)) did not exit after SIGKILL\n".utf8))
        }
    }

    /// Polls rather than `waitUntilExit`, which busy-spins on Linux while a
    /// descendant of the child keeps it from being seen to exit.
    private func exited(within timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// A child starts with the spawning thread's signal mask, and the Swift
    /// concurrency threads block SIGTERM and SIGINT (Foundation does not
    /// reset the mask): stress-ng started from one would ignore `stop()`.
    /// The mask is cleared for the moment of the spawn.
    private static func withSignalsUnblocked<T>(_ body: () throws -> T) rethrows -> T {
        var none = sigset_t()
        var saved = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        return try body()
    }

    /// Waits for a child that ends by itself (wrk, which has no children).
    func wait() { process.waitUntilExit() }

    /// The exit status of a child that has ended.
    var exitStatus: Int32 { process.terminationStatus }

    /// The end of the child's log, for an error message.
    func logTail(_ bytes: Int = 2000) -> String {
        guard let logPath, let data = FileManager.default.contents(atPath: logPath) else { return "" }
        return String(decoding: data.suffix(bytes), as: UTF8.self)
    }

    /// Stops every child still running.
    static func stopAll() {
        for child in live.withLock({ Array($0.values) }) { child.stop(grace: .seconds(2)) }
    }

    /// On SIGINT or SIGTERM, stop the children before exiting: a `defer`
    /// does not run when a signal ends the process.
    static func stopAllOnSignal() {
        signalSources.withLock { sources in
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    stopAll()
                    exit(128 + number)
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}

/// The children not yet stopped, by process id.
private let live = Locked<[Int32: ChildProcess]>([:])
/// Keeps the signal sources alive for the whole run.
private let signalSources = Locked<[any DispatchSourceSignal]>([])
