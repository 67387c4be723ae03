import BackendPool
import Foundation
import Gateway
import Synchronization
import Testing
import TestSupport
import WRPCTransport

/// Who may take a backend out of a pool, through HTTP: a caller's short
/// deadlines or a function that fails every call never do, a hung backend
/// still is, and a pool whose members are all out for failed calls still
/// calls them.
@Suite struct PoolOutlierTests {
    /// An attacker floods a slow function with deadlines of its own
    /// choosing, far shorter than the function takes; a victim calling a
    /// fast function on the same, only backend keeps getting 200, and the
    /// backend is never ejected.
    @Test(arguments: [1, 20]) func callerDeadlinesCannotEjectABackend(deadlineMs: Int) async throws {
        let replica = try Replica()
        defer { replica.stop() }
        let gateway = try poolGateway([replica.url]) { $0.pool.hungAfter = .milliseconds(500) }
        let (victim, attacker) = await attack(gateway.port, with: "slow", headers: [("Wrpc-Timeout-Ms", "\(deadlineMs)")],
                                              for: Replica.slowCall * 5)
        #expect(attacker.contains(504), "the attack did not run: \(Set(attacker))")
        expectVictimServed(victim)
        #expect(gateway.pools[0].status.allSatisfy { $0.state == .healthy }, "\(gateway.pools[0].status)")
        await gateway.shutdown()
    }

    /// The same with a function that makes the backend close the connection
    /// before its answer: its calls get 502, the others 200, and the
    /// backend is never ejected, however long it goes on.
    @Test func aFunctionThatHangsUpCannotEjectABackend() async throws {
        let replica = try Replica()
        defer { replica.stop() }
        let hungAfter = Duration.milliseconds(500)
        let gateway = try poolGateway([replica.url]) { $0.pool.hungAfter = hungAfter }
        let (victim, attacker) = await attack(gateway.port, with: "hang-up", headers: [], for: hungAfter * 4)
        #expect(attacker.contains(502), "the attack did not run: \(Set(attacker))")
        expectVictimServed(victim)
        #expect(gateway.pools[0].status.allSatisfy { $0.state == .healthy }, "\(gateway.pools[0].status)")
        await gateway.shutdown()
    }

