import ComponentValues
import DemoBackend
import Foundation
import Gateway
import Logging
import Synchronization
import Testing
import WIT
import WRPCTransport

/// A demo backend on a Unix socket and a gateway in front of it, on an ephemeral port.
final class Stack: Sendable {
    let gateway: Gateway
    let backend: SocketListener
    let serving: Task<Void, Never>

    init(configure: (inout GatewayConfig) -> Void = { _ in }, target: String? = nil,
         logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })) throws {
        backend = try SocketListener.unix(path: NSTemporaryDirectory() + "gw-test-\(UUID().uuidString.prefix(8)).sock")
        let server = try DemoBackend.server()
        let backend = self.backend
        serving = Task { await server.serve(backend) }
        var config = GatewayConfig(target: target ?? backend.address)
        config.port = 0
        configure(&config)
        gateway = try Gateway(resolve: try DemoBackend.resolve(), config: config, logger: logger)
        try gateway.start()
    }

    var port: Int { gateway.port }

    func stop() async {
        await gateway.shutdown()
        serving.cancel()
        backend.close()
    }
}

struct Reply {
    let status: Int
    let headers: [(String, String)]
    let body: [UInt8]
    /// For a chunked body: whether its final empty chunk arrived.
    var complete = true
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first { $0.0 == name.lowercased() }?.1 }
    var json: JSONValue? { try? JSONValue(parsing: body) }
}

/// A minimal HTTP/1.1 client on a raw loopback socket: full control over
/// what is sent and when the connection goes away.
func http(_ port: Int, _ method: String, _ path: String, body: [UInt8] = [], headers: [(String, String)] = [],
          contentType: String? = "application/json") async throws -> Reply {
    let stream = try await TCPTransport(host: "127.0.0.1", port: port).connect()
    defer { stream.close() }
    var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    if let contentType, !body.isEmpty { head += "Content-Type: \(contentType)\r\n" }
    if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
    for (k, v) in headers { head += "\(k): \(v)\r\n" }
    head += "\r\n"
    try await stream.write(Array(head.utf8) + body)
    var raw: [UInt8] = []
    while case let bytes = try await stream.read(), !bytes.isEmpty { raw += bytes }
    return try parseReply(raw)
}

func parseReply(_ raw: [UInt8]) throws -> Reply {
    let separator: [UInt8] = [13, 10, 13, 10]
    guard let end = raw.indices.first(where: { raw[$0...].starts(with: separator) }) else {
        throw CLIErrorForTests("no HTTP head in \(raw.count) bytes")
    }
    let lines = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
    let status = Int(lines[0].split(separator: " ")[1])!
    let headers = lines.dropFirst().compactMap { line -> (String, String)? in
        guard let colon = line.firstIndex(of: ":") else { return nil }
        return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }
    var body = Array(raw[(end + 4)...])
    var complete = true
    if headers.contains(where: { $0.0 == "transfer-encoding" && $0.1.lowercased().contains("chunked") }) {
        (body, complete) = dechunk(body)
    }
    return Reply(status: status, headers: headers, body: body, complete: complete)
}

/// A chunked body's data, and whether it ended with the final empty chunk.
func dechunk(_ raw: [UInt8]) -> ([UInt8], Bool) {
    var out: [UInt8] = []
    var i = 0
    while i < raw.count {
        guard let lineEnd = raw[i...].firstIndex(of: 0x0D), lineEnd + 1 < raw.count else { return (out, false) }
        let sizeText = String(decoding: raw[i..<lineEnd], as: UTF8.self).split(separator: ";")[0]
        guard let size = Int(sizeText, radix: 16) else { return (out, false) }
        i = lineEnd + 2
        if size == 0 { return (out, true) }
        guard i + size <= raw.count else {
            out += raw[i...]
            return (out, false)
        }
        out += raw[i..<(i + size)]
        i += size + 2
    }
    return (out, false)
}

struct CLIErrorForTests: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

func post(_ port: Int, _ instance: String, _ function: String, _ json: String, headers: [(String, String)] = []) async throws -> Reply {
    try await http(port, "POST", "/invoke/\(instance)/\(function)", body: Array(json.utf8), headers: headers)
}

let greeter = "wrpc-gateway:demo/greeter@0.1.0"
let types = "wrpc-gateway:demo/types@0.1.0"
let keyvalue = "wrpc-gateway:demo/keyvalue@0.1.0"
let blobs = "wrpc-gateway:demo/blobs@0.1.0"

/// A loopback TCP listener that counts connections and can stay silent or cut results short.
final class FakeBackend: Sendable {
    enum Mode: Sendable { case silent, cutShort([UInt8]) }

    final class Counters: Sendable {
        /// Connections accepted.
        let accepted = Atomic<Int>(0)
        /// Connections the caller closed while we were still silent.
        let closedByCaller = Atomic<Int>(0)
    }

    let listener: SocketListener
    let counters = Counters()
    let task: Task<Void, Never>

    init(_ mode: Mode) throws {
        let listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        let counters = self.counters
        self.listener = listener
        task = Task {
            await withDiscardingTaskGroup { group in
                while let s = try? await listener.accept() {
                    counters.accepted.add(1, ordering: .relaxed)
                    group.addTask {
                        defer { s.close() }
                        switch mode {
                        case .silent:
                            // Like the Go server: no answer, connection kept open. A frame
                            // on a path nobody reads (it changes no result) finds out when
                            // the caller hangs up.
                            while let b = try? await s.read(), !b.isEmpty {}
                            while !Task.isCancelled {
                                do {
                                    try await s.write([0x01, 0x63, 0x01, 0x00])
                                    try await Task.sleep(for: .milliseconds(20))
                                } catch {
                                    break
                                }
                            }
                            counters.closedByCaller.add(1, ordering: .relaxed)
                        case .cutShort(let bytes):
                            _ = try? await s.read()
                            try? await s.write(bytes)
                        }
                    }
                }
            }
        }
    }

    var url: String { listener.address }

    func stop() {
        task.cancel()
        listener.close()
    }
}

