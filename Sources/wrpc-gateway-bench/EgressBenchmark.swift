import EventLoops
import Foundation
import TestSupport
import WasiHTTP
import WRPCTransport

/// 1 GiB down and 1 GiB up through `wrpc-gateway egress` (its own process)
/// against an origin process, next to the `curl` command line against the
/// same origin in the same run. The egress's CPU time per MiB, context
/// switches and peak RSS come from /proc; curl's CPU time from its rusage.
func egressBenchmark(shared: String) async throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else {
        print("## Egress: skipped (curl not installed)\n")
        return
    }
    guard let binary = ServerProcesses.binary else {
        print("## Egress: skipped (\(ServerProcesses.skipReason))\n")
        return
    }
    let size = Int64(ProcessInfo.processInfo.environment["EGRESS_BYTES"].flatMap { Int64($0) } ?? 1 << 30)
    let origin = try await ServerProcesses.benchOrigin()
    defer { origin.stop() }
    let egress = try await ServerProcesses.egress(binary: binary)
    defer { egress.stop() }
    let base = "http://127.0.0.1:\(origin.port)"
    // A sparse file: curl uploads zeros read from the page cache, with a Content-Length.
    let file = NSTemporaryDirectory() + "wrpc-bench-\(getpid())-upload"
    guard FileManager.default.createFile(atPath: file, contents: nil) else { throw BenchError("cannot create \(file)") }
    defer { try? FileManager.default.removeItem(atPath: file) }
    guard truncate(file, off_t(size)) == 0 else { throw BenchError("truncate \(file): errno \(errno)") }
    // Reading a hole fills the page cache with zero pages: done once here,
    // or the first direct curl upload pays it and the round's ratio shows 4×.
    try readThrough(file)

    let relay = try await ServerProcesses.relay(to: origin.port)
    defer { relay.stop() }
    let relayed = "http://127.0.0.1:\(relay.port)"

    let client = WRPCClient(transport: TCPTransport(host: "127.0.0.1", port: egress.port))
    let rounds = Int(ProcessInfo.processInfo.environment["BENCH_ROUNDS"] ?? "") ?? 2
    var down: [EgressRound] = []
    var up: [EgressRound] = []
    for _ in 0..<rounds {
        let downArgs = ["-sS", "-o", "/dev/null"]
        down.append(EgressRound(
            curl: try await curl(downArgs + ["\(base)/bytes/\(size)"], size: size),
            relay: try await curl(downArgs + ["\(relayed)/bytes/\(size)"], size: size),
            egress: try await Transfer.measure(egress.pid, size: size) {
                try await download(client, authority: "127.0.0.1:\(origin.port)", size: size)
            }))
        let upArgs = ["-sS", "-o", "/dev/null", "-H", "Expect:", "-T", file]
        up.append(EgressRound(
            curl: try await curl(upArgs + ["\(base)/sink"], size: size),
            relay: try await curl(upArgs + ["\(relayed)/sink"], size: size),
            egress: try await Transfer.measure(egress.pid, size: size) {
                try await upload(client, authority: "127.0.0.1:\(origin.port)", size: size)
            }))
    }
    let rss = peakRSS(pid: egress.pid)

    printTitle("Egress: \(size >> 20) MiB through `wrpc:http/outgoing-handler` vs the curl command line, loopback")
    print("The origin is this bench's libmicrohttpd server in a process of its own; the egress is `wrpc-gateway egress` (its own process); the caller is our wRPC client in the bench process, which discards the body it receives and sends a 256 KiB buffer over and over. curl (`curl -o /dev/null URL`, `curl -H 'Expect:' -T FILE URL` of a sparse file, without the 100-continue round trip as the egress does) fetches from and uploads to the same origin, directly and through \(SpliceRelay.caption): the relay column is what one more loopback hop costs when nothing is done with the bytes, the floor for the egress's extra hop. \(rounds) rounds of curl, curl via the relay, then egress, back to back; median figures, each ratio is the median of the rounds' ratios against direct curl (range in brackets). CPU-µs per MiB: the egress process's (user + system) and curl's.\n")
    print("| direction | curl MB/s | curl via relay MB/s | relay × curl | egress MB/s | egress × curl | curl CPU-µs/MiB | egress CPU-µs/MiB | egress ctx switches/MiB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (name, runs) in [("download", down), ("upload (Content-Length)", up)] {
        let relayRatio = ratioText(runs.map { $0.relay.megabytesPerSecond / $0.curl.megabytesPerSecond })
        let egressRatio = ratioText(runs.map { $0.egress.megabytesPerSecond / $0.curl.megabytesPerSecond })
        let rate = { (pick: (EgressRound) -> Transfer) in Int(median(runs.map { pick($0).megabytesPerSecond })) }
        let curlCPU = median(runs.map(\.curl.cpuMicrosecondsPerMiB))
        let egressCPU = median(runs.map(\.egress.cpuMicrosecondsPerMiB))
        let switches = median(runs.map(\.egress.switchesPerMiB))
        print("| \(name) | \(rate(\.curl)) | \(rate(\.relay)) | \(relayRatio) | \(rate(\.egress)) | \(egressRatio) | \(Int(curlCPU)) | \(Int(egressCPU)) | \(String(format: "%.2f", switches)) |")
    }
    print("\nThe egress process's peak RSS over all rounds: \(rss / 1024) MiB.\n")
}

