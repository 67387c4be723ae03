import ComponentValues
import DemoBackend
import Foundation
import Logging
import WIT
import WRPCTransport

/// 1 GiB of `stream<u8>` from an HTTP client through the gateway (its own
/// process, so its peak RSS can be read) to a backend that discards it;
/// baseline: our wRPC client streaming the same to the same backend directly.
func streamBenchmark(shared: String) async throws {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("wrpc-gateway").path
    guard FileManager.default.isExecutableFile(atPath: binary), FileManager.default.fileExists(atPath: "demo/wit/demo.wit") else {
        print("## Stream: skipped (build wrpc-gateway in the same configuration, and run from the package root)\n")
        return
    }
    let size = 1 << 30
    let resolve = try DemoBackend.resolve()
    let blobs = resolve.main.interface(named: "blobs")!
    let upload = blobs.function(named: "upload")!
    var server = WRPCServer(logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
    server.handle(instance: blobs.qualifiedName, function: upload) { call in
        var total = 0
        try await call.channel.readStream(path: [0], element: .primitive(.u8)) { event in
            if case .bytes(let b) = event { total += b.count }
        }
        try await call.respond(.object([("bytes", .number(total)), ("sha256", .string(""))]))
    }
    let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
    let serving = Task { await server.serve(listener) }
    defer { serving.cancel(); listener.close() }

    let chunk = [UInt8](repeating: 0x5A, count: 256 << 10)
    // Baseline: straight to the backend.
    let client = WRPCClient(transport: TCPTransport(host: "127.0.0.1", port: listener.port!))
    let t0 = ContinuousClock.now
    _ = try await client.call(instance: blobs.qualifiedName, name: upload.wireName, params: [0], deadline: .now + .seconds(600)) { inv in
        var sent = 0
        while sent < size {
            try await inv.sendStreamChunk(path: [0], bytes: chunk)
            sent += chunk.count
        }
        try await inv.endStream(path: [0])
        try await inv.closeWrite()
        return try await inv.readValues(types: [upload.result!], shape: .bare).json
    }
    let direct = ContinuousClock.now - t0

    // Through the gateway, a separate process.
    let probe = try SocketListener.tcp(host: "127.0.0.1", port: 0)
    let port = probe.port!
    probe.close()
    let gateway = Process()
    gateway.executableURL = URL(fileURLWithPath: binary)
    gateway.arguments = ["serve", "--wit", "demo/wit", "--target", listener.address, "--listen", "127.0.0.1:\(port)", "--log-level", "error", "--max-header-bytes", ProcessInfo.processInfo.environment["MHD_MEM"] ?? "32768"]
    try gateway.run()
    defer { gateway.terminate(); gateway.waitUntilExit() }
    var stream: (any ByteStream)?
    for _ in 0..<100 {
        stream = try? await TCPTransport(host: "127.0.0.1", port: port).connect()
        if stream != nil { break }
        try await Task.sleep(for: .milliseconds(50))
    }
    guard let http = stream else { print("## Stream: the gateway did not start\n"); return }
    defer { http.close() }
    let rssBefore = peakRSS(pid: gateway.processIdentifier)
    let cpuBefore = cpuSeconds(pid: gateway.processIdentifier)
    let t1 = ContinuousClock.now
    try await http.write(Array("POST /invoke/\(blobs.qualifiedName)/upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/octet-stream\r\nContent-Length: \(size)\r\n\r\n".utf8))
    var sent = 0
    while sent < size {
        try await http.write(chunk)
        sent += chunk.count
    }
    var reply: [UInt8] = []
    while case let b = try await http.read(), !b.isEmpty { reply += b }
    let viaGateway = ContinuousClock.now - t1
    let rss = peakRSS(pid: gateway.processIdentifier)
    let cpu = cpuSeconds(pid: gateway.processIdentifier) - cpuBefore
    let ok = String(decoding: reply, as: UTF8.self).contains("\"bytes\":\(size)")

    func mbps(_ d: Duration) -> Double {
        Double(size) / (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18) / 1e6
    }
    print("## Stream: 1 GiB `stream<u8>` upload to a discarding backend, loopback TCP")
    print("| case | MB/s | × baseline | gateway peak RSS |")
    print("| --- | ---: | ---: | ---: |")
    print("| our wRPC client → backend (baseline) | \(Int(mbps(direct))) | 1.00 | – |")
    print("| HTTP client → gateway → backend | \(Int(mbps(viaGateway))) | \(String(format: "%.2f", mbps(viaGateway) / mbps(direct))) | \(rss / 1024) MiB (at start: \(rssBefore / 1024) MiB) |")
    print("\nThe gateway process used \(String(format: "%.2f", cpu)) CPU-seconds for the transfer, \(String(format: "%.2f", Double(viaGateway.components.seconds) + Double(viaGateway.components.attoseconds) / 1e18)) s of wall time.")
    print(ok ? "" : "the backend did not report every byte: \(String(decoding: reply.suffix(200), as: UTF8.self))\n")
}

/// VmHWM of a process, in KiB.
func peakRSS(pid: Int32) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
    }
    return 0
}

/// User plus system CPU time of a process, in seconds.
func cpuSeconds(pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // Fields 14 and 15 of the file (utime, stime) are 11 and 12 after the name.
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
