import Foundation
import TestSupport
import WasiHTTP
import WRPCTransport

/// `wrpc-gateway egress` in a process of its own, open to loopback origins,
/// for the tests that bound what a hostile caller makes it hold: its
/// resident set is the egress's alone, where the test process's also holds
/// whatever the tests running beside it allocate (a fresh-clone run saw it
/// grow 103 MB that way in half a second).
final class EgressProcess: Sendable {
    let process: GatewayProcess
    let port: Int
    let client: WRPCClient

    init(betweenBytes: Duration) async throws {
        let milliseconds = Int(betweenBytes / .milliseconds(1))
        process = try GatewayProcess(["egress", "--listen", "tcp://127.0.0.1:0", "--allow-any-url", "--allow-private-addresses",
                                      "--egress-between-bytes-timeout-ms", "\(milliseconds)", "--log-level", "info"])
        do {
            port = try await process.listeningPort()
        } catch {
            process.stop()
            throw error
        }
        client = WRPCClient(transport: TCPTransport(host: "127.0.0.1", port: port))
    }

    func stop() { process.stop() }

    /// Runs `body` and says how far the egress's resident set rose above
    /// where it was when `body` began, at its peak, in bytes.
    func growth<T>(during body: () async throws -> T) async rethrows -> (T, Int) {
        resetPeakRSS(pid: process.pid)
        let before = residentKiB(pid: process.pid)
        let result = try await body()
        return (result, max(0, peakRSS(pid: process.pid) - before) * 1024)
    }

    /// One `handle` call to this egress (see `WRPCClient.egressHandle`).
    func handle(_ head: RequestHead) async throws -> EgressAnswer {
        try await client.egressHandle(head)
    }
}
