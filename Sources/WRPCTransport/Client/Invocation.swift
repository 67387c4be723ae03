import ComponentValues
import WIT

/// One call in flight: the caller writes frames, and reads what arrives on
/// each path. All paths are read concurrently by one reader task, so a peer
/// may interleave them freely.
public final class Invocation: Sendable {
    let stream: any ByteStream
    let incoming: any IncomingFrames
    let describe: String

    /// Bytes decoded between yields of the loop.
    static let decodeSlice = 256 << 10

    init(stream: any ByteStream, incoming: any IncomingFrames, describe: String) {
        self.stream = stream
        self.incoming = incoming
        self.describe = describe
    }

    /// Sends `data` on `path`, split into bounded frames.
    public func send(path: [UInt32], data: [UInt8]) async throws {
        var out: [UInt8] = []
        Framing.frames(path: path, data: data, into: &out)
        try await stream.write(out)
    }

    /// Sends `bytes` as one chunk of the pending `stream<u8>` on `path`.
    public func sendStreamChunk(path: [UInt32], bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        guard bytes.count <= Framing.maxFrameData else {
            var i = 0
            while i < bytes.count {
                let end = min(i + Framing.maxFrameData - 8, bytes.count)
                try await sendStreamChunk(path: path, bytes: Array(bytes[i..<end]))
                i = end
            }
            return
        }
        // One frame holding one chunk: path, frame length and chunk length
        // as a small head, then the bytes as they are.
        var count: [UInt8] = []
        Framing.appendLEB(UInt64(bytes.count), to: &count)
        var head: [UInt8] = []
        Framing.appendLEB(UInt64(path.count), to: &head)
        for p in path { Framing.appendLEB(UInt64(p), to: &head) }
        Framing.appendLEB(UInt64(count.count + bytes.count), to: &head)
        head += count
        try await stream.write(head, bytes)
    }

    /// Ends the pending stream on `path` (its empty chunk).
    public func endStream(path: [UInt32]) async throws {
        try await send(path: path, data: [0])
    }

    /// Every parameter is sent: half-close so the peer sees the end.
    public func closeWrite() async throws {
        try await stream.closeWrite()
    }

    /// The next bytes on `path`, nil at its end.
    public func next(path: [UInt32]) async throws -> [UInt8]? {
        try await incoming.next(path)
    }

    /// Decodes the values on `path` (results are on `[]`) until complete.
    /// `handles` turns resource handles into tokens (nil: base64).
    public func readValues(path: [UInt32] = [], types: [WITType], shape: ValueDecoder.Shape,
                           indexed: Bool = true, limits: DecoderLimits = DecoderLimits(),
                           handles: (any HandleSealing)? = nil) async throws -> ValueDecoder {
        var decoder = ValueDecoder(types: types, shape: shape, indexed: indexed, basePath: path, limits: limits, handles: handles)
        if try decoder.feed(EmptyCollection()) { return decoder }
        while let bytes = try await incoming.next(path) {
            // A big backlog is decoded in slices, yielding the loop between
            // them, so that one large result does not hold up other calls.
            var start = 0
            repeat {
                let end = min(bytes.count, start + Self.decodeSlice)
                do {
                    if try decoder.feed(bytes[start..<end]) {
                        return decoder
                    }
                } catch where error.kind == .limitExceeded {
                    throw CallError.resultTooLarge("\(describe): \(error.message)")
                } catch {
                    throw CallError.protocolError("\(describe): undecodable value on path \(path): \(error)")
                }
                start = end
                if start < bytes.count { await Task.yield() }
            } while start < bytes.count
        }
        throw CallError.protocolError("\(describe): the backend closed before the value on path \(path) was complete")
    }

    /// Reads a pending stream to its end, calling `body` with each event.
    public func readStream(path: [UInt32], element: WITType?, limits: DecoderLimits = DecoderLimits(),
                           handles: (any HandleSealing)? = nil,
                           _ body: (StreamDecoder.Event) async throws -> Void) async throws {
        try await readStreamBatches(path: path, element: element, limits: limits, handles: handles) { events in
            for e in events { try await body(e) }
        }
    }

