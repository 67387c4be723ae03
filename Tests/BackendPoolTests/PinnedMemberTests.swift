import BackendPool
import Testing
import TestSupport
import WRPCTransport

/// Calls pinned to one member (a resource lives there) go to it alone:
/// draining, gone or ejected, it is unavailable by name, never replaced.
@Suite struct PinnedMemberTests {
    static func pinnedHello(_ pool: BackendPool, to member: String, _ name: String = "pool") async throws -> String {
        let json = try await WRPCClient(transport: pool.pinned(to: member))
            .invoke(instance: Replica.greeter, function: Replica.hello, params: helloParams(name), deadline: .now + .seconds(30))
        return String(decoding: json ?? [], as: UTF8.self)
    }

    /// The failure of a pinned call, which must be `unavailable` naming `member`.
    static func expectUnavailable(_ pool: BackendPool, _ member: String, saying words: String) async {
        do {
            _ = try await pinnedHello(pool, to: member)
            Issue.record("a pinned call to \(member) succeeded")
        } catch {
            guard case .unavailable(let message) = error as? CallError else {
                Issue.record("not unavailable: \(error)")
                return
            }
            #expect(message.contains(member), "\(message)")
            #expect(message.contains(words), "\(message)")
        }
    }

    @Test func pinnedCallsReachTheirMemberWhateverItsState() async throws { try await withTwoHosts { first, second in
        let resolver = StubResolver(["127.0.0.1", "127.0.0.2"])
        let pool = try makePool(urls: ["tcp://backends.test:\(first.port)"],
                                settings: settings(.roundRobin, ejectBase: .seconds(60), ejectMax: .seconds(60), dnsRefresh: .milliseconds(50)),
                                resolver: resolver)
        defer { pool.shutdown() }
        let later = ContinuousClock.now + .seconds(30)
        #expect(await eventually(by: later) { pool.status.count == 2 })
        for _ in 0..<10 { #expect(try await Self.pinnedHello(pool, to: second.url) == "\"Hello, pool!\"") }
        #expect(second.calls.load(ordering: .relaxed) == 10)
        #expect(first.calls.load(ordering: .relaxed) == 0)

        // Draining (gone from DNS, a call still in flight), then gone.
        let held = Task { try await Self.pinnedHello(pool, to: second.url, "hold") }
        #expect(await eventually(by: later) { second.holding.load(ordering: .relaxed) == 1 })
        resolver.set(["127.0.0.1"])
        #expect(await eventually(by: later) { pool.state(of: second.url) == .draining })
        await Self.expectUnavailable(pool, second.url, saying: "draining")
        second.release()
        #expect(try await held.value == "\"Hello, hold!\"")
        #expect(await eventually(by: later) { pool.status.map(\.target) == [first.url] })
        await Self.expectUnavailable(pool, second.url, saying: "no longer a member")

        // Refusing: ejected at its first failure, then unavailable as ejected.
        first.stop()
        await Self.expectUnavailable(pool, first.url, saying: "did not accept")
        #expect(pool.state(of: first.url) == .ejected)
        await Self.expectUnavailable(pool, first.url, saying: "ejected")
        #expect(second.calls.load(ordering: .relaxed) == 11)
    } }
}
