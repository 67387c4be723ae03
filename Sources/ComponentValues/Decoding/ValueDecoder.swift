import WIT

/// An async value sent *pending*: its contents follow later on its own
/// wRPC path. The decoded JSON holds `null` at `jsonOffset` in its place.
public struct PendingValue: Sendable, Equatable {
    public let path: [UInt32]
    /// `.stream(T)` or `.future(T)`.
    public let type: WITType
    /// Where the value sits in the decoded JSON (RFC 6901).
    public let pointer: String
    /// Byte offset of the placeholder `null` in the decoded JSON.
    public let jsonOffset: Int
}

public struct DecoderLimits: Sendable {
    /// Composite values nested deeper than this are refused.
    public var maxDepth: Int
    /// JSON output beyond this is refused (a list of a billion empty tuples
    /// costs one byte on the wire and gigabytes as JSON).
    public var maxOutputBytes: Int

    public init(maxDepth: Int = 100, maxOutputBytes: Int = 256 << 20) {
        self.maxDepth = maxDepth
        self.maxOutputBytes = maxOutputBytes
    }
}

/// Decodes Component Model value bytes to JSON text, resumably: bytes may
/// be fed in pieces split anywhere, and decoding continues where it stopped.
/// Only bytes that have arrived are held; a declared length is never used
/// to reserve memory.
public struct ValueDecoder {
    /// How the root values appear in JSON.
    public enum Shape: Sendable {
        /// One value, bare (a function result, a stream element).
        case bare
        /// An array of the values (parameters in order).
        case array
        /// An object keyed by these names (parameters by name).
        case object([String])
    }

    enum Frame {
        case root(next: Int)
        case record(RecordType, next: Int)
        case tuple([WITType], next: Int)
        case list(WITType, remaining: UInt64, next: Int)
        case fixedList(WITType, count: Int, next: Int)
        case map(key: WITType, value: WITType, remaining: UInt64, next: Int, half: Int)
        /// One child (an option, result or variant payload, a ready future),
        /// then `closing`; `tagged` puts the child under `val`.
        case payload(WITType, index: UInt32?, tagged: Bool, closing: UInt8?, started: Bool)
    }

    let types: [WITType]
    let shape: Shape
    /// Whether root values add their position to paths (parameters and
    /// results do; the value of a pending future or a stream element does not).
    let indexed: Bool
    let basePath: [UInt32]
    let limits: DecoderLimits
    /// Turns handles into tokens; nil: handles are base64.
    let handles: (any HandleSealing)?

    private var buffer: [UInt8] = []
    private var pos = 0
    private var consumedBefore = 0
    private var stack: [Frame] = []
    private var want: WITType?
    private var started = false

    public private(set) var json: [UInt8] = []
    public private(set) var pending: [PendingValue] = []
    public private(set) var isComplete = false

    public init(types: [WITType], shape: Shape, indexed: Bool = true, basePath: [UInt32] = [],
                limits: DecoderLimits = DecoderLimits(), handles: (any HandleSealing)? = nil) {
        precondition(shape.isBare ? types.count == 1 : true, "a bare root holds exactly one value")
        self.types = types
        self.shape = shape
        self.indexed = indexed
        self.basePath = basePath
        self.limits = limits
        self.handles = handles
    }

    /// Bytes fed after the value was complete (the decoder never consumes them).
    public var remainder: ArraySlice<UInt8> { buffer[pos...] }

    /// Memory held for input bytes, for tests of the allocation bound.
    var heldInputCapacity: Int { buffer.capacity }

    /// Total bytes consumed as part of the value.
    public var consumed: Int { consumedBefore + pos }

    /// Adds bytes and decodes as far as they go; true once every value is decoded.
    @discardableResult
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(ValueError) -> Bool {
        if isComplete {
            buffer.append(contentsOf: bytes)
            return true
        }
        buffer.append(contentsOf: bytes)
        if !started {
            started = true
            stack.append(.root(next: 0))
            if case .object = shape { json.append(UInt8(ascii: "{")) } else if case .array = shape { json.append(UInt8(ascii: "[")) }
        }
        let done = try buffer.withUnsafeBufferPointer { (b) throws(ValueError) in try run(b) }
        if !done && pos > 0 && (pos == buffer.count || pos > 1 << 16) {
            consumedBefore += pos
            buffer.removeSubrange(0..<pos)
            pos = 0
        }
        return done
    }

