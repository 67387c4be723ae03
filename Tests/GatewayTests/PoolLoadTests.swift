import BackendPool
import Gateway
import Synchronization
import Testing
import TestSupport
import WRPCTransport

/// Pools under 64 concurrent callers when a replica dies or hangs. They
/// load both cores, so they take turns with the heavy transfer tests.
@Suite struct PoolLoadTests {
    /// One of three replicas killed mid-load: only the calls in flight on
    /// it at that moment fail (at most one per caller, so at most 64), every
    /// call that starts after the kill succeeds, and the dead one is ejected.
    @Test(.heavyTransfer) func replicaKilledUnderLoad() async throws {
        let replicas = try (0..<3).map { _ in try Replica() }
        defer { for r in replicas { r.stop() } }
        let gateway = try poolGateway(replicas.map(\.url)) { $0.pool.ejectBase = .seconds(60); $0.pool.ejectMax = .seconds(60) }
        let callers = 64, each = 16, killAt = 300
        let progress = Progress()
        let results = await withTaskGroup(of: [(status: Int, afterKill: Bool)].self) { group in
            for _ in 0..<callers {
                group.addTask {
                    var out: [(Int, Bool)] = []
                    for _ in 0..<each {
                        let afterKill = progress.killed.load(ordering: .acquiring)
                        let status = (try? await post(gateway.port, greeter, "hello", "{\"name\":\"load\"}"))?.status ?? 0
                        out.append((status, afterKill))
                        if progress.done.add(1, ordering: .relaxed).newValue == killAt {
                            replicas[1].stop()
                            progress.killed.store(true, ordering: .releasing)
                        }
                    }
                    return out
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        let failed = results.filter { $0.status != 200 }
        #expect(results.count == callers * each)
        #expect(failed.count <= callers, "\(failed.count) failed")
        #expect(failed.allSatisfy { $0.status == 502 }, "\(Set(failed.map(\.status)))")
        #expect(results.filter(\.afterKill).allSatisfy { $0.status == 200 }, "a call that started after the kill failed")
        // Enough calls ran after the kill to mean something. (Not "all but
        // 64": callers go on finishing and starting calls while the replica
        // stops, before the flag is set; those count as before the kill.)
        #expect(results.filter(\.afterKill).count >= (callers * each - killAt) / 2)
        let dead = gateway.pools[0].status.first { $0.target == replicas[1].url }
        #expect(dead?.state == .ejected)
        await gateway.shutdown()
    }

    /// One of three replicas hung (accepts, never answers — as a stopped
    /// process): the calls that land on it get 504 at their deadline (the
    /// gateway's: one the caller chose shorter would not count against it),
    /// and once nothing it was asked completed for `hungAfter` it is
    /// ejected; the others succeed, and every failure names it.
    @Test(.heavyTransfer) func replicaHungUnderLoad() async throws {
        let replicas = try (0..<2).map { _ in try Replica() }
        let hung = try MisbehavingBackend(.silent)
        defer {
            for r in replicas { r.stop() }
            hung.stop()
        }
        let deadlineMs = 1000
        let gateway = try poolGateway(replicas.map(\.url) + [hung.url]) {
            $0.defaultTimeout = .milliseconds(deadlineMs)
            $0.errorDetails = true  // each failure names its member
            $0.pool.hungAfter = .milliseconds(deadlineMs)
            $0.pool.ejectBase = .seconds(5)
            $0.pool.ejectMax = .seconds(60)
        }
        let results = await withTaskGroup(of: [Reply?].self) { group in
            for _ in 0..<64 {
                group.addTask {
                    var out: [Reply?] = []
                    for _ in 0..<8 {
                        out.append(try? await post(gateway.port, greeter, "hello", "{\"name\":\"hung\"}",
                                                   headers: [("Wrpc-Timeout-Ms", "\(deadlineMs)")]))
                    }
                    return out
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        let failed = results.filter { $0?.status != 200 }
        #expect(failed.allSatisfy { $0?.status == 504 }, "\(failed.map { $0?.status ?? 0 })")
        #expect(failed.allSatisfy { $0?.json?["details"]?["target"]?.stringValue == hung.url })
        #expect(hung.calls >= 1)
        // Only calls that reached it before it was ejected failed: about one
        // per caller at most (power of two choices steers the rest away).
        #expect(failed.count <= 64 + 8, "\(failed.count) of \(results.count) failed")
        #expect(failed.count == hung.calls)
        let text = try await http(gateway.port, "GET", "/metrics").text
        #expect(text.contains("wrpc_gateway_backend_ejections_total{target=\"\(hung.url)\"} 1"), "\(text)")
        await gateway.shutdown()
    }
}

/// Calls done, and whether the replica was killed yet.
private final class Progress: Sendable {
    let done = Atomic<Int>(0)
    let killed = Atomic<Bool>(false)
}
