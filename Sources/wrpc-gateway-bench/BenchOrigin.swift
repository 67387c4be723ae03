import Foundation
import Gateway

/// The HTTP origin of the egress benchmark: this binary, started again as
/// `wrpc-gateway-bench --serve-origin PORT`, serving with the gateway's own
/// libmicrohttpd server in a process of its own (so neither the egress nor
/// the curl baseline shares a process with it).
/// - `GET /bytes/N`: N bytes with a Content-Length;
/// - `PUT /sink` (any method): reads the body as it arrives, answers its length.
final class BenchOrigin: HTTPResponder {
    private static let piece = [UInt8](repeating: 0x42, count: 256 << 10)

    func respond(to request: HTTPRequest, sink: any ResponseSink) async {
        if request.path.hasPrefix("/bytes/"), let n = Int64(request.path.dropFirst("/bytes/".count)) {
            guard (try? await sink.head(ResponseHead(status: 200, headers: [("Content-Type", "application/octet-stream")], length: n))) != nil
            else { return }
            var sent: Int64 = 0
            while sent < n {
                let size = Int(min(Int64(Self.piece.count), n - sent))
                guard (try? await sink.write(size == Self.piece.count ? Self.piece : Array(Self.piece[..<size]))) != nil else { return }
                sent += Int64(size)
            }
            try? await sink.finish()
        } else if request.path == "/sink" {
            var total = 0
            while let piece = try? await request.bodyStream?.next() { total += piece.count }
            try? await sink.respond(HTTPResponse(status: 200, body: Array("\(total)".utf8)))
        } else {
            try? await sink.respond(HTTPResponse(status: 404))
        }
    }

    func streamsBody(method: String, path: String, headers: [(String, String)]) -> Bool { path == "/sink" }

    func reject(_ rejection: HTTPRejection, _ request: HTTPRequest) -> HTTPResponse { HTTPResponse(status: 400) }

    /// Serves on 127.0.0.1:`port` until the process is ended.
    static func serve(port: Int) async throws -> Never {
        var limits = HTTPLimits()
        limits.maxBodyBytes = Int.max
        limits.idleTimeoutSeconds = 600
        let server = HTTPServer(limits: limits, responder: BenchOrigin())
        try server.start(host: "127.0.0.1", port: port)
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}
