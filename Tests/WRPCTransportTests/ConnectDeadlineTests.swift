#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport
import WRPCTransport

/// `connect(deadline:)` on a socket transport bounds the connect itself (a
/// loop timer fails the wait; no second task): a connection the peer never
/// completes fails once the deadline passes, and one that opened in time
/// works afterwards as if no deadline had been set.
@Suite struct ConnectDeadlineTests {
    @Test func aPendingConnectFailsAtItsDeadline() async throws {
        // A listener that never accepts, with its queue full: the kernel
        // drops further SYNs, so a new connect stays pending.
        let (fd, port) = try Self.listenerNeverAccepting()
        defer { close(fd) }
        var fillers: [any ByteStream] = []
        defer { for f in fillers { f.close() } }
        let transport = TCPTransport(host: "127.0.0.1", port: port)
        // Fill the accept queue (its length is the backlog + 1 on Linux):
        // connects open at once while there is room, then one stays pending
        // and must fail at its deadline, not at the kernel's (minutes).
        let limit = Duration.milliseconds(400)
        var failed: (error: any Error, took: Duration)?
        while fillers.count < 64 {
            let started = ContinuousClock.now
            do {
                fillers.append(try await transport.connect(deadline: started + limit))
            } catch {
                failed = (error, ContinuousClock.now - started)
                break
            }
        }
        let failure = try #require(failed, "the listener's queue never filled: \(fillers.count) connections opened")
        #expect("\(failure.error)".contains("timed out"), "\(failure.error)")
        #expect(failure.took >= limit)
        #expect(failure.took < .seconds(30), "\(failure.took)")
    }

    @Test func aConnectionOpenedInTimeIsUnaffected() async throws {
        let backend = try Replica()
        defer { backend.stop() }
        let transport = try Transports.client(for: backend.url)
        for _ in 0..<20 {
            let stream = try await transport.connect(deadline: .now + .seconds(30))
            try await stream.write(Array(repeating: 0, count: 4))
            stream.close()
        }
        // A connection that opened before a short deadline outlives it: the
        // deadline's timer must not fail a later write. (On a loaded machine
        // a connect may miss 300 ms; one of five attempts must make it.)
        var opened: (any ByteStream)?
        for _ in 0..<5 where opened == nil {
            opened = try? await transport.connect(deadline: .now + .milliseconds(300))
        }
        let stream = try #require(opened)
        defer { stream.close() }
        try await Task.sleep(for: .milliseconds(500))
        try await stream.write([0])
    }

    static func listenerNeverAccepting() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ListenerError.failed("socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 0) == 0 else {
            close(fd)
            throw ListenerError.failed("bind/listen")
        }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            close(fd)
            throw ListenerError.failed("getsockname")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    enum ListenerError: Error { case failed(String) }
}
