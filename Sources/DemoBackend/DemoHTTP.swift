import Foundation
import WasiHTTP
import WRPCTransport

/// The demo's `wrpc:http/incoming-handler`: a small HTTP app to forward to.
///
/// - `/echo`: the body back as it streams in, the request's headers as
///   `x-echo-NAME`, its method, path and authority as `x-method`, `x-path`
///   and `x-authority`, its trailers as the answer's trailers;
/// - `/bytes/N`: N bytes (`DemoBackend.downloadByte`), with a content-length;
/// - `/sha256`: the uploaded body's length and SHA-256, as JSON;
/// - `/status/N`: status N;
/// - `/trailers`: a chunked body and a trailer with its SHA-256;
/// - `/error/CASE`: the `error-code` CASE instead of a response
///   (`connection-refused`, `HTTP-response-timeout`, …; cases without a payload).
public enum DemoHTTP {
    static func register(_ server: inout WRPCServer) {
        server.handleRaw(instance: WrpcHTTPWIT.incomingInstance, name: "handle") { inv in
            let request = try await WireValue.collect("handle parameters", maxBytes: 2 << 20, next: { try await inv.next(path: []) },
                                                      endedEarly: ProtocolError.malformed("the parameters ended early"),
                                                      RequestHead.decodeIncoming)
            try await handle(request, inv)
        }
    }

    static func handle(_ request: RequestHead, _ inv: Invocation) async throws {
        let target = request.pathWithQuery ?? "/"
        let path = String(target.prefix { $0 != "?" })
        let segments = path.split(separator: "/").map(String.init)
        switch segments.first {
        case "echo":
            var headers: [(String, [UInt8])] = [("x-method", Array(request.method.name.utf8)), ("x-path", Array(target.utf8)),
                                                ("x-authority", Array((request.authority ?? "").utf8))]
            headers += request.headers.pairs.map { ("x-echo-" + $0.0, $0.1) }
            let length = request.headers.values("content-length").first
            if let length { headers.append(("content-length", length)) }
            try await answer(inv, status: 200, headers: headers)
            try await body(of: request, inv) { try await inv.sendStreamChunk(path: ResponseHead.bodyPath, bytes: $0) }
            try await inv.endStream(path: ResponseHead.bodyPath)
            try await inv.send(path: ResponseHead.trailersPath, data: Fields.encodeOptional(try await trailers(of: request, inv)))
        case "bytes":
            let n = segments.count > 1 ? UInt64(segments[1]) ?? 0 : 0
            try await answer(inv, status: 200, headers: [("content-type", Array("application/octet-stream".utf8)),
                                                         ("content-length", Array(String(n).utf8))])
            var sent: UInt64 = 0
            var chunk = [UInt8](repeating: 0, count: 64 << 10)
            while sent < n {
                let size = Int(min(UInt64(chunk.count), n - sent))
                for i in 0..<size { chunk[i] = DemoBackend.downloadByte(sent + UInt64(i)) }
                try await inv.sendStreamChunk(path: ResponseHead.bodyPath, bytes: size == chunk.count ? chunk : Array(chunk[0..<size]))
                sent += UInt64(size)
            }
            try await end(inv, trailers: nil)
        case "sha256":
            var digest = UploadDigest()
            var count = 0
            try await body(of: request, inv) { bytes in
                digest.update(bytes)
                count += bytes.count
            }
            let json = #"{"bytes":\#(count),"sha256":"\#(digest.hex())"}"# + "\n"
            try await whole(inv, status: 200, contentType: "application/json", Array(json.utf8))
        case "status":
            let status = segments.count > 1 ? UInt16(segments[1]) ?? 200 : 200
            try await whole(inv, status: status, contentType: "text/plain", status == 204 || status == 304 ? [] : Array("status \(status)\n".utf8))
        case "trailers":
            let text = Array("the trailers carry this body's SHA-256\n".utf8)
            var digest = UploadDigest()
            digest.update(text)
            try await answer(inv, status: 200, headers: [("content-type", Array("text/plain".utf8)), ("trailer", Array("x-sha256".utf8))])
            try await inv.sendStreamChunk(path: ResponseHead.bodyPath, bytes: text)
            try await end(inv, trailers: Fields(pairs: [("x-sha256", Array(digest.hex().utf8))]))
        case "error":
            let name = segments.count > 1 ? segments[1] : ""
            let code = ErrorCode.simple(named: name) ?? .internalError("no error-code case \(name) without a payload")
            try await inv.send(path: [], data: HandleResult.failure(code).encode())
        default:
            let index = "wrpc-gateway demo incoming-handler: /echo, /bytes/N, /sha256, /status/N, /trailers, /error/CASE\n"
            try await whole(inv, status: path == "/" ? 200 : 404, contentType: "text/plain", Array(index.utf8),
                            extra: [("x-path", Array(target.utf8))])
        }
    }

    /// The result with the body and trailers to follow on their paths.
    static func answer(_ inv: Invocation, status: UInt16, headers: [(String, [UInt8])]) async throws {
        try await inv.send(path: [], data: HandleResult.response(ResponseHead(status: status, headers: Fields(pairs: headers))).encode())
    }

    static func end(_ inv: Invocation, trailers: Fields?) async throws {
        try await inv.endStream(path: ResponseHead.bodyPath)
        try await inv.send(path: ResponseHead.trailersPath, data: Fields.encodeOptional(trailers))
    }

    static func whole(_ inv: Invocation, status: UInt16, contentType: String, _ bytes: [UInt8],
                      extra: [(String, [UInt8])] = []) async throws {
        try await answer(inv, status: status, headers: [("content-type", Array(contentType.utf8)), ("content-length", Array(String(bytes.count).utf8))] + extra)
        try await inv.sendStreamChunk(path: ResponseHead.bodyPath, bytes: bytes)
        try await end(inv, trailers: nil)
    }

    /// Hands `each` the request's body as it arrives (whole, or streamed).
    public static func body(of request: RequestHead, _ inv: Invocation, _ each: ([UInt8]) async throws -> Void) async throws {
        switch request.body {
        case .ready(let bytes): try await each(bytes)
        case .pending:
            try await inv.readStream(path: RequestHead.bodyPath, element: .primitive(.u8)) { event in
                if case .bytes(let b) = event { try await each(b) }
            }
        }
    }

    static func trailers(of request: RequestHead, _ inv: Invocation) async throws -> Fields? {
        switch request.trailers {
        case .ready(let f): return f
        case .pending:
            return try await WireValue.trailers(next: { try await inv.next(path: RequestHead.trailersPath) },
                                                endedEarly: ProtocolError.malformed("the trailers ended early"))
        }
    }
}
