import ComponentValues
import Foundation
import Testing
import WRPCTransport

/// SIGTERM while calls are in flight and `--shutdown-grace` runs out must
/// end the process cleanly (libmicrohttpd aborts with "MHD_stop_daemon()
/// called while we have suspended connections", exit 134, if it is stopped
/// with connections suspended). Driven as a user meets it: `serve` in front of a `demo-backend` process, the backend
/// stopped with SIGSTOP, the gateway sent SIGTERM with `--shutdown-grace 2`.
@Suite(.serialized) struct ShutdownTests {
    static let grace = 2

    struct Pair {
        let backend: GatewayProcess
        let gateway: GatewayProcess
        let port: Int

        func stop() {
            gateway.stop()
            backend.stop()
        }
    }

    static func start() async throws -> Pair {
        let socket = NSTemporaryDirectory() + "gw-shutdown-\(UUID().uuidString.prefix(8)).sock"
        let backend = try GatewayProcess(["demo-backend", "--listen", "unix://" + socket])
        do {
            try await GatewayProcess.until(.seconds(60), "the backend's socket") { FileManager.default.fileExists(atPath: socket) }
            let gateway = try GatewayProcess(["serve", "--wit", "demo/wit", "--target", "unix://" + socket,
                                              "--listen", "127.0.0.1:0", "--shutdown-grace", "\(grace)"])
            do {
                return Pair(backend: backend, gateway: gateway, port: try await gateway.listeningPort())
            } catch {
                gateway.stop()
                throw error
            }
        } catch {
            backend.stop()
            throw error
        }
    }

    /// Waits until the gateway counts `n` calls in flight.
    static func inFlight(_ port: Int, atLeast n: Double) async throws {
        try await GatewayProcess.until(.seconds(30), "\(n) calls in flight") {
            let metrics = try await http(port, "GET", "/metrics")
            let line = metrics.text.split(separator: "\n").first { $0.hasPrefix("wrpc_gateway_inflight_calls ") }
            return (line?.split(separator: " ").last.flatMap { Double($0) } ?? 0) >= n
        }
    }

    /// SIGTERM, then the exit: 0, not before the grace period, and long
    /// before the calls' own 60 s deadline.
    static func terminate(_ pair: Pair) async throws {
        let signalled = ContinuousClock.now
        pair.gateway.signal(SIGTERM)
        let status = try await pair.gateway.exitStatus(within: .seconds(50))
        #expect(status == 0, "log: \(pair.gateway.log)")
        #expect(ContinuousClock.now - signalled >= .seconds(grace))
        #expect(!pair.gateway.log.contains("Fatal error"))
    }

    @Test func unaryCallInFlightGets503AndTheProcessExitsCleanly() async throws {
        let pair = try await Self.start()
        defer { pair.stop() }
        pair.backend.signal(SIGSTOP)
        let call = Task {
            try await post(pair.port, greeter, "hello", #"{"name":"x"}"#, headers: [("Wrpc-Timeout-Ms", "60000")])
        }
        try await Self.inFlight(pair.port, atLeast: 1)
        try await Self.terminate(pair)
        let reply = try await call.value
        #expect(reply.status == 503)
        if case .object(let fields)? = reply.json {
            #expect(fields.first { $0.0 == "code" }?.1 == .string("unavailable"))
        } else {
            Issue.record("not the JSON error body: \(reply.text)")
        }
    }

    /// A result stream stalled (its backend stopped mid-stream) is cut.
    @Test func resultStreamInFlightIsCutAndTheProcessExitsCleanly() async throws {
        let pair = try await Self.start()
        defer { pair.stop() }
        let stream = try await TCPTransport(host: "127.0.0.1", port: pair.port).connect()
        defer { stream.close() }
        let body = #"{"n":100000000}"#
        let head = "POST /invoke/\(blobs)/count HTTP/1.1\r\nHost: a\r\nConnection: close\r\nAccept: application/x-ndjson\r\n"
            + "Content-Type: application/json\r\nWrpc-Timeout-Ms: 60000\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        try await stream.write(Array(head.utf8))
        var raw = try await stream.read()
        pair.backend.signal(SIGSTOP)
        let rest = Task {
            var more: [UInt8] = []
            while case let bytes = try await stream.read(), !bytes.isEmpty { more += bytes }
            return more
        }
        try await Self.terminate(pair)
        raw += try await rest.value
        let reply = try parseReply(raw)
        #expect(reply.status == 200)
        #expect(!reply.complete, "a stream cut short must not end cleanly")
    }

    /// An upload stalled (its backend stopped, so the gateway stopped
    /// reading) gets an early 503 and its connection closed.
    @Test func uploadInFlightGets503AndTheProcessExitsCleanly() async throws {
        let pair = try await Self.start()
        defer { pair.stop() }
        pair.backend.signal(SIGSTOP)
        let stream = try await TCPTransport(host: "127.0.0.1", port: pair.port).connect()
        defer { stream.close() }
        let head = "POST /invoke/\(blobs)/upload HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\n"
            + "Wrpc-Timeout-Ms: 60000\r\nContent-Length: \(100 << 20)\r\n\r\n"
        try await stream.write(Array(head.utf8))
        let sent = Task {
            // Part of the body; the rest never comes (the gateway stops taking it first).
            try? await stream.write([UInt8](repeating: 7, count: 4 << 20))
        }
        try await Self.inFlight(pair.port, atLeast: 1)
        try await Self.terminate(pair)
        var raw: [UInt8] = []
        while case let bytes = try await stream.read(), !bytes.isEmpty { raw += bytes }
        sent.cancel()
        let reply = try parseReply(raw)
        #expect(reply.status == 503)
        #expect(reply.header("connection")?.lowercased() == "close")
    }
}