    // MARK: - The loop

    private mutating func run(_ b: UnsafeBufferPointer<UInt8>) throws(ValueError) -> Bool {
        while true {
            if json.count > limits.maxOutputBytes {
                throw failure(.limitExceeded, "the decoded JSON would exceed \(limits.maxOutputBytes) bytes")
            }
            if let t = want {
                guard try begin(t, b) else { return false }
                continue
            }
            guard !stack.isEmpty else {
                isComplete = true
                return true
            }
            try advance()
        }
    }

    /// Starts decoding one value of type `t`; false when more bytes are needed
    /// (nothing is consumed then).
    private mutating func begin(_ t: WITType, _ b: UnsafeBufferPointer<UInt8>) throws(ValueError) -> Bool {
        switch t {
        case .primitive(let p):
            guard try primitive(p, b) else { return false }
            want = nil
        case .list(.primitive(.u8)):
            guard try byteList(b) else { return false }
            want = nil
        case .own(let resource), .borrow(let resource):
            guard try handle(resource, b) else { return false }
            want = nil
        case .list(let element):
            guard let count = try length(b) else { return false }
            json.append(UInt8(ascii: "["))
            try push(.list(element, remaining: count, next: 0))
        case .fixedList(let element, let count):
            json.append(UInt8(ascii: "["))
            try push(.fixedList(element, count: count, next: 0))
        case .map(let key, let value):
            guard let count = try length(b) else { return false }
            json.append(UInt8(ascii: "["))
            try push(.map(key: key, value: value, remaining: count, next: 0, half: 0))
        case .tuple(let types):
            json.append(UInt8(ascii: "["))
            try push(.tuple(types, next: 0))
        case .record(let r):
            json.append(UInt8(ascii: "{"))
            try push(.record(r, next: 0))
        case .option(let inner):
            guard let status = try statusByte(b, "option") else { return false }
            let tagged = inner.jsonCanBeNull
            if status == 0 {
                json.append(contentsOf: tagged ? Self.tagNone : Self.null)
                want = nil
            } else {
                if tagged { json.append(contentsOf: Self.tagSomeVal) }
                try push(.payload(inner, index: nil, tagged: false, closing: tagged ? UInt8(ascii: "}") : nil, started: false))
            }
        case .result(let ok, let err):
            guard let status = try statusByte(b, "result") else { return false }
            try tag(status == 0 ? "ok" : "err", payload: status == 0 ? ok : err)
        case .variant(let v):
            guard case .value(let disc, let n) = try leb(b, bits: 32) else { return false }
            guard disc < UInt64(v.cases.count) else {
                throw failure(.malformedBytes, "variant discriminant \(disc) is out of range: \(v.origin) has \(v.cases.count) cases")
            }
            pos += n
            let c = v.cases[Int(disc)]
            try tag(c.name, payload: c.type)
        case .enumeration(let e):
            guard case .value(let disc, let n) = try leb(b, bits: 32) else { return false }
            guard disc < UInt64(e.cases.count) else {
                throw failure(.malformedBytes, "enum discriminant \(disc) is out of range: \(e.origin) has \(e.cases.count) cases")
            }
            pos += n
            writeJSONString(e.cases[Int(disc)], into: &json)
            want = nil
        case .flags(let f):
            let n = (f.flags.count + 7) / 8
            guard b.count - pos >= n else { return false }
            json.append(UInt8(ascii: "["))
            var first = true
            for i in 0..<(n * 8) where b[pos + i / 8] & (1 << UInt8(i % 8)) != 0 {
                guard i < f.flags.count else {
                    throw failure(.malformedBytes, "flags bit \(i) is set but \(f.origin) has \(f.flags.count) flags")
                }
                if !first { json.append(UInt8(ascii: ",")) }
                first = false
                writeJSONString(f.flags[i], into: &json)
            }
            json.append(UInt8(ascii: "]"))
            pos += n
            want = nil
        case .future(let inner):
            guard let status = try statusByte(b, "future") else { return false }
            if status == 0 {
                notePending(t)
                want = nil
            } else if let inner {
                try push(.payload(inner, index: 0, tagged: false, closing: nil, started: false))
            } else {
                json.append(contentsOf: Self.null)
                want = nil
            }
        case .stream(let element):
            guard let status = try statusByte(b, "stream") else { return false }
            if status == 0 {
                notePending(t)
                want = nil
            } else {
                // A ready stream is its whole contents as a list.
                switch element {
                case .primitive(.u8)?: want = .list(.primitive(.u8))
                case let element?: want = .list(element)
                case nil: want = .list(.tuple([]))
                }
            }
        }
        return true
    }