    /// A client that stops sending its upload midway: the call fails at
    /// the stream idle timeout (504), and that says nothing about the
    /// backend, which was waiting for the bytes. With the strictest
    /// settings (one failure, no time) the backend stays in.
    @Test func aStalledUploadCannotEjectABackend() async throws {
        let deadline = Duration.seconds(2)
        let stack = try Stack {
            $0.defaultTimeout = deadline
            $0.streamIdleTimeout = deadline
            $0.pool.ejectAfterFailures = 1
            $0.pool.hungAfter = .zero
        }
        let stalled = try await TCPTransport(host: "127.0.0.1", port: stack.port).connect()
        let piece = [UInt8](repeating: 7, count: 1000)
        try await stalled.write(Array("POST /invoke/\(blobs)/upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                                + Array(String(piece.count, radix: 16).utf8) + [13, 10] + piece + [13, 10])
        // Read up to the whole answer: the connection stays open a while
        // after it, the request body being incomplete.
        var raw: [UInt8] = [], reply: Reply?
        while reply == nil, case let b = try await stalled.read(), !b.isEmpty {
            raw += b
            if let r = try? parseReply(raw), let length = r.headers.first(where: { $0.0 == "content-length" }).flatMap({ Int($0.1) }),
               r.body.count >= length { reply = r }
        }
        #expect(reply?.status == 504, "\(String(decoding: raw, as: UTF8.self))")
        #expect(stack.gateway.pools[0].status.allSatisfy { $0.state == .healthy }, "\(stack.gateway.pools[0].status)")
        // Not left to the shutdown's grace period.
        stalled.close()
        await stack.stop()
    }

    /// A stopped backend process (SIGSTOP: its kernel still accepts
    /// connections) in a pool of three: its calls time out at the
    /// gateway's deadline and it completes nothing, so it is ejected within
    /// that deadline plus `hungAfter` (and slack for a loaded machine);
    /// every call after that succeeds.
    @Test(.heavyTransfer) func stoppedBackendInAPoolOfThreeIsAvoided() async throws {
        let sockets = (0..<3).map { _ in NSTemporaryDirectory() + "gw-hung-\(UUID().uuidString.prefix(8)).sock" }
        var backends: [GatewayProcess] = []
        defer { for b in backends { b.stop() } }
        for socket in sockets {
            backends.append(try GatewayProcess(["demo-backend", "--listen", "unix://" + socket, "--threads", "1", "--log-level", "error"]))
        }
        for socket in sockets {
            try await GatewayProcess.until(.seconds(60), "the backend's socket") { FileManager.default.fileExists(atPath: socket) }
        }
        // A deadline no healthy backend misses on a loaded machine.
        let deadline = Duration.seconds(2), hungAfter = Duration.seconds(1)
        let gateway = try poolGateway(sockets.map { "unix://" + $0 }) {
            $0.defaultTimeout = deadline
            $0.errorDetails = true  // each failure names its member
            $0.pool.hungAfter = hungAfter
            $0.pool.ejectBase = .seconds(60)
            $0.pool.ejectMax = .seconds(60)
        }
        for _ in 0..<30 { #expect(try await post(gateway.port, greeter, "hello", "{\"name\":\"up\"}").status == 200) }
        let stopped = "unix://" + sockets[1]
        backends[1].signal(SIGSTOP)
        let stoppedAt = ContinuousClock.now
        let out = Switch()
        let failures = await withTaskGroup(of: [Reply].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var failed: [Reply] = []
                    while !out.isOn && ContinuousClock.now < stoppedAt + deadline + hungAfter + .seconds(20) {
                        guard let reply = try? await post(gateway.port, greeter, "hello", "{\"name\":\"hung\"}") else { continue }
                        if reply.status != 200 { failed.append(reply) }
                        if gateway.pools[0].status.first(where: { $0.target == stopped })?.state == .ejected { out.turnOn() }
                    }
                    return failed
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(out.isOn, "the stopped backend was never ejected: \(gateway.pools[0].status)")
        #expect(failures.allSatisfy { $0.status == 504 && $0.json?["details"]?["target"]?.stringValue == stopped },
                "\(failures.map { "\($0.status) \($0.text)" }.prefix(3))")
        let after = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { await (0..<12).asyncCount { _ in (try? await post(gateway.port, greeter, "hello", "{\"name\":\"after\"}"))?.status == 200 } }
            }
            return await group.reduce(0, +)
        }
        #expect(after == 96, "\(96 - after) calls failed after the stopped backend was ejected")
        await gateway.shutdown()
    }

    /// The only backend judged hung (a function slower than the gateway's
    /// deadline, nothing else called): it is out, yet calls still go to it
    /// (panic), the first that completes brings it back, and nobody gets 503.
    @Test func aPoolWhoseMembersAreAllOutStillCallsThem() async throws {
        let replica = try Replica()
        defer { replica.stop() }
        let deadline = Replica.slowCall / 3
        let gateway = try poolGateway([replica.url]) {
            $0.defaultTimeout = deadline
            $0.pool.ejectAfterFailures = 2
            $0.pool.hungAfter = deadline
            $0.pool.ejectBase = .seconds(60)
            $0.pool.ejectMax = .seconds(60)
        }
        for _ in 0..<10 where gateway.pools[0].status.first?.state != .ejected {
            #expect(try await post(gateway.port, greeter, "hello", "{\"name\":\"slow\"}").status == 504)
        }
        #expect(gateway.pools[0].status.first?.state == .ejected)
        let ready = try await http(gateway.port, "GET", "/readyz")
        #expect(ready.status == 200, "\(ready.text)")
        // A deadline longer than the gateway's (a loaded machine may take
        // longer than its); one the caller chose, but not a shorter one.
        let reply = try await post(gateway.port, greeter, "hello", "{\"name\":\"fast\"}", headers: [("Wrpc-Timeout-Ms", "30000")])
        #expect(reply.status == 200, "\(reply.text)")
        #expect(gateway.pools[0].status.first?.state == .healthy)
        let metrics = try await http(gateway.port, "GET", "/metrics").text
        #expect(metrics.contains("wrpc_gateway_backend_panic_calls_total{target=\"\(replica.url)\"} 1"), "\(metrics)")
        await gateway.shutdown()
    }
}

/// A victim calling `greeter.hello` one call after another while four
/// attackers call it with `name` (and `headers`) as fast as they can, for
/// at least `window`: the victim's statuses and the attackers'.
private func attack(_ port: Int, with name: String, headers: [(String, String)], for window: Duration) async -> (victim: [Int], attacker: [Int]) {
    let done = Switch()
    return await withTaskGroup(of: (Bool, [Int]).self) { group in
        for _ in 0..<4 {
            group.addTask {
                var statuses: [Int] = []
                while !done.isOn {
                    statuses.append((try? await post(port, greeter, "hello", "{\"name\":\"\(name)\"}", headers: headers))?.status ?? 0)
                }
                return (false, statuses)
            }
        }
        group.addTask {
            var statuses: [Int] = []
            let end = ContinuousClock.now + window
            while ContinuousClock.now < end || statuses.count < 100 {
                statuses.append((try? await post(port, greeter, "hello", "{\"name\":\"victim\"}"))?.status ?? 0)
            }
            done.turnOn()
            return (true, statuses)
        }
        var victim: [Int] = [], attacker: [Int] = []
        for await (isVictim, statuses) in group {
            if isVictim { victim = statuses } else { attacker += statuses }
        }
        return (victim, attacker)
    }
}

private func expectVictimServed(_ statuses: [Int], sourceLocation: SourceLocation = #_sourceLocation) {
    let ok = statuses.count { $0 == 200 }
    #expect(ok * 100 >= statuses.count * 99, "the victim got \(ok) of \(statuses.count) 200s: \(Set(statuses))", sourceLocation: sourceLocation)
}

private extension Range<Int> {
    /// How many of the elements `predicate` holds for, one after another.
    func asyncCount(_ predicate: (Int) async -> Bool) async -> Int {
        var n = 0
        for i in self where await predicate(i) { n += 1 }
        return n
    }
}

/// Set once, read by many tasks.
private final class Switch: Sendable {
    private let value = Atomic<Bool>(false)
    var isOn: Bool { value.load(ordering: .relaxed) }
    func turnOn() { value.store(true, ordering: .relaxed) }
}
