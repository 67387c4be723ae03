import BackendPool
import Testing
import TestSupport
import WRPCTransport

@Suite struct EjectionTests {
    /// A replica that is gone is ejected on the first refused connection,
    /// and every call still succeeds: the refused connection is retried on
    /// another replica, which the caller never sees.
    @Test func deadReplicaIsEjectedAndCallsStillSucceed() async throws {
        let replicas = try (0..<3).map { _ in try Replica() }
        defer { for r in replicas { r.stop() } }
        let pool = try makePool(urls: replicas.map(\.url), settings: settings(ejectBase: .seconds(60), ejectMax: .seconds(60)))
        defer { pool.shutdown() }
        replicas[1].stop()
        let failed = await calls(pool, total: 300, concurrency: 10)
        #expect(failed.isEmpty, "\(failed.count) failed: \(failed.prefix(5))")
        #expect(pool.state(of: replicas[1].url) == .ejected)
        #expect(pool.status.first { $0.target == replicas[1].url }?.reason?.contains("refused") == true)
        #expect(replicas[0].calls.load(ordering: .relaxed) + replicas[2].calls.load(ordering: .relaxed) == 300)
    }

    /// Back-off and readmission, with short configured values: once the
    /// replica is back, the next probe is at most `ejectMax` away, so it is
    /// readmitted by then (plus the probe's own time, loosely: a loaded
    /// machine); and it takes calls again.
    @Test func comebackIsReadmitted() async throws {
        let replicas = try (0..<2).map { _ in try Replica() }
        defer { for r in replicas { r.stop() } }
        let base = Duration.milliseconds(50), max = Duration.milliseconds(400)
        let pool = try makePool(urls: replicas.map(\.url), settings: settings(.roundRobin, ejectBase: base, ejectMax: max))
        defer { pool.shutdown() }
        replicas[0].stop()
        for _ in 0..<4 { #expect(try await hello(pool) == "\"Hello, pool!\"") }
        #expect(pool.state(of: replicas[0].url) == .ejected)
        // Probes keep failing while it is down: the back-off grows.
        #expect(await eventually(by: .now + .seconds(30)) { (pool.status.first { $0.target == replicas[0].url }?.failures ?? 0) >= 3 })
        #expect(pool.state(of: replicas[0].url) == .ejected)
        try replicas[0].restart()
        let back = ContinuousClock.now
        #expect(await eventually(by: back + max + .seconds(10)) { pool.state(of: replicas[0].url) == .healthy })
        let before = replicas[0].calls.load(ordering: .relaxed)
        for _ in 0..<10 { _ = try await hello(pool) }
        #expect(replicas[0].calls.load(ordering: .relaxed) >= before + 4, "readmitted but given no calls")
    }

    /// Every replica ejected: a call fails at once with `unavailable`,
    /// without dialling, far inside its deadline.
    @Test func allEjectedFailsAtOnce() async throws {
        let refusing = try [RefusingPort(), RefusingPort()]
        defer { withExtendedLifetime(refusing) {} }
        let pool = try makePool(urls: refusing.map(\.url),
                                   settings: settings(ejectBase: .seconds(60), ejectMax: .seconds(60)))
        defer { pool.shutdown() }
        await #expect(throws: CallError.self) { try await hello(pool) }
        #expect(pool.status.allSatisfy { $0.state == .ejected })
        let deadline = Duration.seconds(30)
        let started = ContinuousClock.now
        do {
            _ = try await hello(pool, deadline: deadline)
            Issue.record("a call succeeded with every backend ejected")
        } catch let error as CallError {
            guard case .unavailable(let message) = error else { Issue.record("expected unavailable, got \(error)"); return }
            #expect(message.contains("ejected"), "\(message)")
        }
        #expect(ContinuousClock.now - started < deadline / 3)
    }

    /// Once the call's bytes are on the wire it is never retried: a backend
    /// that takes the call and hangs up fails that call, and the other
    /// backend never sees it. Round-robin alternates exactly between the two.
    @Test func noRetryOnceBytesWereSent() async throws {
        let cutter = try MisbehavingBackend(.hangUp)
        let replica = try Replica()
        defer {
            cutter.stop()
            replica.stop()
        }
        let pool = try makePool(urls: [cutter.url, replica.url], settings: settings(.roundRobin))
        defer { pool.shutdown() }
        var failed = 0
        for _ in 0..<10 {
            do {
                _ = try await hello(pool)
            } catch let error as CallError {
                guard case .protocolError = error else { Issue.record("expected a protocol error, got \(error)"); continue }
                failed += 1
            }
        }
        #expect(failed == 5)
        #expect(cutter.calls == 5)
        #expect(replica.calls.load(ordering: .relaxed) == 5)
        // A connection that opened is no reason to eject.
        #expect(pool.state(of: cutter.url) == .healthy)
    }

    /// A pool made of one URL behaves like the single target it replaces:
    /// refused → unavailable, and readmitted once it answers.
    @Test func singleBackendPool() async throws {
        let replica = try Replica()
        defer { replica.stop() }
        let pool = try makePool(urls: [replica.url], settings: settings(ejectBase: .milliseconds(50), ejectMax: .milliseconds(200)))
        defer { pool.shutdown() }
        #expect(try await hello(pool) == "\"Hello, pool!\"")
        replica.stop()
        await #expect(throws: CallError.self) { try await hello(pool) }
        try replica.restart()
        #expect(await eventually(by: .now + .milliseconds(200) + .seconds(10)) { pool.isHealthy })
        #expect(try await hello(pool) == "\"Hello, pool!\"")
    }
}