/// Reads `path` to its end and drops the bytes.
private func readThrough(_ path: String) throws {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw BenchError("cannot read \(path)") }
    defer { try? handle.close() }
    while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty {}
}

/// One round of one direction: curl direct, curl through the relay, the egress.
private struct EgressRound {
    var curl: Transfer
    var relay: Transfer
    var egress: Transfer
}

/// `handle(GET /bytes/size)`: the result, then the body counted and dropped.
private func download(_ client: WRPCClient, authority: String, size: Int64) async throws {
    var head = RequestHead(method: .get, pathWithQuery: "/bytes/\(size)", scheme: .http, authority: authority, headers: Fields())
    head.body = .ready([])
    head.trailers = .ready(nil)
    let received = try await client.call(instance: WrpcHTTPWIT.outgoingInstance, name: "handle",
                                         params: head.encodeAsIncomingParameters() + [0],
                                         watchdog: Watchdog(deadline: .now + .seconds(600))) { inv -> Int64 in
        try await inv.closeWrite()
        try await expectOK(try await result(inv))
        var total: Int64 = 0
        try await inv.readStream(path: WasiHTTP.ResponseHead.bodyPath, element: .primitive(.u8)) { event in
            if case .bytes(let b) = event { total += Int64(b.count) }
        }
        return total
    }
    guard received == size else { throw BenchError("egress download: \(received) of \(size) bytes") }
}

/// `handle(PUT /sink)` with a Content-Length: the body streamed from one
/// 256 KiB buffer, then the origin's count read back.
private func upload(_ client: WRPCClient, authority: String, size: Int64) async throws {
    var head = RequestHead(method: .put, pathWithQuery: "/sink", scheme: .http, authority: authority,
                           headers: Fields([("content-length", [Array("\(size)".utf8)])]))
    head.trailers = .ready(nil)
    let chunk = [UInt8](repeating: 0x5A, count: 256 << 10)
    let reply = try await client.call(instance: WrpcHTTPWIT.outgoingInstance, name: "handle",
                                      params: head.encodeAsIncomingParameters() + [0],
                                      watchdog: Watchdog(deadline: .now + .seconds(600))) { inv -> [UInt8] in
        var sent: Int64 = 0
        while sent < size {
            let n = Int(min(Int64(chunk.count), size - sent))
            try await inv.sendStreamChunk(path: RequestHead.bodyPath, bytes: n == chunk.count ? chunk : Array(chunk[..<n]))
            sent += Int64(n)
        }
        try await inv.endStream(path: RequestHead.bodyPath)
        try await inv.closeWrite()
        try await expectOK(try await result(inv))
        var body: [UInt8] = []
        try await inv.readStream(path: WasiHTTP.ResponseHead.bodyPath, element: .primitive(.u8)) { event in
            if case .bytes(let b) = event { body += b }
        }
        return body
    }
    guard String(decoding: reply, as: UTF8.self) == "\(size)" else {
        throw BenchError("egress upload: the origin counted \(String(decoding: reply, as: UTF8.self)) of \(size) bytes")
    }
}

private func result(_ inv: Invocation) async throws -> HandleResult {
    var root: [UInt8] = []
    while true {
        if let r = try HandleResult.decode(root) { return r }
        guard let more = try await inv.next(path: []) else { throw BenchError("the egress closed before its result") }
        root += more
    }
}

private func expectOK(_ result: HandleResult) async throws {
    guard case .response(let head) = result, head.status == 200 else { throw BenchError("egress answered \(result)") }
}
