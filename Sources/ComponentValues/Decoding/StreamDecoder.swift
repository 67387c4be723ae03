import WIT

/// Decodes the chunks of a pending `stream<T>` as they arrive on its path:
/// each chunk is a `list<T>`, and an empty chunk ends the stream. Bytes of a
/// `stream<u8>` are handed on as they arrive, without waiting for a whole chunk.
public struct StreamDecoder {
    public enum Event: Sendable, Equatable {
        /// Raw bytes of a `stream<u8>`.
        case bytes([UInt8])
        /// One element of another stream, as JSON, with any pending values inside it.
        case element(json: [UInt8], pending: [PendingValue])
        /// The stream ended (its empty chunk arrived).
        case end
    }

    let element: WITType?
    let path: [UInt32]
    let limits: DecoderLimits
    let handles: (any HandleSealing)?
    private var buffer: [UInt8] = []
    /// Elements still to come in the current chunk; nil between chunks.
    private var remaining: UInt64?
    private var index: UInt32 = 0
    private var current: ValueDecoder?
    public private(set) var ended = false
    static let maxZeroSizedChunk: UInt64 = 1 << 16
    /// Bytes handed to an element's decoder at a time.
    static let elementSlice = 4096

    /// `handles` turns handles in elements into tokens (see `ValueDecoder`).
    public init(element: WITType?, path: [UInt32], limits: DecoderLimits = DecoderLimits(),
                handles: (any HandleSealing)? = nil) {
        self.element = element
        self.path = path
        self.limits = limits
        self.handles = handles
    }

    private var isBytes: Bool {
        if case .primitive(.u8)? = element { return true }
        return false
    }

    public mutating func feed(_ bytes: some Collection<UInt8>) throws(ValueError) -> [Event] {
        var events: [Event] = []
        if ended {
            // A peer may send a redundant terminator; anything else is a fault.
            guard bytes.allSatisfy({ $0 == 0 }) else {
                throw ValueError(.malformedBytes, "bytes after the end of the stream")
            }
            return events
        }
        buffer.append(contentsOf: bytes)
        var pos = 0
        defer { buffer.removeSubrange(0..<pos) }
        while true {
            guard let left = remaining else {
                let r = buffer.withUnsafeBufferPointer { readUnsignedLEB($0, at: pos, bits: 32) }
                switch r {
                case .needMore: return events
                case .invalid(let m): throw ValueError(.malformedBytes, "stream chunk length: \(m)")
                case .value(let count, let n):
                    pos += n
                    if count == 0 {
                        ended = true
                        events.append(.end)
                        guard buffer[pos...].allSatisfy({ $0 == 0 }) else {
                            throw ValueError(.malformedBytes, "bytes after the end of the stream")
                        }
                        pos = buffer.count
                        return events
                    }
                    if count > Self.maxZeroSizedChunk, let element, element.isZeroSized {
                        throw ValueError(.limitExceeded, "a chunk of \(count) zero-sized stream elements")
                    }
                    remaining = count
                }
                continue
            }
            if left == 0 {
                remaining = nil
                continue
            }
            if isBytes {
                guard pos < buffer.count else { return events }
                let n = Int(min(UInt64(buffer.count - pos), left))
                events.append(.bytes(Array(buffer[pos..<(pos + n)])))
                pos += n
                remaining = left - UInt64(n)
                index &+= UInt32(truncatingIfNeeded: n)
                continue
            }
            if current == nil {
                current = ValueDecoder(types: [element ?? .tuple([])], shape: .bare, indexed: false,
                                       basePath: path + [index], limits: limits, handles: handles)
            }
            // The element decoder is handed small slices, not all that is
            // buffered: it keeps what it is given, and handing it the whole
            // rest for each of thousands of small elements would copy that
            // rest each time. What it leaves over is the next element's.
            let end = min(buffer.count, pos + Self.elementSlice)
            guard end > pos else { return events }
            let done = try current!.feed(buffer[pos..<end])
            guard done else {
                pos = end
                continue
            }
            pos = end - current!.remainder.count
            events.append(.element(json: current!.json, pending: current!.pending))
            current = nil
            index += 1
            remaining = left - 1
        }
    }
}
