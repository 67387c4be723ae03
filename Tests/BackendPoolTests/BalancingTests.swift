import BackendPool
import Testing
import TestSupport
import WRPCTransport

@Suite struct BalancingTests {
    /// Each of three replicas gets within ±20% of the mean over 3,000 calls.
    /// For power of two choices on equal replicas the counts are binomial
    /// (σ ≈ 26 around 1,000): ±200 is beyond 7σ, so this never flakes.
    @Test(arguments: [Balance.powerOfTwoChoices, .roundRobin])
    func spreadsEvenly(_ balance: Balance) async throws {
        let replicas = try (0..<3).map { _ in try Replica() }
        defer { for r in replicas { r.stop() } }
        let pool = try makePool(urls: replicas.map(\.url), settings: settings(balance))
        defer { pool.shutdown() }
        let failed = await calls(pool, total: 3000, concurrency: 20)
        #expect(failed.isEmpty, "\(failed.count) failed: \(failed.prefix(5))")
        let counts = replicas.map { $0.calls.load(ordering: .relaxed) }
        #expect(counts.reduce(0, +) == 3000)
        for count in counts { #expect(abs(count - 1000) <= 200, "\(balance): \(counts)") }
        #expect(pool.status.allSatisfy { $0.state == .healthy && $0.inFlight == 0 })
    }

    /// Power of two choices avoids a replica whose calls are stuck: with one
    /// call held on a replica, every later call compares it with the other
    /// and the other has none in flight.
    @Test func powerOfTwoChoicesAvoidsTheBusyOne() async throws {
        let busy = try Replica()
        let free = try Replica()
        defer {
            busy.release()
            busy.stop()
            free.stop()
        }
        let pool = try makePool(urls: [busy.url, free.url], settings: settings(.powerOfTwoChoices))
        defer { pool.shutdown() }
        free.release()  // only `busy` holds calls
        // Start calls one at a time until one lands on `busy` (a fair coin each time).
        var held: Task<String, any Error>?
        while held == nil {
            let freeBefore = free.calls.load(ordering: .relaxed)
            let call = Task { try await hello(pool, "hold") }
            #expect(await eventually(by: .now + .seconds(30)) {
                busy.holding.load(ordering: .relaxed) > 0 || free.calls.load(ordering: .relaxed) > freeBefore
            })
            if busy.holding.load(ordering: .relaxed) > 0 { held = call } else { _ = try await call.value }
        }
        let before = busy.calls.load(ordering: .relaxed)
        for _ in 0..<200 { _ = try await hello(pool) }
        #expect(busy.calls.load(ordering: .relaxed) == before, "a call went to the replica with a call in flight")
        busy.release()
        _ = try await held?.value
    }
}