    private static let null = Array("null".utf8)
    private static let tagNone = Array("{\"tag\":\"none\"}".utf8)
    private static let tagSomeVal = Array("{\"tag\":\"some\",\"val\":".utf8)

    private mutating func tag(_ name: String, payload: WITType?) throws(ValueError) {
        json.append(contentsOf: Array("{\"tag\":".utf8))
        writeJSONString(name, into: &json)
        if let payload {
            json.append(contentsOf: Array(",\"val\":".utf8))
            try push(.payload(payload, index: nil, tagged: true, closing: UInt8(ascii: "}"), started: false))
        } else {
            json.append(UInt8(ascii: "}"))
            want = nil
        }
    }

    private mutating func push(_ frame: Frame) throws(ValueError) {
        want = nil
        guard stack.count < limits.maxDepth else {
            throw failure(.limitExceeded, "the value nests deeper than \(limits.maxDepth) levels")
        }
        stack.append(frame)
    }

    /// The top frame's previous child is done (or it was just pushed):
    /// start its next child, or close it.
    private mutating func advance() throws(ValueError) {
        let top = stack.count - 1
        switch stack[top] {
        case .root(let next):
            guard next < types.count else {
                if case .object = shape { json.append(UInt8(ascii: "}")) } else if case .array = shape { json.append(UInt8(ascii: "]")) }
                stack.removeLast()
                return
            }
            if next > 0 && !shape.isBare { json.append(UInt8(ascii: ",")) }
            if case .object(let names) = shape {
                writeJSONString(names[next], into: &json)
                json.append(UInt8(ascii: ":"))
            }
            stack[top] = .root(next: next + 1)
            want = types[next]
        case .record(let r, let next):
            guard next < r.fields.count else {
                json.append(UInt8(ascii: "}"))
                stack.removeLast()
                return
            }
            if next > 0 { json.append(UInt8(ascii: ",")) }
            writeJSONString(r.fields[next].name, into: &json)
            json.append(UInt8(ascii: ":"))
            stack[top] = .record(r, next: next + 1)
            want = r.fields[next].type
        case .tuple(let types, let next):
            guard next < types.count else {
                json.append(UInt8(ascii: "]"))
                stack.removeLast()
                return
            }
            if next > 0 { json.append(UInt8(ascii: ",")) }
            stack[top] = .tuple(types, next: next + 1)
            want = types[next]
        case .list(let element, let remaining, let next):
            guard remaining > 0 else {
                json.append(UInt8(ascii: "]"))
                stack.removeLast()
                return
            }
            if next > 0 { json.append(UInt8(ascii: ",")) }
            stack[top] = .list(element, remaining: remaining - 1, next: next + 1)
            want = element
        case .fixedList(let element, let count, let next):
            guard next < count else {
                json.append(UInt8(ascii: "]"))
                stack.removeLast()
                return
            }
            if next > 0 { json.append(UInt8(ascii: ",")) }
            stack[top] = .fixedList(element, count: count, next: next + 1)
            want = element
        case .map(let key, let value, let remaining, let next, let half):
            switch half {
            case 0:
                guard remaining > 0 else {
                    json.append(UInt8(ascii: "]"))
                    stack.removeLast()
                    return
                }
                json.append(contentsOf: next > 0 ? [UInt8(ascii: ","), UInt8(ascii: "[")] : [UInt8(ascii: "[")])
                stack[top] = .map(key: key, value: value, remaining: remaining - 1, next: next + 1, half: 1)
                want = key
            case 1:
                json.append(UInt8(ascii: ","))
                stack[top] = .map(key: key, value: value, remaining: remaining, next: next, half: 2)
                want = value
            default:
                json.append(UInt8(ascii: "]"))
                stack[top] = .map(key: key, value: value, remaining: remaining, next: next, half: 0)
            }
        case .payload(let type, let index, let tagged, let closing, let started):
            if started {
                if let closing { json.append(closing) }
                stack.removeLast()
            } else {
                stack[top] = .payload(type, index: index, tagged: tagged, closing: closing, started: true)
                want = type
            }
        }
    }

