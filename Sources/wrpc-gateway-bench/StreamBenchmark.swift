import ComponentValues
import DemoBackend
import Foundation
import TestSupport
import Logging
import WIT
import WRPCTransport

/// 1 GiB of `stream<u8>` from an HTTP client through the gateway (its own
/// process, so its peak RSS, CPU time and context switches can be read) to a
/// backend in this process that discards it; baseline: our wRPC client
/// streaming the same to the same backend directly.
func streamBenchmark(shared: String) async throws {
    guard ServerProcesses.binary != nil else {
        print("## Stream: skipped (\(ServerProcesses.skipReason))\n")
        return
    }
    let size = 1 << 30
    let blobs = try DemoBackend.resolve().main.interface(named: "blobs")!
    let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
    let serving = Task { await discardingBackend(blobs).serve(listener) }
    defer { serving.cancel(); listener.close() }

    let direct = try await directUpload(size: size, blobs: blobs, port: listener.port!)
    let relay = try await ServerProcesses.relay(to: listener.port!)
    defer { relay.stop() }
    let (relayed, relayCost) = try await ProcessCost.measure(pid: relay.pid) {
        try await directUpload(size: size, blobs: blobs, port: relay.port)
    }

    let gateway = try await ServerProcesses.gateway(target: listener.address, flags: DemoAPI.longUploadFlags)
    defer { gateway.stop() }
    let rssBefore = peakRSS(pid: gateway.pid)
    let (viaGateway, cost) = try await ProcessCost.measure(pid: gateway.pid) {
        try await onOwnThread("upload") { cancel in try upload(port: gateway.port, size: size, cancel: cancel) }
    }
    let rss = peakRSS(pid: gateway.pid)

    let mebibytes = Double(size) / Double(1 << 20)
    let directRate = Double(size) / direct.seconds / 1e6
    printTitle("Stream: 1 GiB `stream<u8>` upload to a discarding backend, loopback TCP")
    print("The gateway is a separate process (gateway flags: \(gateway.flagsDescription)); the relay row is our client through \(SpliceRelay.caption): what one more process hop costs when nothing is done with the bytes, the floor for the gateway's hop. Context switches (summed over its threads) and CPU time (user + system) are the gateway's or the relay's.\n")
    print("| case | MB/s | × baseline | ctx switches/MiB | CPU-µs/MiB | gateway peak RSS |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print("| our wRPC client → backend (baseline) | \(Int(directRate)) | 1.00 | – | – | – |")
    let relayRate = Double(size) / relayed.seconds / 1e6
    print("| our wRPC client → splice relay → backend | \(Int(relayRate)) | \(String(format: "%.2f", relayRate / directRate)) | \(relayCost.cells(per: mebibytes)) | – |")
    print("| HTTP client → gateway → backend | \(Int(viaGateway.megabytesPerSecond)) | \(String(format: "%.2f", viaGateway.megabytesPerSecond / directRate)) | \(cost.cells(per: mebibytes)) | \(rss / 1024) MiB (at start: \(rssBefore / 1024) MiB) |")
    print("\nThe gateway process used \(String(format: "%.2f", cost.cpuMicroseconds / 1e6)) CPU-seconds for the transfer, \(String(format: "%.2f", viaGateway.seconds)) s of wall time.")
    print(viaGateway.complete ? "" : "the backend did not report every byte: \(viaGateway.reply)\n")
}

/// `blobs.upload` that counts the bytes and drops them, so the figure is
/// the transport's and the gateway's, not hashing.
private func discardingBackend(_ blobs: Interface) -> WRPCServer {
    let upload = blobs.function(named: "upload")!
    var server = WRPCServer(logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
    server.handle(instance: blobs.qualifiedName, function: upload) { call in
        var total = 0
        try await call.channel.readStream(path: [0], element: .primitive(.u8)) { event in
            if case .bytes(let b) = event { total += b.count }
        }
        try await call.respond(.object([("bytes", .number(total)), ("sha256", .string(""))]))
    }
    return server
}

/// The baseline: `size` bytes in 256 KiB chunks from our wRPC client.
private func directUpload(size: Int, blobs: Interface, port: Int) async throws -> Duration {
    let upload = blobs.function(named: "upload")!
    let chunk = [UInt8](repeating: 0x5A, count: 256 << 10)
    let client = WRPCClient(transport: TCPTransport(host: "127.0.0.1", port: port))
    let start = ContinuousClock.now
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
    return ContinuousClock.now - start
}
