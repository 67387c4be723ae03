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
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") else {
        print("## Gateway: skipped (wrk not installed; apt-get install wrk)\n")
        return
    }
    guard ServerProcesses.binary != nil else {
        print("## Gateway: skipped (\(ServerProcesses.skipReason))\n")
        return
    }
    let backend = try await ServerProcesses.demoBackend()
    defer { backend.stop() }
    let gateway = try await ServerProcesses.gateway(target: "tcp://127.0.0.1:\(backend.port)")
    defer { gateway.stop() }

    let direct = try directHello(port: backend.port)
    let directSeq = try await load(concurrency: 1, duration: .seconds(3), direct)
    let directConc = try await load(concurrency: 64, duration: .seconds(3), direct)

    let script = NSTemporaryDirectory() + "wrpc-bench-\(getpid()).lua"
    try """
        wrk.method = "POST"
        wrk.body = '\(String(decoding: DemoAPI.helloBody, as: UTF8.self))'
        wrk.headers["Content-Type"] = "application/json"
        """.write(toFile: script, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: script) }
    let url = "http://127.0.0.1:\(gateway.port)\(DemoAPI.hello)"
    let wrkThreads = ProcessInfo.processInfo.environment["WRK_THREADS"] ?? "2"
    let seq = try await wrkAgainst(gateway, ["-t1", "-c1", "-d3s", "--latency", "-s", script, url])
    let conc = try await wrkAgainst(gateway, ["-t\(wrkThreads)", "-c64", "-d5s", "--latency", "-s", script, url])

    printTitle("Gateway: HTTP → gateway → demo backend, `greeter.hello`, loopback TCP")
    print("Gateway and demo backend are separate processes (gateway flags: \(gateway.flagsDescription)). wrk drives HTTP (keep-alive); the direct rows are our wRPC client calling the same backend process in the same run. Context switches (summed over the gateway's threads) and CPU time (user + system) are the gateway process's, per request.\n")
    print("| case | calls/s | p50 | p99 | × direct calls/s | p50 added | ctx switches/req | CPU-µs/req |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    printDirectRow("direct client → backend, sequential (baseline)", directSeq)
    printGatewayRow("HTTP via gateway, sequential", seq, base: directSeq)
    printDirectRow("direct client → backend, 64 concurrent (baseline)", directConc)
    printGatewayRow("HTTP via gateway, 64 connections", conc, base: directConc)
    print("")
    if let run = [seq, conc].first(where: { $0.cost.threadsBefore != $0.cost.threadsAfter }) {
        print("The gateway's thread count went from \(run.cost.threadsBefore) to \(run.cost.threadsAfter) during a run: switches of threads that exited in between are not counted.\n")
    }
    if conc.wrk.errors > 0 || seq.wrk.errors > 0 { print("wrk reported \(seq.wrk.errors + conc.wrk.errors) non-2xx or socket errors\n") }
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

/// A wrk run, and what the gateway process spent during it.
private struct GatewayRun {
    let wrk: WrkResult
    let cost: ProcessCost
}

private func wrkAgainst(_ gateway: ServerProcess, _ args: [String]) async throws -> GatewayRun {
    let (wrk, cost) = try await ProcessCost.measure(pid: gateway.pid) {
        try await onOwnThread("wrk") { _ in try runWrk(args) }
    }
    return GatewayRun(wrk: wrk, cost: cost)
}

private func printDirectRow(_ name: String, _ r: LoadResult) {
    print("| \(name) | \(Int(r.callsPerSecond)) | \(Int(r.percentile(0.5))) µs | \(Int(r.percentile(0.99))) µs | 1.00 | – | – | – |")
}

private func printGatewayRow(_ name: String, _ run: GatewayRun, base: LoadResult) {
    let w = run.wrk
    let ratio = String(format: "%.2f", w.rate / base.callsPerSecond)
    let added = "\(Int(w.p50 - base.percentile(0.5))) µs"
    print("| \(name) | \(Int(w.rate)) | \(Int(w.p50)) µs | \(Int(w.p99)) µs | \(ratio) | \(added) | \(run.cost.cells(per: Double(w.requests))) |")
}
