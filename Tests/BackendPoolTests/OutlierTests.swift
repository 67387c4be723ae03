import BackendPool
import Testing
import TestSupport
import WRPCTransport

/// Which call outcomes take a member out, and how much of a pool they may
/// take: the rules the pool applies to what its callers report.
@Suite struct OutlierTests {
    /// A deadline the caller chose says nothing about the member, however
    /// many pass; one the gateway chose counts.
    @Test func callerDeadlinesNeverCount() async throws {
        let replica = try Replica()
        defer { replica.stop() }
        let pool = try makePool(urls: [replica.url], settings: outlierSettings(failures: 1, hungAfter: .zero))
        defer { pool.shutdown() }
        for _ in 0..<50 { try await report(.deadlineExceeded(chosenByCaller: true), on: pool) }
        #expect(pool.state(of: replica.url) == .healthy)
        try await report(.deadlineExceeded(chosenByCaller: false), on: pool)
        #expect(pool.state(of: replica.url) == .ejected)
        #expect(pool.status.first?.reason?.contains("nothing it was asked completed") == true, "\(pool.status)")
    }

    /// A function that fails every call, beside calls that complete: the
    /// failures never add up to an ejection, even with no time allowed.
    @Test func failuresBesideCompletionsNeverEject() async throws {
        let replica = try Replica()
        defer { replica.stop() }
        let pool = try makePool(urls: [replica.url], settings: outlierSettings(failures: 3, hungAfter: .zero))
        defer { pool.shutdown() }
        for _ in 0..<30 {
            try await report(.protocolError, on: pool)
            try await report(.deadlineExceeded(chosenByCaller: false), on: pool)
            #expect(pool.state(of: replica.url) == .healthy)
            try await report(.completed, on: pool)
        }
        // Nothing completes any more: three in a row take it out.
        for _ in 0..<3 { try await report(.protocolError, on: pool) }
        #expect(pool.state(of: replica.url) == .ejected)
    }

    /// Failures in a row are not enough: nothing may have completed since
    /// the oldest of them was sent, for `hungAfter`.
    @Test func hungOnlyOnceNothingCompletedForHungAfter() async throws {
        let replica = try Replica()
        defer { replica.stop() }
        let hungAfter = Duration.milliseconds(500)
        let pool = try makePool(urls: [replica.url], settings: outlierSettings(failures: 2, hungAfter: hungAfter))
        defer { pool.shutdown() }
        let before = ContinuousClock.now
        try await report(.deadlineExceeded(chosenByCaller: false), on: pool)
        let firstSent = ContinuousClock.now
        for _ in 0..<10 { try await report(.deadlineExceeded(chosenByCaller: false), on: pool) }
        // Only meaningful while inside the window (a loaded machine may not be).
        if ContinuousClock.now - before < hungAfter { #expect(pool.state(of: replica.url) == .healthy) }
        try await Task.sleep(until: firstSent + hungAfter)
        try await report(.deadlineExceeded(chosenByCaller: false), on: pool)
        #expect(pool.state(of: replica.url) == .ejected)
    }

    /// Outcomes take at most `maxEjectionPercent` of the members out; a
    /// refused connection ejects whatever the share.
    @Test func outcomesTakeAtMostTheMaximumShare() async throws {
        let replicas = try (0..<3).map { _ in try Replica() }
        defer { for r in replicas { r.stop() } }
        let pool = try makePool(urls: replicas.map(\.url), settings: outlierSettings(failures: 1, hungAfter: .zero, maxEjectionPercent: 50))
        defer { pool.shutdown() }
        for _ in 0..<60 { try await report(.protocolError, on: pool) }
        #expect(pool.status.count { $0.state == .ejected } == 1, "\(pool.status)")
        // A member that refuses goes out whatever the share.
        let healthy = pool.status.filter { $0.state == .healthy }.map(\.target)
        for r in replicas where healthy.contains(r.url) { r.stop() }
        await pool.check()
        #expect(pool.status.allSatisfy { $0.state == .ejected }, "\(pool.status)")
    }

    /// Every member out for failed calls: calls still go to them (panic),
    /// and one that completes is back at once. With no panic threshold,
    /// calls fail at once instead.
    @Test func panicCallsMembersOutForFailures() async throws {
        let replicas = try (0..<2).map { _ in try Replica() }
        defer { for r in replicas { r.stop() } }
        let pool = try makePool(urls: replicas.map(\.url), settings: outlierSettings(failures: 1, hungAfter: .zero, maxEjectionPercent: 100))
        defer { pool.shutdown() }
        for _ in 0..<40 where !pool.status.allSatisfy({ $0.state == .ejected }) { try await report(.protocolError, on: pool) }
        #expect(pool.status.allSatisfy { $0.state == .ejected }, "\(pool.status)")
        #expect(pool.isHealthy)
        for _ in 0..<10 { #expect(try await hello(pool) == "\"Hello, pool!\"") }
        let served = try await report(.completed, on: pool)
        #expect(pool.status.first { $0.target == served }?.state == .healthy)

        let strict = try makePool(urls: replicas.map(\.url),
                                  settings: outlierSettings(failures: 1, hungAfter: .zero, maxEjectionPercent: 100, panicThresholdPercent: 0))
        defer { strict.shutdown() }
        for _ in 0..<40 where !strict.status.allSatisfy({ $0.state == .ejected }) { try await report(.protocolError, on: strict) }
        #expect(!strict.isHealthy)
        await #expect(throws: CallError.self) { try await hello(strict) }
    }

    /// A member that refuses connections is never called in panic, nor
    /// counts towards the share out for failed calls; one out for failures
    /// that then refuses is out for refusing, at once.
    @Test func refusingMembersAreNeverPanicCalled() async throws {
        let refusing = try RefusingPort()
        defer { withExtendedLifetime(refusing) {} }
        let replica = try Replica()
        defer { replica.stop() }
        let pool = try makePool(urls: [refusing.url, replica.url],
                                settings: outlierSettings(failures: 1, hungAfter: .zero, maxEjectionPercent: 50))
        defer { pool.shutdown() }
        await pool.check()
        #expect(pool.state(of: refusing.url) == .ejected)
        try await report(.protocolError, on: pool)
        #expect(pool.state(of: replica.url) == .ejected)
        for _ in 0..<20 { #expect(try await hello(pool) == "\"Hello, pool!\"") }
        #expect(replica.calls.load(ordering: .relaxed) == 20)
        replica.stop()
        await #expect(throws: CallError.self) { try await hello(pool) }
        #expect(!pool.isHealthy)
        #expect(pool.status.first { $0.target == replica.url }?.reason?.contains("refused") == true, "\(pool.status)")
    }
}
