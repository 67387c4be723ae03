import Logging
import Testing
import TestSupport
import WRPCTransport
import Locking

/// A connect-and-close (a gateway's readiness check, a pool's probe, a
/// Kubernetes TCP probe) is no fault: the server logs it at debug level
/// only, while a connection that breaks off mid-header is still a warning.
@Suite struct ProbeLoggingTests {
    @Test func probesAreQuietAndBrokenHeadersAreNot() async throws {
        let lines = LogLines()
        var server = WRPCServer(logger: Logger(label: "probe") { _ in CapturingLogHandler(lines: lines) })
        server.handle(instance: Replica.greeter, function: Replica.hello) { _ in .string("hi") }
        let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        let serving = Task { [server] in await server.serve(listener) }
        defer {
            serving.cancel()
            listener.close()
        }
        let transport = try Transports.client(for: listener.address)
        for _ in 0..<3 { #expect(await transport.probe(timeout: .seconds(10)) == nil) }
        #expect(await eventually(by: .now + .seconds(30)) { lines.count(at: .debug) >= 3 })
        #expect(lines.count(at: .warning) == 0, "\(lines.all)")

        let broken = try await transport.connect()
        try await broken.write([0x00, 0x05])  // a header cut short
        broken.close()
        #expect(await eventually(by: .now + .seconds(30)) { lines.count(at: .warning) == 1 })
    }
}

final class LogLines: Sendable {
    private let lines = Locked<[(Logger.Level, String)]>([])
    func add(_ level: Logger.Level, _ message: String) { lines.withLock { $0.append((level, message)) } }
    func count(at level: Logger.Level) -> Int { lines.withLock { $0.filter { $0.0 == level }.count } }
    var all: [String] { lines.withLock { $0.map { "\($0.0): \($0.1)" } } }
}

struct CapturingLogHandler: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.add(event.level, "\(event.message)")
    }
}
