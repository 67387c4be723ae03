import BackendPool
import Testing
import TestSupport
import WRPCTransport

@Suite struct DiscoveryTests {
    /// A hostname's addresses are the members, looked up again every
    /// refresh: a new address joins; one that disappears drains — no new
    /// calls, the call in flight on it finishes — and then leaves; one that
    /// comes back joins again. Two replicas on one port, 127.0.0.1 and
    /// 127.0.0.2, as two pods behind a headless Service.
    @Test func membersFollowTheNamesAnswers() async throws { try await withTwoHosts { first, second in
        let resolver = StubResolver(["127.0.0.1"])
        let refresh = Duration.milliseconds(50)
        let pool = try makePool(urls: ["tcp://backends.test:\(first.port)"], settings: settings(.roundRobin, dnsRefresh: refresh),
                                   resolver: resolver)
        defer { pool.shutdown() }
        #expect(try await hello(pool) == "\"Hello, pool!\"")
        #expect(pool.status.map(\.target) == [first.url])
        #expect(pool.status.first?.url == "tcp://backends.test:\(first.port)")

        resolver.set(["127.0.0.1", "127.0.0.2"])
        let later = ContinuousClock.now + .seconds(30)
        #expect(await eventually(by: later) { pool.status.count == 2 })
        for _ in 0..<10 { _ = try await hello(pool) }
        #expect(second.calls.load(ordering: .relaxed) == 5)

        // A call held on whichever replica it lands on; then that one leaves DNS.
        let held = Task { try await hello(pool, "hold") }
        #expect(await eventually(by: later) { first.holding.load(ordering: .relaxed) + second.holding.load(ordering: .relaxed) == 1 })
        let (leaving, staying) = first.holding.load(ordering: .relaxed) == 1 ? (first, second) : (second, first)
        resolver.set([staying.host])
        #expect(await eventually(by: later) { pool.state(of: leaving.url) == .draining })
        #expect(pool.status.first { $0.target == leaving.url }?.inFlight == 1)
        let leavingCalls = leaving.calls.load(ordering: .relaxed)
        for _ in 0..<20 { #expect(try await hello(pool) == "\"Hello, pool!\"") }
        #expect(leaving.calls.load(ordering: .relaxed) == leavingCalls, "a draining member took a new call")
        leaving.release()
        #expect(try await held.value == "\"Hello, hold!\"")
        #expect(await eventually(by: later) { pool.status.map(\.target) == [staying.url] })

        resolver.set(["127.0.0.1", "127.0.0.2"])
        #expect(await eventually(by: later) { pool.status.count == 2 && pool.status.allSatisfy { $0.state == .healthy } })
    } }

    /// A failed lookup keeps the members it had.
    @Test func failedLookupKeepsMembers() async throws {
        let replica = try Replica()
        defer { replica.stop() }
        let resolver = StubResolver(["127.0.0.1"])
        let pool = try makePool(urls: ["tcp://backends.test:\(replica.port)"], settings: settings(dnsRefresh: .milliseconds(20)),
                                   resolver: resolver)
        defer { pool.shutdown() }
        #expect(try await hello(pool) == "\"Hello, pool!\"")
        resolver.set([])
        let lookups = resolver.lookups.load(ordering: .relaxed)
        #expect(await eventually(by: .now + .seconds(30)) { resolver.lookups.load(ordering: .relaxed) >= lookups + 3 })
        #expect(pool.status.map(\.target) == [replica.url])
        #expect(try await hello(pool) == "\"Hello, pool!\"")
    }

    /// The system resolver, for real: `localhost` resolves to 127.0.0.1
    /// (and perhaps ::1), is looked up again every refresh, and calls
    /// succeed — an address nothing listens on (::1 here) is ejected and
    /// the call retried on the one that answers.
    @Test func localhostThroughTheSystemResolver() async throws {
        let replica = try Replica(host: "127.0.0.1")
        defer { replica.stop() }
        let resolver = CountingResolver()
        let pool = try makePool(urls: ["tcp://localhost:\(replica.port)"], settings: settings(dnsRefresh: .milliseconds(100)),
                                   resolver: resolver)
        defer { pool.shutdown() }
        for _ in 0..<20 { #expect(try await hello(pool) == "\"Hello, pool!\"") }
        #expect(pool.status.contains { $0.target == replica.url && $0.state == .healthy })
        #expect(pool.status.allSatisfy { $0.url == "tcp://localhost:\(replica.port)" })
        #expect(await eventually(by: .now + .seconds(30)) { resolver.lookups.load(ordering: .relaxed) >= 3 })
        #expect(replica.calls.load(ordering: .relaxed) == 20)
    }

    /// A pool whose name never resolved answers unavailable, not a hang.
    @Test func unresolvedNameIsUnavailable() async throws {
        let pool = try makePool(urls: ["tcp://backends.test:7761"], resolver: StubResolver([]))
        defer { pool.shutdown() }
        let started = ContinuousClock.now
        do {
            _ = try await hello(pool)
            Issue.record("a call succeeded with no address")
        } catch let error as CallError {
            guard case .unavailable(let message) = error else { Issue.record("expected unavailable, got \(error)"); return }
            #expect(message.contains("no address"), "\(message)")
        }
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
