import ComponentValues
import DemoBackend
import Foundation
import Gateway
import Logging
import WIT
import WRPCTransport

/// HTTP → gateway → our wRPC server, `greeter.hello`, driven by wrk, next
/// to the direct client → server figure measured in the same run.
func gatewayBenchmark(shared: String) async throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") else {
        print("## Gateway: skipped (wrk not installed; apt-get install wrk)\n")
        return
    }
    let server = try DemoBackend.server(logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
    let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
    let serving = Task { await server.serve(listener) }
    defer { serving.cancel(); listener.close() }
    var config = GatewayConfig(target: listener.address)
    config.port = 0
    let gateway = try Gateway(resolve: try DemoBackend.resolve(), config: config,
                              logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
    try gateway.start()
    defer { Task { await gateway.shutdown() } }

    let greeter = try DemoBackend.resolve().main.interface(named: "greeter")!
    let hello = greeter.function(named: "hello")!
    var params: [UInt8] = []
    try ValueEncoder.encodeParameters(json: Array("[\"bench\"]".utf8), params: hello.params, into: &params)
    let p = params
    let client = WRPCClient(transport: TCPTransport(host: "127.0.0.1", port: listener.port!))
    let instance = greeter.qualifiedName
    let direct: @Sendable () async throws -> Void = {
        _ = try await client.invoke(instance: instance, function: hello, params: p, deadline: .now + .seconds(10))
    }
    let directSeq = try await load(concurrency: 1, duration: .seconds(3), direct)
    let directConc = try await load(concurrency: 64, duration: .seconds(3), direct)

    let script = NSTemporaryDirectory() + "wrpc-bench-\(getpid()).lua"
    try """
        wrk.method = "POST"
        wrk.body = '{"name":"bench"}'
        wrk.headers["Content-Type"] = "application/json"
        """.write(toFile: script, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: script) }
    let url = "http://127.0.0.1:\(gateway.port)/invoke/\(instance)/hello"
    let seq = try runWrk(["-t1", "-c1", "-d3s", "--latency", "-s", script, url])
    let conc = try runWrk(["-t\(ProcessInfo.processInfo.environment["WRK_THREADS"] ?? "2")", "-c64", "-d5s", "--latency", "-s", script, url])

    print("## Gateway: HTTP → gateway → our wRPC server, `greeter.hello`, loopback TCP")
    print("wrk drives HTTP (keep-alive); the direct rows are our wRPC client calling the same server in the same run.\n")
    print("| case | calls/s | p50 | p99 | gateway ÷ direct calls/s | p50 added |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    func row(_ name: String, _ rate: Double, _ p50: Double, _ p99: Double, _ base: LoadResult?) {
        let ratio = base.map { String(format: "%.2f", rate / $0.callsPerSecond) } ?? "1.00"
        let added = base.map { "\(Int(p50 - $0.percentile(0.5))) µs" } ?? "–"
        print("| \(name) | \(Int(rate)) | \(Int(p50)) µs | \(Int(p99)) µs | \(ratio) | \(added) |")
    }
    row("direct client → server, sequential (baseline)", directSeq.callsPerSecond, directSeq.percentile(0.5), directSeq.percentile(0.99), nil)
    row("HTTP via gateway, sequential", seq.rate, seq.p50, seq.p99, directSeq)
    row("direct client → server, 64 concurrent (baseline)", directConc.callsPerSecond, directConc.percentile(0.5), directConc.percentile(0.99), nil)
    row("HTTP via gateway, 64 connections", conc.rate, conc.p50, conc.p99, directConc)
    print("")
    if conc.errors > 0 || seq.errors > 0 { print("wrk reported \(seq.errors + conc.errors) non-2xx or socket errors\n") }
}

struct WrkResult {
    var rate = 0.0
    var p50 = 0.0
    var p99 = 0.0
    var errors = 0
}

func runWrk(_ args: [String]) throws -> WrkResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
    process.arguments = args
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    var result = WrkResult()
    func micros(_ s: Substring) -> Double {
        let t = s.trimmingCharacters(in: .whitespaces)
        for (suffix, factor) in [("us", 1.0), ("ms", 1e3), ("s", 1e6)] where t.hasSuffix(suffix) {
            return (Double(t.dropLast(suffix.count)) ?? 0) * factor
        }
        return 0
    }
    for line in text.split(separator: "\n") {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        if line.hasPrefix("Requests/sec:"), parts.count > 1 { result.rate = Double(parts[1]) ?? 0 }
        if parts.count == 2, parts[0] == "50%" { result.p50 = micros(parts[1]) }
        if parts.count == 2, parts[0] == "99%" { result.p99 = micros(parts[1]) }
        if line.contains("Non-2xx") || line.contains("Socket errors") {
            result.errors += parts.compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }.reduce(0, +)
        }
    }
    return result
}