    /// Reads a pending stream to its end, calling `body` with the events of
    /// each batch of bytes as they come: a caller can write one batch at
    /// once, and still passes each on as soon as it arrived. Large backlogs
    /// are decoded in slices, yielding the loop between them.
    public func readStreamBatches(path: [UInt32], element: WITType?, limits: DecoderLimits = DecoderLimits(),
                                  handles: (any HandleSealing)? = nil,
                                  _ body: ([StreamDecoder.Event]) async throws -> Void) async throws {
        var decoder = StreamDecoder(element: element, path: path, limits: limits, handles: handles)
        while let bytes = try await incoming.next(path) {
            var start = 0
            repeat {
                let end = min(bytes.count, start + Self.decodeSlice)
                let events: [StreamDecoder.Event]
                do {
                    events = try decoder.feed(bytes[start..<end])
                } catch {
                    throw CallError.protocolError("\(describe): undecodable stream on path \(path): \(error)")
                }
                if !events.isEmpty { try await body(events) }
                if decoder.ended { return }
                start = end
                if start < bytes.count { await Task.yield() }
            } while start < bytes.count
        }
        if !decoder.ended {
            throw CallError.protocolError("\(describe): the backend closed before the stream on path \(path) ended")
        }
    }

    /// Reads every pending value and puts it in place in `json`, recursively
    /// (a stream element may itself hold pending values), all concurrently.
    public func collect(json: [UInt8], pending: [PendingValue], limits: DecoderLimits = DecoderLimits(),
                        handles: (any HandleSealing)? = nil) async throws -> [UInt8] {
        guard !pending.isEmpty else { return json }
        let filled = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for (i, p) in pending.enumerated() {
                group.addTask { (i, try await self.collect(p, limits: limits, handles: handles)) }
            }
            var out = [[UInt8]](repeating: [], count: pending.count)
            for try await (i, bytes) in group { out[i] = bytes }
            return out
        }
        var result = json
        // Later offsets first, so earlier ones stay valid.
        for (p, value) in zip(pending, filled).sorted(by: { $0.0.jsonOffset > $1.0.jsonOffset }) {
            result.replaceSubrange(p.jsonOffset..<(p.jsonOffset + 4), with: value)
        }
        if result.count > limits.maxOutputBytes {
            throw CallError.resultTooLarge("\(describe): more than \(limits.maxOutputBytes) bytes of JSON")
        }
        return result
    }

    private func collect(_ p: PendingValue, limits: DecoderLimits, handles: (any HandleSealing)?) async throws -> [UInt8] {
        switch p.type {
        case .future(let inner):
            guard let inner else {
                // A `future` without a type carries nothing but its readiness.
                _ = try await incoming.next(p.path)
                return Array("null".utf8)
            }
            let d = try await readValues(path: p.path, types: [inner], shape: .bare, indexed: false, limits: limits, handles: handles)
            return try await collect(json: d.json, pending: d.pending, limits: limits, handles: handles)
        case .stream(let element):
            if case .primitive(.u8)? = element {
                var bytes: [UInt8] = []
                try await readStream(path: p.path, element: element, limits: limits) { event in
                    if case .bytes(let b) = event {
                        bytes += b
                        if bytes.count > limits.maxOutputBytes {
                            throw CallError.resultTooLarge("\(describe): stream on path \(p.path) exceeds \(limits.maxOutputBytes) bytes")
                        }
                    }
                }
                return jsonBase64String(bytes)
            }
            // Each element goes into the JSON as it arrives, so the size limit
            // holds while reading, not only once the stream has ended.
            var out: [UInt8] = [UInt8(ascii: "[")]
            try await readStream(path: p.path, element: element, limits: limits, handles: handles) { event in
                guard case .element(let json, let pending) = event else { return }
                if out.count > 1 { out.append(UInt8(ascii: ",")) }
                out += try await collect(json: json, pending: pending, limits: limits, handles: handles)
                if out.count > limits.maxOutputBytes {
                    throw CallError.resultTooLarge("\(describe): stream on path \(p.path) exceeds \(limits.maxOutputBytes) bytes of JSON")
                }
            }
            out.append(UInt8(ascii: "]"))
            return out
        default:
            throw CallError.protocolError("\(describe): unexpected pending \(p.type)")
        }
    }
}
