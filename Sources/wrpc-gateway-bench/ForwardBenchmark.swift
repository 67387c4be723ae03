import ComponentValues
import DemoBackend
import Foundation
import TestSupport
import Logging
import WasiHTTP
import WIT
import WRPCTransport

/// 1 GiB up and down through a forward (`--forward /app=…`, plain HTTP to
/// `wrpc:http/incoming-handler`) against the same through `/invoke` with a
/// raw body (`blobs.upload`, `blobs.download`), same gateway process, same
/// backend, same curl, same run; then small requests per second through a
/// forward against `/invoke` `greeter.hello` with wrk.
func forwardBenchmark(shared: String) async throws {
    guard ServerProcesses.binary != nil, FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else {
        print("## Forward: skipped (\(ServerProcesses.skipReason); curl needed)\n")
        return
    }
    let size = Int64(ProcessInfo.processInfo.environment["FORWARD_BYTES"].flatMap { Int64($0) } ?? 1 << 30)
    let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
    let backend = try forwardBenchBackend()
    let serving = Task { await backend.serve(listener) }
    defer { serving.cancel(); listener.close() }
    let gateway = try await ServerProcesses.gateway(target: listener.address,
                                                    flags: DemoAPI.longUploadFlags + ["--forward", "/app=\(listener.address)", "--timeout-ms", "600000"])
    defer { gateway.stop() }
    let base = "http://127.0.0.1:\(gateway.port)"
    let file = NSTemporaryDirectory() + "wrpc-bench-\(getpid())-forward-upload"
    guard FileManager.default.createFile(atPath: file, contents: nil) else { throw BenchError("cannot create \(file)") }
    defer { try? FileManager.default.removeItem(atPath: file) }
    guard truncate(file, off_t(size)) == 0 else { throw BenchError("truncate \(file): errno \(errno)") }

    let rounds = Int(ProcessInfo.processInfo.environment["BENCH_ROUNDS"] ?? "") ?? 3
    let octets = ["-H", "Content-Type: application/octet-stream", "-H", "Expect:", "-H", "Wrpc-Timeout-Ms: 600000"]
    var up: [(Transfer, Transfer)] = []
    var down: [(Transfer, Transfer)] = []
    // The gateway's peak resident set during each kind of transfer, in KiB.
    var peaks: [String: Int] = [:]
    func measure(_ name: String, _ body: () async throws -> Void) async throws -> Transfer {
        resetPeakRSS(pid: gateway.pid)
        let t = try await Transfer.measure(gateway.pid, size: size, body)
        peaks[name] = max(peaks[name] ?? 0, peakRSS(pid: gateway.pid))
        return t
    }
    for _ in 0..<rounds {
        let invokeUp = try await measure("invoke upload") {
            _ = try await curl(["-sS", "-f", "-o", "/dev/null", "-X", "POST"] + octets + ["-T", file, base + DemoAPI.upload], size: size)
        }
        let forwardUp = try await measure("forward upload") {
            _ = try await curl(["-sS", "-f", "-o", "/dev/null", "-H", "Expect:", "-T", file, "\(base)/app/sink"], size: size)
        }
        up.append((invokeUp, forwardUp))
        let invokeDown = try await measure("invoke download") {
            _ = try await curl(["-sS", "-f", "-o", "/dev/null", "-H", "Accept: application/octet-stream", "--json", #"{"n":\#(size)}"#,
                                base + "/invoke/wrpc-gateway:demo/blobs@0.1.0/download"], size: size)
        }
        let forwardDown = try await measure("forward download") {
            _ = try await curl(["-sS", "-f", "-o", "/dev/null", "\(base)/app/bytes/\(size)"], size: size)
        }
        down.append((invokeDown, forwardDown))
    }

    printTitle("Forward: \(size >> 20) MiB through a forward vs `/invoke` with a raw body, loopback TCP")
    print("One gateway process (`serve --wit demo/wit --forward /app=…`, its own process) in front of one backend in the bench process that serves both `blobs.upload`/`blobs.download` and `incoming-handler.handle` (`/sink` counts and drops, `/bytes/N` sends a 256 KiB buffer over and over: the same work either way). curl is the client for both (`-T` of a sparse file without `Expect`, `-o /dev/null`). \(rounds) rounds of /invoke then forward, back to back; median figures, the ratio is the median of the rounds' ratios (range in brackets). CPU-µs per MiB: the gateway process's (user + system); peak RSS: the gateway process's during that kind of transfer (its VmHWM reset before each, so memory the allocator kept from an earlier transfer counts too), highest over the rounds.\n")
    print("| direction | /invoke raw MB/s | forward MB/s | × /invoke | /invoke CPU-µs/MiB | forward CPU-µs/MiB | /invoke peak RSS | forward peak RSS |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (name, runs) in [("upload", up), ("download", down)] {
        let ratios = runs.map { $0.1.megabytesPerSecond / $0.0.megabytesPerSecond }
        let ratio = ratioText(ratios)
        print("| \(name) | \(Int(median(runs.map(\.0.megabytesPerSecond)))) | \(Int(median(runs.map(\.1.megabytesPerSecond)))) | \(ratio) | \(Int(median(runs.map(\.0.cpuMicrosecondsPerMiB)))) | \(Int(median(runs.map(\.1.cpuMicrosecondsPerMiB)))) | \((peaks["invoke \(name)"] ?? 0) / 1024) MiB | \((peaks["forward \(name)"] ?? 0) / 1024) MiB |")
    }
    print("\nCPU: \(machineDescription()).\n")

    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") else {
        print("Small requests: skipped (wrk not installed)\n")
        return
    }
    let script = NSTemporaryDirectory() + "wrpc-bench-\(getpid())-forward.lua"
    try writeHelloScript(to: script)
    defer { try? FileManager.default.removeItem(atPath: script) }
    var small: [(WrkResult, WrkResult)] = []
    for _ in 0..<max(rounds, 3) {
        let invoke = try await onOwnThread("wrk") { _ in try runWrk(["-t2", "-c64", "-d3s", "--latency", "-s", script, base + DemoAPI.hello]) }
        let forward = try await onOwnThread("wrk") { _ in try runWrk(["-t2", "-c64", "-d3s", "--latency", "\(base)/app/hello"]) }
        small.append((invoke, forward))
    }
    let ratios = small.map { $0.1.rate / $0.0.rate }
    print("| small requests, 64 connections (wrk) | calls/s | p50 | p99 | × /invoke |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print("| POST /invoke greeter.hello (baseline) | \(Int(median(small.map(\.0.rate)))) | \(Int(median(small.map(\.0.p50)))) µs | \(Int(median(small.map(\.0.p99)))) µs | 1.00 |")
    print("| GET /app/hello through a forward | \(Int(median(small.map(\.1.rate)))) | \(Int(median(small.map(\.1.p50)))) µs | \(Int(median(small.map(\.1.p99)))) µs | \(ratioText(ratios)) |")
    let errors = small.reduce(0) { $0 + $1.0.errors + $1.1.errors }
    print(errors > 0 ? "\nwrk reported \(errors) non-2xx or socket errors\n" : "")
}

