import Foundation
import WRPCTransport

/// A server running as a child process, and the loopback port it serves.
struct ServerProcess {
    let child: ChildProcess
    let port: Int
    /// The flags beyond what every run of this server gets.
    var extraFlags: [String] = []
    var pid: Int32 { child.pid }
    func stop() { child.stop() }

    /// For a table's caption.
    var flagsDescription: String {
        extraFlags.isEmpty ? "no extra flags; GATEWAY_FLAGS adds some" : "`\(extraFlags.joined(separator: " "))`"
    }
}

/// Starts the `wrpc-gateway` binary's servers as separate processes, the
/// way they are deployed, so the bench can read the gateway's own CPU time,
/// context switches and RSS from /proc.
enum ServerProcesses {
    /// The `wrpc-gateway` binary built next to this one, if it is there and
    /// the working directory is the package root (for demo/wit).
    static var binary: String? {
        let path = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("wrpc-gateway").path
        guard FileManager.default.isExecutableFile(atPath: path), FileManager.default.fileExists(atPath: "demo/wit/demo.wit") else { return nil }
        return path
    }

    static let skipReason = "build wrpc-gateway in the same configuration, and run from the package root"

    /// Why a suite that drives the gateway binary with wrk cannot run here, if it cannot.
    static var wrkSkipReason: String? {
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") { return "wrk not installed; apt-get install wrk" }
        return binary == nil ? skipReason : nil
    }

    /// `GATEWAY_FLAGS`, split on spaces: extra `serve` flags such as `--threads 1`.
    static var extraGatewayFlags: [String] {
        (ProcessInfo.processInfo.environment["GATEWAY_FLAGS"] ?? "").split(separator: " ").map(String.init)
    }

    /// `wrpc-gateway demo-backend`, ready once it accepts a connection; on
    /// `port` when given (a restart where the gateway expects it).
    static func demoBackend(port given: Int? = nil) async throws -> ServerProcess {
        let port = try given ?? freePort()
        let log = NSTemporaryDirectory() + "wrpc-bench-\(getpid())-backend-\(port).log"
        let child = try ChildProcess("demo backend", executable: try requireBinary(),
                                     arguments: ["demo-backend", "--listen", "tcp://127.0.0.1:\(port)"], output: .log(log))
        let server = ServerProcess(child: child, port: port)
        try await waitUntilReady(server) { (try? HTTPConnection(port: port, timeoutSeconds: 1)) != nil }
        return server
    }

    /// `wrpc-gateway serve` for demo/wit in front of `target`, with `flags`
    /// and then `GATEWAY_FLAGS`; ready once GET /healthz answers 200 (over
    /// HTTPS: once it accepts a connection).
    static func gateway(target: String, flags: [String] = [], https: Bool = false) async throws -> ServerProcess {
        let port = try freePort()
        let extra = flags + extraGatewayFlags
        let child = try ChildProcess("gateway", executable: try requireBinary(), arguments: [
            "serve", "--wit", "demo/wit", "--target", target, "--listen", "127.0.0.1:\(port)", "--log-level", "error",
        ] + extra)
        let server = ServerProcess(child: child, port: port, extraFlags: extra)
        try await waitUntilReady(server) {
            if https { return (try? HTTPConnection(port: port, timeoutSeconds: 1)) != nil }
            return (try? HTTPConnection(port: port, timeoutSeconds: 1).request("GET", "/healthz").status) == 200
        }
        return server
    }

    /// This bench binary again as the egress benchmark's HTTP origin
    /// (`--serve-origin PORT`); ready once it answers.
    static func benchOrigin() async throws -> ServerProcess {
        let port = try freePort()
        let child = try ChildProcess("origin", executable: CommandLine.arguments[0], arguments: ["--serve-origin", "\(port)"])
        let server = ServerProcess(child: child, port: port)
        try await waitUntilReady(server) {
            (try? HTTPConnection(port: port, timeoutSeconds: 1).request("GET", "/bytes/1").status) == 200
        }
        return server
    }

    /// This bench binary again as a splice relay to `target` on loopback
    /// (`--relay PORT TARGET`), the floor for a proxy's extra hop; ready
    /// once it accepts a connection.
    static func relay(to target: Int) async throws -> ServerProcess {
        let port = try freePort()
        let child = try ChildProcess("relay", executable: CommandLine.arguments[0], arguments: ["--relay", "\(port)", "\(target)"])
        let server = ServerProcess(child: child, port: port)
        try await waitUntilReady(server) { (try? HTTPConnection(port: port, timeoutSeconds: 1)) != nil }
        return server
    }

    /// Why nginx cannot be the proxy suite's anchor here, if it cannot.
    static var nginxSkipReason: String? {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") ? nil : "nginx not installed; apt-get install nginx-light"
    }

    /// `scripts/nginx-middlebox.sh MODE…` on a free port (the script execs
    /// nginx, so the child's PID is nginx's); ready once GET / answers.
    static func nginx(_ mode: [String]) async throws -> ServerProcess {
        let port = try freePort()
        let arguments = [mode[0], "\(port)"] + mode.dropFirst()
        let log = NSTemporaryDirectory() + "wrpc-bench-\(getpid())-nginx-\(port).log"
        let child = try ChildProcess("nginx \(mode[0])", executable: "scripts/nginx-middlebox.sh", arguments: arguments, output: .log(log))
        let server = ServerProcess(child: child, port: port)
        try await waitUntilReady(server) {
            (try? HTTPConnection(port: port, timeoutSeconds: 1).request("GET", "/").status) == 200
        }
        return server
    }

    /// `wrpc-gateway egress` open to any URL on loopback (the origin is
    /// there), ready once it accepts a connection.
    static func egress(binary: String) async throws -> ServerProcess {
        let port = try freePort()
        let child = try ChildProcess("egress", executable: binary, arguments: [
            "egress", "--listen", "tcp://127.0.0.1:\(port)", "--allow-any-url", "--allow-private-addresses", "--log-level", "error",
        ])
        let server = ServerProcess(child: child, port: port)
        try await waitUntilReady(server) { (try? HTTPConnection(port: port, timeoutSeconds: 1)) != nil }
        return server
    }

    private static func requireBinary() throws -> String {
        guard let binary else { throw BenchError(skipReason) }
        return binary
    }

    /// A port the kernel just handed out and released; another process could
    /// take it in between, which on this machine does not happen.
    static func freePort() throws -> Int {
        let probe = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        defer { probe.close() }
        return probe.port!
    }

    /// Polls `ready` every 50 ms for up to 10 s (a blocking loopback connect
    /// or /healthz: short enough to make on a concurrency thread); stops the
    /// child unless it gets ready.
    private static func waitUntilReady(_ server: ServerProcess, _ ready: () -> Bool) async throws {
        do {
            for _ in 0..<200 {
                if ready() { return }
                guard server.child.isRunning else { break }
                try await Task.sleep(for: .milliseconds(50))
            }
        } catch {
            server.stop()
            throw error
        }
        let tail = server.child.logTail()
        server.stop()
        throw BenchError("the \(server.child.name) did not get ready on port \(server.port)\(tail.isEmpty ? "" : ":\n\(tail)")")
    }
}
