import Foundation
import Gateway
import Testing
import WRPCTransport

/// An upload whose client leaves midway ends its call at once, not at the
/// deadline: libmicrohttpd, having read the end of the connection with the
/// body unfinished, would wait for the rest until its idle timeout, so the
/// gateway sees the end itself and cancels the call.
@Suite struct AbandonedUploadTests {
    @Test func everyAbandonedUploadIsCancelledLongBeforeTheTimeouts() async throws {
        // The body rate limit is off: it would end these too, later.
        let stack = try Stack {
            $0.http.minBodyRate = 0
            $0.http.idleTimeoutSeconds = 60
            $0.streamIdleTimeout = .seconds(60)
            $0.defaultTimeout = .seconds(60)
        }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<10 {
                group.addTask {
                    let stream = try await TCPTransport(host: "127.0.0.1", port: stack.port).connect()
                    let head = "POST /invoke/\(blobs)/upload HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\n"
                        + "Content-Length: \(200 << 20)\r\n\r\n"
                    try await stream.write(Array(head.utf8))
                    try await stream.write([UInt8](repeating: UInt8(i), count: (1 << 20) + i * 65_536))
                    stream.close()
                }
            }
            try await group.waitForAll()
        }
        // Every call ends (cancelled) well inside the 60 s timeouts.
        try await GatewayProcess.until(.seconds(30), "every call to end") {
            let metrics = try await http(stack.port, "GET", "/metrics")
            let line = metrics.text.split(separator: "\n").first { $0.hasPrefix("wrpc_gateway_inflight_calls ") }
            return (line?.split(separator: " ").last.flatMap { Double($0) } ?? -1) == 0
        }
        #expect(ContinuousClock.now - started < .seconds(30))
        await stack.stop()
    }
}