/// The bench's backend: `greeter.hello`, `blobs.upload` (counts, drops),
/// `blobs.download` (any size), and an incoming handler with the same work.
private func forwardBenchBackend() throws -> WRPCServer {
    let demo = try DemoBackend.resolve().main
    let blobs = demo.interface(named: "blobs")!
    let greeter = demo.interface(named: "greeter")!
    var server = WRPCServer(logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
    server.handle(instance: greeter.qualifiedName, function: greeter.function(named: "hello")!) { params in
        .string("Hello, \(params.first?.stringValue ?? "stranger")!")
    }
    server.handle(instance: blobs.qualifiedName, function: blobs.function(named: "upload")!) { call in
        var total = 0
        try await call.channel.readStream(path: [0], element: .primitive(.u8)) { event in
            if case .bytes(let b) = event { total += b.count }
        }
        try await call.respond(.object([("bytes", .number(total)), ("sha256", .string(""))]))
    }
    let chunk = [UInt8](repeating: 0x5A, count: 256 << 10)
    server.handle(instance: blobs.qualifiedName, function: blobs.function(named: "download")!) { call in
        let n = Int(call.params.first?.uint64Value ?? 0)
        try await call.channel.send(path: [], data: [0])
        try await sendChunks(n, chunk) { try await call.channel.sendStreamChunk(path: [0], bytes: $0) }
        try await call.channel.endStream(path: [0])
    }
    server.handleRaw(instance: WrpcHTTPWIT.incomingInstance, name: "handle") { inv in
        let request = try await WireValue.collect("parameters", maxBytes: 1 << 20, next: { try await inv.next(path: []) },
                                                  endedEarly: ProtocolError.malformed("early"), RequestHead.decodeIncoming)
        let path = request.pathWithQuery ?? "/"
        var body: [UInt8] = []
        var length = 0
        if path == "/sink" {
            var total = 0
            try await DemoHTTP.body(of: request, inv) { total += $0.count }
            body = Array(#"{"bytes":\#(total)}"#.utf8)
            length = body.count
        } else if path.hasPrefix("/bytes/") {
            length = Int(path.dropFirst(7)) ?? 0
        } else {
            body = Array("Hello, bench!".utf8)
            length = body.count
        }
        let head = ResponseHead(status: 200, headers: Fields([("content-length", [Array(String(length).utf8)])]))
        try await inv.send(path: [], data: HandleResult.response(head).encode())
        if path.hasPrefix("/bytes/") {
            try await sendChunks(length, chunk) { try await inv.sendStreamChunk(path: ResponseHead.bodyPath, bytes: $0) }
        } else {
            try await inv.sendStreamChunk(path: ResponseHead.bodyPath, bytes: body)
        }
        try await inv.endStream(path: ResponseHead.bodyPath)
        try await inv.send(path: ResponseHead.trailersPath, data: [0])
    }
    return server
}

private func sendChunks(_ n: Int, _ chunk: [UInt8], _ send: ([UInt8]) async throws -> Void) async throws {
    var sent = 0
    while sent < n {
        let size = min(chunk.count, n - sent)
        try await send(size == chunk.count ? chunk : Array(chunk[0..<size]))
        sent += size
    }
}
