import DemoBackend
import Foundation
import Gateway
import Logging
import TestSupport
import WasiHTTP
import WRPCTransport

/// A wRPC server on loopback TCP serving `incoming-handler.handle` with
/// `handler` (the demo's app when nil).
final class IncomingBackend: Sendable {
    let listener: SocketListener
    let serving: Task<Void, Never>

    init(_ handler: WRPCServer.RawHandler? = nil) throws {
        listener = try SocketListener.tcp(host: "127.0.0.1", port: 0)
        var server: WRPCServer
        if let handler {
            server = WRPCServer(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            server.handleRaw(instance: WrpcHTTPWIT.incomingInstance, name: "handle", handler)
        } else {
            server = try DemoBackend.server(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        }
        let listener = self.listener
        serving = Task { await server.serve(listener) }
    }

    var url: String { listener.address }

    func stop() {
        serving.cancel()
        listener.close()
    }
}

/// A gateway that only forwards: no WIT.
func forwardingGateway(_ forwards: [ForwardRoute], configure: (inout GatewayConfig) -> Void = { _ in }) throws -> Gateway {
    var config = GatewayConfig(targets: [])
    config.port = 0
    config.forwards = forwards
    configure(&config)
    let gateway = try Gateway(resolve: nil, config: config, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    try gateway.start()
    return gateway
}

/// Sends `request` as it is on a fresh connection and reads everything
/// until the server closes (send `Connection: close`).
func rawHTTP(_ port: Int, _ request: String, body: [UInt8] = []) async throws -> [UInt8] {
    let stream = try await TCPTransport(host: "127.0.0.1", port: port).connect()
    defer { stream.close() }
    try await stream.write(Array(request.utf8) + body)
    var raw: [UInt8] = []
    while case let bytes = try await stream.read(), !bytes.isEmpty { raw += bytes }
    return raw
}

/// The trailer lines after a chunked body's last chunk, names in lower case.
func chunkedTrailers(_ raw: [UInt8]) -> [(String, String)] {
    let text = String(decoding: raw, as: UTF8.self)
    guard let end = text.range(of: "\r\n0\r\n") else { return [] }
    return text[end.upperBound...].components(separatedBy: "\r\n").compactMap { line in
        guard let colon = line.firstIndex(of: ":") else { return nil }
        return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }
}
