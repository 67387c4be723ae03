import ComponentValues
import EventLoops
import WIT

/// Calls wRPC functions over a transport, driven by their WIT types.
public struct WRPCClient: Sendable {
    public let transport: any ClientTransport

    public init(transport: any ClientTransport) {
        self.transport = transport
    }

    /// Opens an invocation, sends the header and the parameters' root frame,
    /// and runs `body` while a reader task sorts incoming frames by path.
    /// The connection closes when `body` returns or the deadline passes.
    public func call<R: Sendable>(instance: String, name: String, params: [UInt8],
                                  deadline: ContinuousClock.Instant,
                                  _ body: @escaping @Sendable (Invocation) async throws -> R) async throws -> R {
        try await call(instance: instance, name: name, params: params, watchdog: Watchdog(deadline: deadline), body)
    }

    /// The same, bounded by `watchdog`: a deadline that streaming bytes may
    /// extend (the body reports them with `watchdog.touch()`). With
    /// `inline`, for calls whose results hold no stream or future, the body's
    /// own reads pull the frames off the connection: no reader task.
    public func call<R: Sendable>(instance: String, name: String, params: [UInt8],
                                  watchdog: Watchdog, inline: Bool = false,
                                  _ body: @escaping @Sendable (Invocation) async throws -> R) async throws -> R {
        let describe = "\(instance.isEmpty ? "" : instance + ".")\(name) at \(transport.target)"
        let transport = self.transport
        do {
            return try await withWatchdog(watchdog, what: describe) {
                let stream: any ByteStream
                do {
                    stream = try await transport.connect()
                } catch let error as ConnectError {
                    throw CallError.unavailable(error.description)
                }
                defer { stream.close() }
                var opening = Framing.header(instance: instance, name: name)
                Framing.frames(path: [], data: params, into: &opening)
                func send() async throws {
                    do {
                        try await stream.write(opening)
                    } catch {
                        throw CallError.protocolError("\(describe): sending the call failed: \(error)")
                    }
                }
                func run(_ invocation: Invocation) async throws -> R {
                    do {
                        return try await body(invocation)
                    } catch {
                        throw BodyError(error: error)
                    }
                }
                if inline {
                    try await send()
                    return try await run(Invocation(stream: stream, incoming: InlineFrames(stream: stream), describe: describe))
                }
                let demux = Demux()
                let invocation = Invocation(stream: stream, incoming: demux, describe: describe)
                return try await withThrowingTaskGroup(of: R?.self) { group in
                    group.addTask {
                        await pump(stream, into: demux)
                        return nil
                    }
                    try await send()
                    let result = try await run(invocation)
                    group.cancelAll()
                    stream.close()
                    return result
                }
            }
        } catch let error as BodyError {
            // The caller's own errors go back to it as they were.
            if error.error is CancellationError { throw CallError.cancelled }
            throw error.error
        } catch let error as CallError {
            throw error
        } catch is CancellationError {
            throw CallError.cancelled
        } catch {
            throw CallError.protocolError("\(describe): \(error)")
        }
    }

    /// An error thrown by a call's body, kept apart from the transport's own.
    private struct BodyError: Error {
        let error: any Error
    }

    /// A whole call: parameters already encoded (all ready), the write side
    /// closed, the result decoded and every pending value in it collected.
    /// Returns the result's JSON, or nil for a function without a result.
    public func invoke(instance: String, function: Function, params: [UInt8],
                       deadline: ContinuousClock.Instant,
                       limits: DecoderLimits = DecoderLimits()) async throws -> [UInt8]? {
        let inline = !(function.result?.containsAsync ?? false)
        return try await call(instance: instance, name: function.wireName, params: params,
                              watchdog: Watchdog(deadline: deadline), inline: inline) { invocation in
            try await invocation.closeWrite()
            guard let result = function.result else {
                // No result, but the call is done only when the backend says
                // so: it closes the result path or the connection.
                while try await invocation.next(path: []) != nil {}
                return nil
            }
            let decoded = try await invocation.readValues(types: [result], shape: .bare, limits: limits)
            return try await invocation.collect(json: decoded.json, pending: decoded.pending, limits: limits)
        }
    }
}
