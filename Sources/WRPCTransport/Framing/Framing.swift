import ComponentValues

/// The byte layout of a framed wRPC stream: the caller's version byte and
/// header, then frames `{path: list<u32>, data: list<u8>}` both ways.
public enum Framing {
    public static let version: UInt8 = 0
    /// Frames we write carry at most this much data, so no peer needs to
    /// hold a huge frame whole.
    public static let maxFrameData = 1 << 20

    /// The version byte and the `{instance, name}` header.
    public static func header(instance: String, name: String) -> [UInt8] {
        var out: [UInt8] = [version]
        appendString(instance, to: &out)
        appendString(name, to: &out)
        return out
    }

    static func appendString(_ s: String, to out: inout [UInt8]) {
        appendLEB(UInt64(s.utf8.count), to: &out)
        out.append(contentsOf: s.utf8)
    }

    public static func appendLEB(_ value: UInt64, to out: inout [UInt8]) {
        writeUnsignedLEB(value, into: &out)
    }

    /// Appends one frame.
    public static func frame(path: [UInt32], data: some Collection<UInt8>, into out: inout [UInt8]) {
        appendLEB(UInt64(path.count), to: &out)
        for p in path { appendLEB(UInt64(p), to: &out) }
        appendLEB(UInt64(data.count), to: &out)
        out.append(contentsOf: data)
    }

    /// `data` as frames of at most `maxFrameData` bytes each (one empty
    /// frame for empty data: the peer reads it as closing the path).
    public static func frames(path: [UInt32], data: [UInt8], into out: inout [UInt8]) {
        if data.isEmpty {
            frame(path: path, data: data, into: &out)
            return
        }
        var i = 0
        while i < data.count {
            let end = min(i + maxFrameData, data.count)
            frame(path: path, data: data[i..<end], into: &out)
            i = end
        }
    }
}

public enum ProtocolError: Error, CustomStringConvertible, Sendable {
    case malformed(String)
    public var description: String {
        switch self { case .malformed(let m): return m }
    }
}

/// Reads frames from bytes that arrive split anywhere. A frame's data is
/// handed on as it arrives rather than held until the frame is whole.
/// Public for the fuzz targets (fuzz/), which feed it hostile bytes.
public struct FrameReader {
    public enum Event: Equatable {
        case data(path: [UInt32], bytes: [UInt8])
        /// An empty frame: the sender closed this path.
        case closed(path: [UInt32])
    }

    /// Paths deeper than this are refused: no WIT type nests that deep.
    static let maxPathLength = 256
    /// Bytes of an incomplete frame header, kept for the next feed.
    private var partial: [UInt8] = []
    private var current: (path: [UInt32], remaining: Int)?

    public init() {}

    /// The events in `bytes`. Frame data is handed on without copying when
    /// a read holds nothing but data (the common case for big streams).
    public mutating func feed(_ bytes: [UInt8]) throws(ProtocolError) -> [Event] {
        var events: [Event] = []
        let input: [UInt8]
        if partial.isEmpty {
            input = bytes
        } else {
            input = partial + bytes
            partial = []
        }
        var pos = 0
        while pos < input.count {
            if let (path, remaining) = current {
                let n = min(remaining, input.count - pos)
                events.append(.data(path: path, bytes: pos == 0 && n == input.count ? input : Array(input[pos..<(pos + n)])))
                pos += n
                current = remaining - n > 0 ? (path, remaining - n) : nil
                continue
            }
            guard let (path, length, used) = try header(input, at: pos) else {
                partial = Array(input[pos...])
                return events
            }
            pos += used
            if length == 0 {
                events.append(.closed(path: path))
            } else {
                current = (path, length)
            }
        }
        return events
    }

    /// A frame's path and data length, once all their bytes are here.
    private func header(_ buffer: [UInt8], at start: Int) throws(ProtocolError) -> ([UInt32], Int, Int)? {
        var pos = start
        func leb() throws(ProtocolError) -> UInt64? {
            switch buffer.withUnsafeBufferPointer({ readUnsignedLEB($0, at: pos, bits: 32) }) {
            case .needMore: return nil
            case .invalid: throw .malformed("frame field does not fit in 32 bits")
            case .value(let v, let n):
                pos += n
                return v
            }
        }
        guard let count = try leb() else { return nil }
        guard count <= Self.maxPathLength else { throw .malformed("frame path of \(count) elements") }
        var path: [UInt32] = []
        path.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let p = try leb() else { return nil }
            path.append(UInt32(p))
        }
        guard let length = try leb() else { return nil }
        return (path, Int(length), pos - start)
    }
}

/// The server's view of a connection's start: version byte and header.
struct HeaderReader {
    static let maxNameLength = 4096
    private var buffer: [UInt8] = []

    /// The header once complete, with the bytes after it.
    mutating func feed(_ bytes: [UInt8]) throws(ProtocolError) -> (instance: String, name: String, rest: [UInt8])? {
        buffer.append(contentsOf: bytes)
        guard let first = buffer.first else { return nil }
        guard first == Framing.version else { throw .malformed("unsupported wRPC version byte 0x\(String(first, radix: 16))") }
        var pos = 1
        func string() throws(ProtocolError) -> String?? {
            let length: UInt64
            switch buffer.withUnsafeBufferPointer({ readUnsignedLEB($0, at: pos, bits: 32) }) {
            case .needMore: return .some(nil)
            case .invalid: throw .malformed("header string length too long")
            case .value(let v, let n):
                length = v
                pos += n
            }
            guard length <= UInt64(Self.maxNameLength) else { throw .malformed("header string of \(length) bytes") }
            guard buffer.count - pos >= Int(length) else { return .some(nil) }
            let bytes = buffer[pos..<(pos + Int(length))]
            pos += Int(length)
            guard let s = String(validating: bytes, as: UTF8.self) else { throw .malformed("header string is not UTF-8") }
            return s
        }
        guard case let instance?? = try string(), case let name?? = try string() else { return nil }
        return (instance, name, Array(buffer[pos...]))
    }
}