    // MARK: - Places

    /// The wRPC path of the value being decoded.
    func currentPath() -> [UInt32] {
        var path = basePath
        for frame in stack {
            switch frame {
            case .root(let next): if indexed { path.append(UInt32(next - 1)) }
            case .record(_, let next), .tuple(_, let next), .list(_, _, let next), .fixedList(_, _, let next):
                path.append(UInt32(next - 1))
            case .map(_, _, _, let next, let half):
                path.append(UInt32(next - 1))
                path.append(half == 2 ? 1 : 0)
            case .payload(_, let index, _, _, _):
                // An option, result or variant payload adds no path element:
                // that is what the Go wRPC peers send (wire/http-*.json:
                // `result<response, …>`'s body travels on [0, 0]), and their
                // bytes win over SPEC.md's "variant members are indexed".
                if let index { path.append(index) }
            }
        }
        return path
    }

    /// The JSON Pointer of the value being decoded.
    func currentPointer() -> [String] {
        var components: [String] = []
        for frame in stack {
            switch frame {
            case .root(let next):
                if case .object(let names) = shape { components.append(names[next - 1]) }
                else if case .array = shape { components.append(String(next - 1)) }
            case .record(let r, let next): components.append(r.fields[next - 1].name)
            case .tuple(_, let next), .list(_, _, let next), .fixedList(_, _, let next):
                components.append(String(next - 1))
            case .map(_, _, _, let next, let half):
                components.append(String(next - 1))
                components.append(half == 2 ? "1" : "0")
            case .payload(_, _, let tagged, _, _):
                if tagged { components.append("val") }
            }
        }
        return components
    }

    private mutating func notePending(_ type: WITType) {
        let pointer = ValueError(.malformedBytes, "", components: currentPointer()).pointer
        pending.append(PendingValue(path: currentPath(), type: type, pointer: pointer, jsonOffset: json.count))
        json.append(contentsOf: Self.null)
    }

    private func failure(_ kind: ValueError.Kind, _ message: String) -> ValueError {
        ValueError(kind, message, offset: consumedBefore + pos, components: currentPointer())
    }

    // MARK: - Scalars

    private func leb(_ b: UnsafeBufferPointer<UInt8>, bits: Int) throws(ValueError) -> LEBRead<UInt64> {
        let r = readUnsignedLEB(b, at: pos, bits: bits)
        if case .invalid(let message) = r { throw failure(.malformedBytes, message) }
        return r
    }

    /// A LEB128 u32 length or count; nil when incomplete.
    private mutating func length(_ b: UnsafeBufferPointer<UInt8>) throws(ValueError) -> UInt64? {
        guard case .value(let v, let n) = try leb(b, bits: 32) else { return nil }
        pos += n
        return v
    }

    private mutating func statusByte(_ b: UnsafeBufferPointer<UInt8>, _ what: String) throws(ValueError) -> UInt8? {
        guard pos < b.count else { return nil }
        let s = b[pos]
        guard s <= 1 else { throw failure(.malformedBytes, "invalid \(what) status byte 0x\(String(s, radix: 16)); expected 0 or 1") }
        pos += 1
        return s
    }

    /// `list<u8>` or a handle: a length, then that many bytes, as base64.
    private mutating func byteList(_ b: UnsafeBufferPointer<UInt8>) throws(ValueError) -> Bool {
        guard let bytes = try lengthPrefixedBytes(b) else { return false }
        json.append(UInt8(ascii: "\""))
        Base64.encode(bytes, into: &json)
        json.append(UInt8(ascii: "\""))
        return true
    }

    /// A handle: its bytes, as the sealing's token when there is one.
    private mutating func handle(_ resource: Resource, _ b: UnsafeBufferPointer<UInt8>) throws(ValueError) -> Bool {
        guard let handles else { return try byteList(b) }
        guard let bytes = try lengthPrefixedBytes(b) else { return false }
        json.append(UInt8(ascii: "\""))
        json.append(contentsOf: handles.seal(bytes, resource: resource.origin.description).utf8)
        json.append(UInt8(ascii: "\""))
        return true
    }

