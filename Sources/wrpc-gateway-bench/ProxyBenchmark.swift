import Foundation

/// The per-request cost of the gateway as a middlebox against nginx in the
/// same place: `wrk → nginx (proxy_pass, a new upstream connection per
/// request) → nginx origin` next to `wrk → gateway --threads 1 → demo
/// backend` on `/invoke` (`greeter.hello`) and on a forward (`GET
/// /app/status/200` to the backend's incoming handler). The figure is the
/// middle process's CPU time (user + system, from /proc/PID/stat) over the
/// run ÷ requests, split into user space and kernel; rounds alternate the
/// three so that drift on a shared machine falls on all alike.
func proxyBenchmark(shared: String) async throws {
    if let reason = ServerProcesses.wrkSkipReason ?? ServerProcesses.nginxSkipReason {
        print("## Proxy: skipped (\(reason))\n")
        return
    }
    let origin = try await ServerProcesses.nginx(["origin"])
    defer { origin.stop() }
    let nginx = try await ServerProcesses.nginx(["proxy", "\(origin.port)"])
    defer { nginx.stop() }
    let backend = try await ServerProcesses.demoBackend()
    defer { backend.stop() }
    let target = "tcp://127.0.0.1:\(backend.port)"
    let gateway = try await ServerProcesses.gateway(target: target, flags: ["--threads", "1", "--forward", "/app=\(target)"])
    defer { gateway.stop() }

    let script = NSTemporaryDirectory() + "wrpc-bench-\(getpid())-proxy.lua"
    try writeHelloScript(to: script)
    defer { try? FileManager.default.removeItem(atPath: script) }
    let base = "http://127.0.0.1:"
    let cases: [(name: String, server: ServerProcess, args: [String])] = [
        ("nginx proxy_pass (anchor)", nginx, ["\(base)\(nginx.port)/"]),
        ("gateway, POST /invoke greeter.hello", gateway, ["-s", script, "\(base)\(gateway.port)\(DemoAPI.hello)"]),
        ("gateway, GET through a forward", gateway, ["\(base)\(gateway.port)/app/status/200"]),
    ]
    let rounds = Int(ProcessInfo.processInfo.environment["BENCH_ROUNDS"] ?? "") ?? 3
    printTitle("Proxy: the middle process's CPU per request, nginx against the gateway")
    print("wrk → middle process → upstream, all on loopback. nginx (Debian's nginx-light, `scripts/nginx-middlebox.sh`: one process, no master, no access log) proxies to a second nginx that answers 200 with a new upstream connection per request, as wRPC over TCP opens one per call; the gateway (`serve --threads 1`, errors-only log) calls a demo-backend process. CPU-µs per request is the middle process's user + system time over the run ÷ requests, split into user space and kernel. \(rounds) rounds, the three cases in turn within each; medians over the rounds, the ratio to nginx is the median of the rounds' own ratios (range in brackets). The aim is a ratio of 1.00 or less.\n")
    print("| connections | middle | requests/s | CPU-µs/req | user | kernel | ctx switches/req | × nginx CPU |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    var errors = 0
    for connections in [1, 64] {
        let shape = connections == 1 ? ["-t1", "-c1", "-d3s"] : ["-t2", "-c64", "-d3s"]
        var runs = Array(repeating: [MiddleRun](), count: cases.count)
        for _ in 0..<rounds {
            for (i, c) in cases.enumerated() {
                runs[i].append(try await wrkThrough(c.server, shape + ["--latency"] + c.args))
            }
        }
        for (i, c) in cases.enumerated() {
            let rows = runs[i]
            let ratios = zip(rows, runs[0]).map { $0.cpuPerRequest / $1.cpuPerRequest }
            print(String(format: "| %d | %@ | %d | %.1f | %.1f | %.1f | %.2f | %@ |", connections, c.name,
                         Int(median(rows.map(\.wrk.rate))), median(rows.map(\.cpuPerRequest)),
                         median(rows.map(\.userPerRequest)), median(rows.map { $0.cpuPerRequest - $0.userPerRequest }),
                         median(rows.map(\.switchesPerRequest)), i == 0 ? "1.00" : ratioText(ratios)))
        }
        errors += runs.joined().reduce(0) { $0 + $1.wrk.errors }
    }
    print(errors > 0 ? "\nwrk reported \(errors) non-2xx or socket errors\n" : "")
}

/// One wrk run through a middle process, and what that process spent.
struct MiddleRun {
    let wrk: WrkResult
    let cost: ProcessCost
    var cpuPerRequest: Double { cost.cpuMicroseconds / Double(max(wrk.requests, 1)) }
    var userPerRequest: Double { cost.userMicroseconds / Double(max(wrk.requests, 1)) }
    var switchesPerRequest: Double { Double(cost.contextSwitches) / Double(max(wrk.requests, 1)) }
}

/// wrk with `args`, measuring the middle process `server` around it.
func wrkThrough(_ server: ServerProcess, _ args: [String]) async throws -> MiddleRun {
    let (wrk, cost) = try await ProcessCost.measure(pid: server.pid) {
        try await onOwnThread("wrk") { _ in try runWrk(args) }
    }
    return MiddleRun(wrk: wrk, cost: cost)
}
