import ComponentValues
import Foundation
import Gateway
import Testing
import WRPCTransport
import Locking

/// libmicrohttpd's idle timeout restarts at every byte, so connections that
/// trickle one byte every few seconds would never be closed and would take
/// every slot, leaving new connections unanswered in the listen backlog.
@Suite struct SlowClientTests {
    static func code(_ reply: Reply) -> String? {
        if case .object(let fields)? = reply.json, case .string(let c)? = fields.first(where: { $0.0 == "code" })?.1 { return c }
        return nil
    }

    /// Sends `bytes` a piece at a time every `every`, reading until the server closes.
    static func trickle(_ port: Int, _ bytes: [UInt8], every: Duration) async throws -> [UInt8] {
        let stream = try await TCPTransport(host: "127.0.0.1", port: port).connect()
        defer { stream.close() }
        let sending = Task {
            for b in bytes {
                guard (try? await stream.write([b])) != nil, !Task.isCancelled else { return }
                try? await Task.sleep(for: every)
            }
        }
        defer { sending.cancel() }
        var raw: [UInt8] = []
        while case let piece = try await stream.read(), !piece.isEmpty { raw += piece }
        return raw
    }

    @Test func aTricklingHeadGets408AfterTheHeaderTimeout() async throws {
        let stack = try Stack { $0.http.headerTimeoutSeconds = 2 }
        let started = ContinuousClock.now
        let head = Array("GET /healthz HTTP/1.1\r\nHost: a\r\nX-Slow: \(String(repeating: "a", count: 200))\r\n\r\n".utf8)
        let raw = try await Self.trickle(stack.port, head, every: .milliseconds(200))
        let elapsed = ContinuousClock.now - started
        let reply = try parseReply(raw)
        #expect(reply.status == 408)
        #expect(Self.code(reply) == "deadline_exceeded")
        // Not before the header timeout, and long before the trickle (40 s) or the idle timeout (30 s) would end it.
        #expect(elapsed >= .seconds(2))
        #expect(elapsed < .seconds(20))
        await stack.stop()
    }

    @Test func aTricklingBodyGets408AfterARateWindow() async throws {
        let stack = try Stack {
            $0.http.minBodyRate = 100
            $0.http.bodyRateWindowSeconds = 2
        }
        let started = ContinuousClock.now
        let stream = try await TCPTransport(host: "127.0.0.1", port: stack.port).connect()
        defer { stream.close() }
        let head = "POST /invoke/\(greeter)/hello HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        try await stream.write(Array(head.utf8))
        let sending = Task {
            while !Task.isCancelled {
                guard (try? await stream.write([0x20])) != nil else { return }
                try? await Task.sleep(for: .milliseconds(300))
            }
        }
        defer { sending.cancel() }
        var raw: [UInt8] = []
        while case let piece = try await stream.read(), !piece.isEmpty { raw += piece }
        let reply = try parseReply(raw)
        #expect(reply.status == 408)
        #expect(reply.text.contains("slower than 100 bytes"))
        #expect(ContinuousClock.now - started >= .seconds(2))
        await stack.stop()
    }

    @Test func overTheConnectionLimitIsAnswered503() async throws {
        let stack = try Stack { $0.http.maxConnections = 8 }
        var held: [any ByteStream] = []
        for _ in 0..<8 { held.append(try await TCPTransport(host: "127.0.0.1", port: stack.port).connect()) }
        // The held ones are counted once their daemons accepted them (each loop has its own backlog).
        try await GatewayProcess.until(.seconds(20), "the limit to be full") { try await http(stack.port, "GET", "/healthz").status == 503 }
        let reply = try await http(stack.port, "GET", "/healthz")
        #expect(reply.status == 503)
        #expect(Self.code(reply) == "unavailable")
        for s in held { s.close() }
        // Slots come back once those close.
        try await GatewayProcess.until(.seconds(20), "a slot") { try await http(stack.port, "GET", "/healthz").status == 200 }
        await stack.stop()
    }

    /// 200 connections trickling their heads from one address, against a
    /// limit of 100 and a cap of 50 per address: the rest get 429 at once,
    /// the 50 get 408 at the header timeout, and requests from another
    /// address are served all along.
    @Test func normalRequestsAreServedBesideTricklingConnections() async throws {
        let stack = try Stack {
            $0.http.maxConnections = 100
            $0.http.maxConnectionsPerClient = 50
            $0.http.headerTimeoutSeconds = 4
        }
        let head = Array("GET /healthz HTTP/1.1\r\nHost: a\r\nX-Slow: \(String(repeating: "a", count: 100))\r\n\r\n".utf8)
        let statuses = Statuses()
        let tricklers = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        let raw = (try? await Self.trickle(stack.port, head, every: .milliseconds(500))) ?? []
                        let status = (try? parseReply(raw).status) ?? 0
                        statuses.add(status)
                    }
                }
            }
        }
        try await GatewayProcess.until(.seconds(30), "the cap to refuse 150") { statuses.all.count >= 150 }
        for _ in 0..<8 {
            let raw = try await rawRequest(from: "127.0.0.2", port: stack.port,
                                           Array("GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".utf8))
            #expect(try parseReply(raw).status == 200)
        }
        await tricklers.value
        let seen = statuses.all
        // Every trickler was answered: refused at once, or cut at the header
        // timeout (more than 50 of those if a slot freed before all had connected).
        #expect(seen.count == 200)
        #expect(seen.allSatisfy { $0 == 429 || $0 == 408 }, "\(seen.sorted())")
        #expect(seen.filter { $0 == 408 }.count >= 50, "\(seen.sorted())")
        await stack.stop()
    }
}

final class Statuses: Sendable {
    private let list = Locked<[Int]>([])
    func add(_ status: Int) { list.withLock { $0.append(status) } }
    var all: [Int] { list.withLock { $0 } }
}

/// One request from a chosen loopback source address (127.0.0.2, …), read
/// until the server closes; blocking calls, off the concurrency pool.
func rawRequest(from source: String, port: Int, _ bytes: [UInt8]) async throws -> [UInt8] {
    try await withCheckedThrowingContinuation { c in
        Thread.detachNewThread {
            c.resume(with: Result {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                guard fd >= 0 else { throw CLIErrorForTests("socket") }
                defer { close(fd) }
                var timeout = timeval(tv_sec: 30, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                func address(_ host: String, _ port: Int) -> sockaddr_in {
                    var a = sockaddr_in()
                    a.sin_family = sa_family_t(AF_INET)
                    a.sin_port = in_port_t(UInt16(port).bigEndian)
                    inet_pton(AF_INET, host, &a.sin_addr)
                    return a
                }
                var local = address(source, 0), remote = address("127.0.0.1", port)
                let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                guard bound == 0 else { throw CLIErrorForTests("bind \(source)") }
                let connected = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                guard connected == 0 else { throw CLIErrorForTests("connect") }
                _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                var raw: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 16 << 10)
                while case let n = recv(fd, &buffer, buffer.count, 0), n > 0 { raw += buffer[..<n] }
                return raw
            })
        }
    }
}