    /// A length, then that many bytes, consumed; nil (nothing consumed)
    /// until they have all arrived.
    private mutating func lengthPrefixedBytes(_ b: UnsafeBufferPointer<UInt8>) throws(ValueError) -> UnsafeBufferPointer<UInt8>? {
        guard case .value(let count, let n) = try leb(b, bits: 32) else { return nil }
        guard UInt64(b.count - pos - n) >= count else { return nil }
        let start = pos + n
        let end = start + Int(count)
        pos = end
        return UnsafeBufferPointer(rebasing: b[start..<end])
    }

    private mutating func primitive(_ p: Primitive, _ b: UnsafeBufferPointer<UInt8>) throws(ValueError) -> Bool {
        switch p {
        case .bool:
            guard pos < b.count else { return false }
            switch b[pos] {
            case 0: json.append(contentsOf: Array("false".utf8))
            case 1: json.append(contentsOf: Array("true".utf8))
            default: throw failure(.malformedBytes, "invalid bool byte 0x\(String(b[pos], radix: 16)); expected 0 or 1")
            }
            pos += 1
        case .u8:
            guard pos < b.count else { return false }
            writeUnsigned(UInt64(b[pos]), into: &json)
            pos += 1
        case .s8:
            guard pos < b.count else { return false }
            writeSigned(Int64(Int8(bitPattern: b[pos])), into: &json)
            pos += 1
        case .u16, .u32, .u64:
            let bits = p == .u16 ? 16 : p == .u32 ? 32 : 64
            guard case .value(let v, let n) = try leb(b, bits: bits) else { return false }
            writeUnsigned(v, into: &json)
            pos += n
        case .s16, .s32, .s64:
            let bits = p == .s16 ? 16 : p == .s32 ? 32 : 64
            let r = readSignedLEB(b, at: pos, bits: bits)
            switch r {
            case .invalid(let message): throw failure(.malformedBytes, message)
            case .needMore: return false
            case .value(let v, let n):
                writeSigned(v, into: &json)
                pos += n
            }
        case .f32:
            guard b.count - pos >= 4 else { return false }
            var bits: UInt32 = 0
            for i in 0..<4 { bits |= UInt32(b[pos + i]) << (8 * UInt32(i)) }
            writeFloat(Float(bitPattern: bits), into: &json)
            pos += 4
        case .f64:
            guard b.count - pos >= 8 else { return false }
            var bits: UInt64 = 0
            for i in 0..<8 { bits |= UInt64(b[pos + i]) << (8 * UInt64(i)) }
            writeFloat(Double(bitPattern: bits), into: &json)
            pos += 8
        case .char:
            guard pos < b.count else { return false }
            let lead = b[pos]
            let n = lead < 0x80 ? 1 : lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0
            guard n > 0 else { throw failure(.malformedBytes, "invalid UTF-8 lead byte 0x\(String(lead, radix: 16)) for a char") }
            guard b.count - pos >= n else { return false }
            let scalar = UnsafeBufferPointer(rebasing: b[pos..<(pos + n)])
            guard firstInvalidUTF8(scalar) == nil else { throw failure(.malformedBytes, "invalid UTF-8 in a char") }
            writeJSONString(scalar, into: &json)
            pos += n
        case .string:
            guard case .value(let count, let n) = try leb(b, bits: 32) else { return false }
            guard UInt64(b.count - pos - n) >= count else { return false }
            let text = UnsafeBufferPointer(rebasing: b[(pos + n)..<(pos + n + Int(count))])
            if let bad = firstInvalidUTF8(text) {
                throw failure(.malformedBytes, "invalid UTF-8 at byte \(bad) of a string")
            }
            writeJSONString(text, into: &json)
            pos += n + Int(count)
        case .errorContext:
            throw failure(.malformedBytes, "error-context values cannot be decoded to JSON")
        }
        return true
    }
}

extension ValueDecoder.Shape {
    var isBare: Bool {
        if case .bare = self { return true }
        return false
    }
}
