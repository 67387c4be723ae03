import ComponentValues
import DemoBackend
import Foundation
import WIT
import WRPCTransport

func printLoad(_ rows: [(String, LoadResult)], baseline: LoadResult) {
    print("| case | calls/s | p50 | p99 | × baseline calls/s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for (name, r) in rows {
        print("| \(name) | \(Int(r.callsPerSecond)) | \(Int(r.percentile(0.5))) µs | \(Int(r.percentile(0.99))) µs | \(String(format: "%.2f", r.callsPerSecond / baseline.callsPerSecond)) |")
    }
    print("")
}

/// A raw TCP round trip on the same sockets (connect, send 1 byte, read
/// 1 byte, close): what any RPC over a new connection costs at least.
func rawEchoServer() throws -> (port: Int, task: Task<Void, Never>) {
    let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
    let task = Task {
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                guard let s = try? await listener.accept() else { return }
                group.addTask {
                    defer { s.close() }
                    if let b = try? await s.read(), !b.isEmpty { try? await s.write(b) }
                }
            }
        }
    }
    return (listener.port!, task)
}

func transportBenchmark(shared: String) async throws {
    let server = try DemoBackend.server()
    let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
    let serving = Task { await server.serve(listener) }
    defer { serving.cancel(); listener.close() }
    let client = WRPCClient(transport: TCPTransport(host: "127.0.0.1", port: listener.port!))
    let greeter = try DemoBackend.resolve().main.interface(named: "greeter")!
    let hello = greeter.function(named: "hello")!
    var params: [UInt8] = []
    try ValueEncoder.encodeParameters(json: Array("[\"bench\"]".utf8), params: hello.params, into: &params)
    let p = params
    let instance = greeter.qualifiedName
    let call: @Sendable () async throws -> Void = {
        _ = try await client.invoke(instance: instance, function: hello, params: p, deadline: .now + .seconds(10))
    }
    let (rawPort, rawTask) = try rawEchoServer()
    defer { rawTask.cancel() }
    let raw: @Sendable () async throws -> Void = {
        let s = try await TCPTransport(host: "127.0.0.1", port: rawPort).connect()
        defer { s.close() }
        try await s.write([1])
        _ = try await s.read()
    }
    let rawSeq = try await load(concurrency: 1, duration: .seconds(3), raw)
    let seq = try await load(concurrency: 1, duration: .seconds(3), call)
    let rawConc = try await load(concurrency: 64, duration: .seconds(3), raw)
    let conc = try await load(concurrency: 64, duration: .seconds(3), call)
    print("## Transport: `greeter.hello` over loopback TCP, client → our server, a new connection per call")
    print("Baseline: a raw TCP round trip (connect, 1 byte each way, close) on the same sockets and server machinery.\n")
    printLoad([("raw TCP round trip, sequential (baseline)", rawSeq), ("wRPC hello, sequential", seq)], baseline: rawSeq)
    printLoad([("raw TCP round trip, 64 concurrent (baseline)", rawConc), ("wRPC hello, 64 concurrent", conc)], baseline: rawConc)
}
