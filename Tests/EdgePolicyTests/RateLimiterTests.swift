import EdgePolicy
import Testing

@Suite struct RateLimiterTests {
    @Test func parsesRatesAndBursts() throws {
        #expect(try RateLimit(parsing: "100/s").rate == 100)
        #expect(try RateLimit(parsing: "100/s").burst == 100)
        #expect(try RateLimit(parsing: "30/m").rate == 0.5)
        #expect(try RateLimit(parsing: "30/m").burst == 1)
        #expect(try RateLimit(parsing: "7200/h", burst: 5).burst == 5)
        for bad in ["", "10", "0/s", "-1/s", "x/s", "10/d", "10/s/s", "inf/s"] {
            #expect(throws: EdgeConfigError.self, "\(bad)") { try RateLimit(parsing: bad) }
        }
        #expect(throws: EdgeConfigError.self) { try RateLimit(parsing: "1/s", burst: 0) }
    }

    @Test func aBurstThenTheRate() throws {
        let limiter = RateLimiter(try RateLimit(rate: 10, burst: 3))
        let t0 = ContinuousClock.now
        for _ in 0..<3 { #expect(limiter.take("a", now: t0) == .allowed) }
        guard case .limited(let wait) = limiter.take("a", now: t0) else { Issue.record("not limited"); return }
        #expect(wait == .milliseconds(100))
        // Another caller has its own bucket.
        #expect(limiter.take("b", now: t0) == .allowed)
        // 40 ms later: 0.4 of a token, still not one.
        guard case .limited(let rest) = limiter.take("a", now: t0 + .milliseconds(40)) else { Issue.record("not limited"); return }
        #expect(abs((rest - .milliseconds(60)) / .microseconds(1)) < 1)
        #expect(limiter.take("a", now: t0 + .milliseconds(100)) == .allowed)
        // A long pause refills the burst, never more.
        let later = t0 + .seconds(60)
        for _ in 0..<3 { #expect(limiter.take("a", now: later) == .allowed) }
        #expect(limiter.take("a", now: later) != .allowed)
    }

    @Test func callersAreBounded() throws {
        let limiter = RateLimiter(try RateLimit(rate: 1, burst: 1), maxCallers: 100)
        let t0 = ContinuousClock.now
        for i in 0..<1000 { _ = limiter.take("caller-\(i)", now: t0 + .seconds(Double(i) * 0.01)) }
        #expect(limiter.callers <= 100)
    }
}
