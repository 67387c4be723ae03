import BackendPool
import ComponentValues
import DemoBackend
import Foundation
import WIT
import WRPCTransport

/// `pool`: `greeter.hello` through a `BackendPool` of 1, 2 and 3 in-process
/// demo backends, against our client dialling one backend directly (the
/// baseline: a single target). The backends share the machine's cores, so
/// more of them add no capacity here; the table shows what balancing costs.
func poolBenchmark(shared: String) async throws {
    var servers: [(SocketListener, Task<Void, Never>)] = []
    for _ in 0..<3 {
        let server = try DemoBackend.server()
        let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        servers.append((listener, Task { await server.serve(listener) }))
    }
    defer { for (listener, task) in servers { task.cancel(); listener.close() } }
    let urls = servers.map { $0.0.address }
    let greeter = try DemoBackend.resolve().main.interface(named: "greeter")!
    let hello = greeter.function(named: "hello")!
    var params: [UInt8] = []
    try ValueEncoder.encodeParameters(json: Array("[\"bench\"]".utf8), params: hello.params, into: &params)
    let p = params
    let instance = greeter.qualifiedName
    func calling(_ transport: any ClientTransport) -> @Sendable () async throws -> Void {
        let client = WRPCClient(transport: transport)
        return { _ = try await client.invoke(instance: instance, function: hello, params: p, deadline: .now + .seconds(10)) }
    }
    let direct = calling(try Transports.client(for: urls[0]))
    var pools: [BackendPool] = []
    defer { for pool in pools { pool.shutdown() } }
    for n in 1...3 { pools.append(try BackendPool(urls: Array(urls.prefix(n)))) }
    // Sequential p50s on a 2-core VM drift by tens of µs from one second to
    // the next, so the single target and the pools alternate round by round
    // and the added p50 is the median of each round's own difference.
    let rounds = max(1, Int(ProcessInfo.processInfo.environment["BENCH_ROUNDS"] ?? "") ?? 3)
    print("## Pool: `greeter.hello` through a backend pool (power of two choices), in-process backends on loopback TCP")
    print("Baseline: our client dialling one backend directly, in the same run. \(rounds) rounds of 1 s each, the single target then each pool, back to back; the table shows the last round, the added p50 is the median of the rounds' own differences (range in brackets).\n")
    for concurrency in [1, 64] {
        let label = concurrency == 1 ? "sequential" : "64 concurrent"
        var added = Array(repeating: [Double](), count: pools.count)
        var rows: [(String, LoadResult)] = []
        for _ in 0..<rounds {
            let base = try await load(concurrency: concurrency, duration: .seconds(1), direct)
            rows = [("single target, \(label) (baseline)", base)]
            for (i, pool) in pools.enumerated() {
                let result = try await load(concurrency: concurrency, duration: .seconds(1), calling(pool))
                rows.append(("pool of \(i + 1), \(label)", result))
                added[i].append(result.percentile(0.5) - base.percentile(0.5))
            }
        }
        printLoad(rows, baseline: rows[0].1)
        if concurrency == 1 {
            let text = added.enumerated().map { i, runs in
                "pool of \(i + 1): \(Int(median(runs))) µs (\(Int(runs.min() ?? 0))–\(Int(runs.max() ?? 0)))"
            }
            print("p50 added against the single target: \(text.joined(separator: ", "))\n")
        }
    }
}

/// `failover`: the gateway and three demo backends as processes; 64
/// keep-alive connections call `greeter.hello` for `POOL_FAILOVER_SECONDS`
/// (20) while one backend is killed (SIGKILL) after a quarter of it, then
/// again with one stopped (SIGSTOP: hung) instead. The calls' deadline is
/// the gateway's own (`--timeout-ms 1000`): a shorter one the caller chose
/// would never count against the hung backend. Prints the share of calls
/// that succeeded and when the failures happened.
func failoverBenchmark(shared: String) async throws {
    let seconds = Int(ProcessInfo.processInfo.environment["POOL_FAILOVER_SECONDS"] ?? "") ?? 20
    print("## Failover: 64 connections for \(seconds) s through the gateway to 3 backend processes, one failing after \(seconds / 4) s\n")
    print("| case | calls | succeeded | failures by status | failures from … to (s after the fault) |")
    print("| --- | ---: | ---: | --- | --- |")
    for (name, signal) in [("SIGKILL", SIGKILL), ("SIGSTOP (hung), --timeout-ms 1000", SIGSTOP)] {
        var backends: [ServerProcess] = []
        defer { for b in backends { kill(b.pid, SIGCONT); b.stop() } }
        for _ in 0..<3 { backends.append(try await ServerProcesses.demoBackend()) }
        let gateway = try await ServerProcesses.gateway(target: backends.map { "tcp://127.0.0.1:\($0.port)" }.joined(separator: ","),
                                                        flags: ["--timeout-ms", "1000"])
        defer { gateway.stop() }
        let start = ContinuousClock.now
        let faultAt = start + .seconds(seconds / 4)
        let end = start + .seconds(seconds)
        let victim = backends[1].pid
        let faulting = Task {
            try? await Task.sleep(until: faultAt, clock: .continuous)
            kill(victim, signal)
        }
        let outcomes = try await withThrowingTaskGroup(of: [(Int, Double)].self) { group in
            for i in 0..<64 {
                group.addTask {
                    try await onOwnThread("caller \(i)") { cancel in
                        var out: [(Int, Double)] = []
                        var connection = try HTTPConnection(port: gateway.port)
                        let body = Array("{\"name\":\"failover\"}".utf8)
                        while ContinuousClock.now < end && !cancel.isCancelled {
                            let status = (try? connection.request("POST", "/invoke/\(greeter)/hello",
                                                                  headers: ["Content-Type: application/json", "Wrpc-Timeout-Ms: 1000"],
                                                                  body: body).status) ?? 0
                            out.append((status, (ContinuousClock.now - faultAt).seconds))
                            if status == 0 { connection = try HTTPConnection(port: gateway.port) }
                        }
                        return out
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        await faulting.value
        let failed = outcomes.filter { $0.0 != 200 }
        let byStatus = Dictionary(grouping: failed, by: \.0).map { "\($0.key): \($0.value.count)" }.sorted().joined(separator: ", ")
        let span = failed.isEmpty ? "none" : String(format: "%.2f … %.2f", failed.map(\.1).min()!, failed.map(\.1).max()!)
        let share = 100 * Double(outcomes.count - failed.count) / Double(max(outcomes.count, 1))
        print("| \(name) | \(outcomes.count) | \(String(format: "%.2f", share))% | \(byStatus.isEmpty ? "none" : byStatus) | \(span) |")
    }
    print("")
}

private let greeter = "wrpc-gateway:demo/greeter@0.1.0"
