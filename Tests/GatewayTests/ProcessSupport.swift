import Foundation
import Testing
import TestSupport

/// The `wrpc-gateway` executable built beside the tests.
func gatewayExecutable() -> String {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("wrpc-gateway").path
    return FileManager.default.isExecutableFile(atPath: beside) ? beside : FileManager.default.currentDirectoryPath + "/.build/debug/wrpc-gateway"
}

/// A `wrpc-gateway` subcommand as its own process, its output in a file.
final class GatewayProcess: Sendable {
    let process: SpawnedProcess
    let logPath = NSTemporaryDirectory() + "gw-proc-\(UUID().uuidString.prefix(8)).log"

    /// `environment` is added to the test process's own.
    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)!
        defer { try? log.close() }
        process = try SpawnedProcess(gatewayExecutable(), arguments,
                                     environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
                                     stdout: log.fileDescriptor, stderr: log.fileDescriptor)
    }

    var pid: Int32 { process.pid }
    /// Read with a file handle: the toolchain's `String(contentsOfFile:)`
    /// leaked a 4 KiB read buffer now and then (88 times in one
    /// LeakSanitizer run, all while tests polled logs still being written).
    var log: String {
        guard let handle = FileHandle(forReadingAtPath: logPath) else { return "" }
        defer { try? handle.close() }
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    }

    func signal(_ number: Int32) { kill(pid, number) }

    /// Waits (polling, up to `deadline`) for `condition`.
    static func until(_ deadline: Duration, _ what: String, _ condition: () async throws -> Bool) async throws {
        let end = ContinuousClock.now + deadline
        while try await !condition() {
            guard ContinuousClock.now < end else { throw CLIErrorForTests("gave up waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The port from the `listening address=HOST:PORT` log line.
    func listeningPort(within deadline: Duration = .seconds(60)) async throws -> Int {
        var port: Int?
        try await Self.until(deadline, "the gateway to listen (log: \(log))") {
            guard let line = log.split(separator: "\n").first(where: { $0.contains("listening") }),
                  let address = line.split(separator: " ").first(where: { $0.hasPrefix("address=") }),
                  let p = address.split(separator: ":").last.flatMap({ Int($0) }) else { return false }
            port = p
            return true
        }
        return port!
    }

    /// Waits for the exit (up to `deadline`, then kills it) and gives its status.
    func exitStatus(within deadline: Duration) async throws -> Int32 {
        do {
            try await Self.until(deadline, "the process to exit") { !process.isRunning }
        } catch {
            process.signal(SIGTERM)
            process.waitUntilExit()
            throw error
        }
        return process.waitUntilExit()
    }

    func stop() {
        if process.isRunning {
            kill(pid, SIGCONT)
            process.signal(SIGTERM)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: logPath)
    }
}
