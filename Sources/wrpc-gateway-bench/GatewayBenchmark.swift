import ComponentValues
import DemoBackend
import Foundation
import WIT
import WRPCTransport

/// HTTP → gateway process → demo-backend process, `greeter.hello`, driven by
/// wrk, next to our wRPC client calling the same backend process directly in
/// the same run. Each gateway row also says what the gateway process spent
/// per request: context switches and CPU time.
func gatewayBenchmark(shared: String) async throws {
    if let reason = ServerProcesses.wrkSkipReason {
        print("## Gateway: skipped (\(reason))\n")
        return
    }
    let backend = try await ServerProcesses.demoBackend()
    defer { backend.stop() }
    let gateway = try await ServerProcesses.gateway(target: "tcp://127.0.0.1:\(backend.port)")
    defer { gateway.stop() }

    let relay = try await ServerProcesses.relay(to: backend.port)
    defer { relay.stop() }

    let direct = try directHello(port: backend.port)
    let relayed = try directHello(port: relay.port)
    let script = NSTemporaryDirectory() + "wrpc-bench-\(getpid()).lua"
    try writeHelloScript(to: script)
    defer { try? FileManager.default.removeItem(atPath: script) }
    let url = "http://127.0.0.1:\(gateway.port)\(DemoAPI.hello)"
    let wrkThreads = ProcessInfo.processInfo.environment["WRK_THREADS"] ?? "2"
    // Rounds of baseline and gateway back to back: on a shared machine the
    // speed drifts within seconds, and a ratio is only fair within a round.
    let rounds = Int(ProcessInfo.processInfo.environment["BENCH_ROUNDS"] ?? "") ?? 3
    var seq: [GatewayRound] = []
    var conc: [GatewayRound] = []
    for _ in 0..<rounds {
        let d1 = try await load(concurrency: 1, duration: .seconds(2), direct)
        let r1 = try await ProcessCost.measure(pid: relay.pid) { try await load(concurrency: 1, duration: .seconds(2), relayed) }
        let g1 = try await wrkThrough(gateway, ["-t1", "-c1", "-d2s", "--latency", "-s", script, url])
        seq.append(GatewayRound(direct: d1, relay: r1.0, relayCost: r1.1, gateway: g1))
        let d64 = try await load(concurrency: 64, duration: .seconds(2), direct)
        let r64 = try await ProcessCost.measure(pid: relay.pid) { try await load(concurrency: 64, duration: .seconds(2), relayed) }
        let g64 = try await wrkThrough(gateway, ["-t\(wrkThreads)", "-c64", "-d3s", "--latency", "-s", script, url])
        conc.append(GatewayRound(direct: d64, relay: r64.0, relayCost: r64.1, gateway: g64))
    }

    printTitle("Gateway: HTTP → gateway → demo backend, `greeter.hello`, loopback TCP")
    print("Gateway and demo backend are separate processes (gateway flags: \(gateway.flagsDescription)). wrk drives HTTP (keep-alive); the direct rows are our wRPC client (on its own event loops) calling the same backend process; the relay rows are the same client calling through \(SpliceRelay.caption): what one more process hop costs when nothing is done with the bytes, the floor for the gateway's hop. \(rounds) rounds of baseline, relay, then gateway, back to back; each figure is the median over the rounds, the ratio is the median of the rounds' own ratios (their range in brackets). Context switches (summed over the process's threads; involuntary ones — preempted by wrk or the backend on the same two cores — in brackets) and CPU time (user + system) are the gateway's or the relay's, per request.\n")
    print("| case | calls/s | p50 | p99 | × direct calls/s | p50 added | ctx switches/req | CPU-µs/req |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    printRows("sequential", "1 connection", seq)
    printRows("64 concurrent", "64 connections", conc)
    print("")
    let all = (seq + conc).map(\.gateway)
    if let run = all.first(where: { $0.cost.threadsBefore != $0.cost.threadsAfter }) {
        print("The gateway's thread count went from \(run.cost.threadsBefore) to \(run.cost.threadsAfter) during a run: switches of threads that exited in between are not counted.\n")
    }
    let errors = all.reduce(0) { $0 + $1.wrk.errors }
    if errors > 0 { print("wrk reported \(errors) non-2xx or socket errors\n") }
}

/// The baseline, relay and gateway rows of one concurrency, over the rounds.
private func printRows(_ directName: String, _ gatewayName: String, _ rounds: [GatewayRound]) {
    let base = rounds.map(\.direct)
    let baseRate = median(base.map(\.callsPerSecond))
    let baseP50 = median(base.map { $0.percentile(0.5) })
    print("| direct client → backend, \(directName) (baseline) | \(Int(baseRate)) | \(Int(baseP50)) µs | \(Int(median(base.map { $0.percentile(0.99) }))) µs | 1.00 | – | – | – |")
    let relays = rounds.map(\.relay)
    let relayRatio = ratioText(rounds.map { $0.relay.callsPerSecond / $0.direct.callsPerSecond })
    let relayAdded = median(rounds.map { $0.relay.percentile(0.5) - $0.direct.percentile(0.5) })
    let middleRelay = rounds.sorted { $0.relay.callsPerSecond < $1.relay.callsPerSecond }[rounds.count / 2]
    print("| direct client → splice relay → backend, \(directName) | \(Int(median(relays.map(\.callsPerSecond)))) | \(Int(median(relays.map { $0.percentile(0.5) }))) µs | \(Int(median(relays.map { $0.percentile(0.99) }))) µs | \(relayRatio) | \(Int(relayAdded)) µs | \(middleRelay.relayCost.cells(per: Double(middleRelay.relay.calls))) |")
    let runs = rounds.map(\.gateway)
    let ratios = rounds.map { $0.gateway.wrk.rate / $0.direct.callsPerSecond }
    let added = rounds.map { $0.gateway.wrk.p50 - $0.direct.percentile(0.5) }
    let ratio = ratioText(ratios)
    // The cost cells of the median round by rate.
    let middle = runs.sorted { $0.wrk.rate < $1.wrk.rate }[runs.count / 2]
    print("| HTTP via gateway, \(gatewayName) | \(Int(median(runs.map(\.wrk.rate)))) | \(Int(median(runs.map(\.wrk.p50)))) µs | \(Int(median(runs.map(\.wrk.p99)))) µs | \(ratio) | \(Int(median(added))) µs | \(middle.cost.cells(per: Double(middle.wrk.requests))) |")
}

/// One round of one concurrency: the direct client, the same through the
/// relay (and what the relay spent), and wrk through the gateway.
private struct GatewayRound {
    let direct: LoadResult
    let relay: LoadResult
    let relayCost: ProcessCost
    let gateway: MiddleRun
}

/// One `greeter.hello` call from our wRPC client straight to the backend.
private func directHello(port: Int) throws -> @Sendable () async throws -> Void {
    let greeter = try DemoBackend.resolve().main.interface(named: "greeter")!
    let hello = greeter.function(named: "hello")!
    var params: [UInt8] = []
    try ValueEncoder.encodeParameters(json: Array("[\"bench\"]".utf8), params: hello.params, into: &params)
    let encoded = params
    let instance = greeter.qualifiedName
    let client = WRPCClient(transport: TCPTransport(host: "127.0.0.1", port: port))
    return {
        _ = try await client.invoke(instance: instance, function: hello, params: encoded, deadline: .now + .seconds(10))
    }
}
