import EventLoops
import WasiHTTP
import WRPCTransport

/// What one `handle` call brought back.
struct EgressAnswer {
    let result: HandleResult
    let body: [UInt8]
    /// Whether the body stream ended with its end marker.
    let bodyComplete: Bool
    let trailers: Fields?
}

extension WRPCClient {
    /// One `handle` call, framed as the Go client frames it: the root value,
    /// then the body (chunk length and bytes) and the trailers future.
    func egressHandle(_ head: RequestHead, options: [UInt8] = [1, 0, 0, 0], body: [[UInt8]] = [],
                      trailers: Fields? = nil) async throws -> EgressAnswer {
        try await call(instance: WrpcHTTPWIT.outgoingInstance, name: "handle",
                       params: head.encodeAsIncomingParameters() + options,
                       watchdog: Watchdog(deadline: .now + .seconds(60))) { inv in
            if case .pending = head.trailers { try await inv.send(path: RequestHead.trailersPath, data: Fields.encodeOptional(trailers)) }
            if case .pending = head.body {
                for chunk in body { try await inv.sendStreamChunk(path: RequestHead.bodyPath, bytes: chunk) }
                try await inv.endStream(path: RequestHead.bodyPath)
            }
            try await inv.closeWrite()
            var root: [UInt8] = []
            var result: HandleResult?
            while result == nil {
                guard let more = try await inv.next(path: []) else { throw CLIErrorForTests("no result") }
                root += more
                result = try HandleResult.decode(root)
            }
            guard case .response = result! else { return EgressAnswer(result: result!, body: [], bodyComplete: true, trailers: nil) }
            var received: [UInt8] = []
            var complete = true
            do {
                try await inv.readStream(path: ResponseHead.bodyPath, element: .primitive(.u8)) { event in
                    if case .bytes(let b) = event { received += b }
                }
            } catch {
                complete = false
            }
            var trailerBytes: [UInt8] = []
            var fields: Fields?
            if complete {
                while true {
                    let (f, done) = try Fields.decodeOptional(trailerBytes)
                    if done { fields = f; break }
                    guard let more = try await inv.next(path: ResponseHead.trailersPath) else { break }
                    trailerBytes += more
                }
            }
            return EgressAnswer(result: result!, body: received, bodyComplete: complete, trailers: fields)
        }
    }
}
