import WIT

/// Transcodes JSON text straight into Component Model value bytes by walking
/// the WIT type and the JSON together; no intermediate value tree.
public enum ValueEncoder {
    /// Types nest at most this deep (WIT types are finite, but a WIT file
    /// can still spell a type nested thousands of levels deep).
    public static let maxDepth = 100

    /// Encodes the whole JSON text as one value of `type`.
    public static func encode(json: [UInt8], as type: WITType, into out: inout [UInt8]) throws(ValueError) {
        var origins: [HandleOrigin] = []
        try encode(json: json, as: type, into: &out, handles: nil, origins: &origins)
    }

    /// As above, with tokens for handles opened by `handles` (see
    /// `encodeParameters`); pointers in `origins` are relative to the value.
    public static func encode(json: [UInt8], as type: WITType, into out: inout [UInt8],
                              handles: (any HandleSealing)?, origins: inout [HandleOrigin]) throws(ValueError) {
        try json.withUnsafeBufferPointer { (buffer) throws(ValueError) in
            var t = Transcoder(JSONReader(buffer))
            t.handles = handles
            defer { origins += t.origins }
            try t.value(type, into: &out)
            try t.reader.expectEnd()
        }
    }

    /// Encodes a function's parameters, given as a JSON object keyed by
    /// parameter name or as an array in order, as their concatenation. An
    /// empty body stands for no parameters.
    public static func encodeParameters(json: [UInt8], params: [Function.Param], into out: inout [UInt8]) throws(ValueError) {
        var none: [URLStream]? = nil
        try encodeParameters(json: json, params: params, into: &out, urlStreams: &none)
    }

    /// As above; where a `stream<u8>` is given as `{"url": "…"}`, it is sent
    /// pending and listed in `urlStreams` (nil: such values are refused).
    public static func encodeParameters(json: [UInt8], params: [Function.Param], into out: inout [UInt8],
                                        urlStreams: inout [URLStream]?) throws(ValueError) {
        var origins: [HandleOrigin] = []
        try encodeParameters(json: json, params: params, into: &out, urlStreams: &urlStreams, handles: nil, origins: &origins)
    }

    /// As above; with `handles`, every `own`/`borrow` value is a token it
    /// opens, and each one's origin and JSON Pointer is added to `origins`
    /// (a caller that sends the call where its handles came from). Pass
    /// `handles` only for parameters that hold handles: it costs pointer
    /// tracking over the whole value.
    public static func encodeParameters(json: [UInt8], params: [Function.Param], into out: inout [UInt8],
                                        urlStreams: inout [URLStream]?, handles: (any HandleSealing)?,
                                        origins: inout [HandleOrigin]) throws(ValueError) {
        try json.withUnsafeBufferPointer { (buffer) throws(ValueError) in
            var t = Transcoder(JSONReader(buffer))
            t.urlStreams = urlStreams
            t.handles = handles
            defer {
                urlStreams = t.urlStreams
                origins += t.origins
            }
            // Only a truly empty body means "no parameters"; whitespace is not JSON.
            if buffer.isEmpty {
                if let first = params.first(where: { !$0.type.isOption }) {
                    throw ValueError(.invalidValue, "missing parameter `\(first.name)`: the body is empty")
                }
                for _ in params { out.append(0) }
                return
            }
            if try t.reader.peekKind() == .array {
                try t.tuple(params.map(\.type), into: &out)
            } else {
                try t.fields(ParamFields(params), what: "parameter", into: &out)
            }
            try t.reader.expectEnd()
        }
    }
}

/// A `stream<u8>` the caller asked to be fetched from a URL and sent pending.
public struct URLStream: Sendable, Equatable {
    /// The stream's wRPC path (parameter index, then structure).
    public let path: [UInt32]
    public let url: String
}

extension WITType {
    public var isOption: Bool {
        if case .option = self { return true }
        return false
    }

    /// Whether this type's JSON form can be `null`: an untagged option can,
    /// and a future is its value's form.
    public var jsonCanBeNull: Bool {
        switch self {
        case .option(let inner): return !inner.jsonCanBeNull
        case .future(let inner?): return inner.jsonCanBeNull
        default: return false
        }
    }

    /// Whether values of this type take no bytes at all.
    var isZeroSized: Bool {
        switch self {
        case .tuple(let ts): return ts.allSatisfy(\.isZeroSized)
        case .record(let r): return r.fields.allSatisfy { $0.type.isZeroSized }
        case .flags(let f): return f.flags.isEmpty
        case .fixedList(let t, _): return t.isZeroSized
        default: return false
        }
    }

    /// How the JSON mapping spells this type in messages.
    var displayName: String { Signatures.spell(self) }
}

/// The named members of a record or of a parameter list.
protocol FieldList {
    var count: Int { get }
    func name(_ i: Int) -> String
    func type(_ i: Int) -> WITType
}

extension RecordType: FieldList {
    var count: Int { fields.count }
    func name(_ i: Int) -> String { fields[i].name }
    func type(_ i: Int) -> WITType { fields[i].type }
}

struct ParamFields: FieldList {
    let params: [Function.Param]
    init(_ params: [Function.Param]) { self.params = params }
    var count: Int { params.count }
    func name(_ i: Int) -> String { params[i].name }
    func type(_ i: Int) -> WITType { params[i].type }
}

struct Transcoder {
    var reader: JSONReader
    var depth = 0
    /// URL-fed streams found so far; nil when they are not allowed. Paths are
    /// tracked only when this is set.
    var urlStreams: [URLStream]?
    var path: [UInt32] = []
    /// Opens handle tokens; nil when handles are base64 bytes. The JSON
    /// Pointer (`pointer`) is tracked only when this is set.
    var handles: (any HandleSealing)?
    var pointer: [String] = []
    /// Each opened handle's origin and place.
    var origins: [HandleOrigin] = []
    /// Reused for member names and other short-lived text.
    var scratch: [UInt8] = []

    init(_ reader: JSONReader) {
        self.reader = reader
    }

    /// Encodes a child at structural index `index`, tracking the wRPC path
    /// only when URL streams are being collected. An option, result or
    /// variant payload (`index` nil) adds no path element, as the Go peers
    /// send it (see `ValueDecoder.currentPath`).
    /// `name` is the child's JSON Pointer component when it is not `index`
    /// (a member name, `val`), tracked only when handles are opened.
    @inline(__always)
    mutating func child(_ index: Int?, _ type: WITType, named name: String? = nil, into out: inout [UInt8]) throws(ValueError) {
        if handles != nil, let component = name ?? index.map(String.init) {
            pointer.append(component)
            defer { pointer.removeLast() }
            return try wirePathChild(index, type, into: &out)
        }
        try wirePathChild(index, type, into: &out)
    }

    @inline(__always)
    private mutating func wirePathChild(_ index: Int?, _ type: WITType, into out: inout [UInt8]) throws(ValueError) {
        guard urlStreams != nil, let index else { return try value(type, into: &out) }
        path.append(UInt32(truncatingIfNeeded: index))
        defer { path.removeLast() }
        try value(type, into: &out)
    }

    func invalid(_ message: String) -> ValueError {
        ValueError(.invalidValue, message, offset: reader.pos)
    }

    /// What was found where a `type` was expected, for messages.
    mutating func mismatch(_ expected: String) -> ValueError {
        let start = reader.pos
        let kind = try? reader.peekKind()
        let found: String
        switch kind {
        case .object: found = "an object"
        case .array: found = "an array"
        case .string, .number, .bool, .null:
            let from = reader.pos
            if (try? reader.skipValue()) != nil {
                let text = String(decoding: UnsafeBufferPointer(rebasing: reader.bytes[from..<min(reader.pos, from + 40)]), as: UTF8.self)
                found = reader.pos - from > 40 ? text + "…" : text
            } else {
                found = "malformed JSON"
            }
        case nil: found = "nothing"
        }
        reader.pos = start
        return invalid("expected \(expected), got \(found)")
    }

    mutating func value(_ type: WITType, into out: inout [UInt8]) throws(ValueError) {
        depth += 1
        defer { depth -= 1 }
        if depth > ValueEncoder.maxDepth {
            throw ValueError(.limitExceeded, "the type nests deeper than \(ValueEncoder.maxDepth) levels")
        }
        switch type {
        case .primitive(let p):
            try primitive(p, into: &out)
        case .list(let element):
            if case .primitive(.u8) = element {
                try bytes(into: &out, what: "list<u8>")
            } else {
                try list(element, into: &out)
            }
        case .fixedList(let element, let count):
            try fixedList(element, count: count, into: &out)
        case .map(let key, let value):
            try map(key: key, value: value, into: &out)
        case .option(let inner):
            if inner.jsonCanBeNull {
                try tagged(type, into: &out)
            } else if try reader.peekKind() == .null {
                try reader.readNull()
                out.append(0)
            } else {
                out.append(1)
                try child(nil, inner, into: &out)
            }
        case .result, .variant:
            try tagged(type, into: &out)
        case .tuple(let types):
            try tuple(types, into: &out)
        case .record(let r):
            try fields(r, what: "field", into: &out)
        case .enumeration(let e):
            guard try reader.peekKind() == .string else { throw mismatch("one of \(e.cases.map { "\"\($0)\"" }.joined(separator: ", "))") }
            let at = reader.pos
            let name = try reader.readString(into: &scratch)
            guard let index = e.cases.firstIndex(of: name) else {
                reader.pos = at
                throw mismatch("one of \(e.cases.map { "\"\($0)\"" }.joined(separator: ", "))")
            }
            writeUnsignedLEB(UInt64(index), into: &out)
        case .flags(let f):
            try flags(f, into: &out)
        case .own(let resource), .borrow(let resource):
            if let handles {
                try token(of: resource, handles, into: &out)
            } else {
                try bytes(into: &out, what: "a resource handle (base64)")
            }
        case .future(let inner):
            out.append(1)
            if let inner {
                try self.value(inner, into: &out)
            } else {
                try reader.readNull()
            }
        case .stream(let element):
            if case .primitive(.u8)? = element, try reader.peekKind() == .object {
                try urlStream(into: &out)
                return
            }
            out.append(1)
            switch element {
            case .primitive(.u8)?: try bytes(into: &out, what: "stream<u8> (base64)")
            case let element?: try list(element, into: &out)
            case nil: try unitList(into: &out)
            }
        }
    }

    /// A handle given as a token: its bytes go out, its origin is noted.
    mutating func token(of resource: Resource, _ handles: any HandleSealing, into out: inout [UInt8]) throws(ValueError) {
        guard try reader.peekKind() == .string else { throw mismatch("a resource handle (a string from the gateway)") }
        let at = reader.pos
        let text = try reader.readString(into: &scratch)
        let opened: OpenedHandle
        do throws(HandleRefusal) {
            opened = try handles.open(text, resource: resource.origin.description)
        } catch {
            reader.pos = at
            throw invalid(error.message)
        }
        writeUnsignedLEB(UInt64(opened.bytes.count), into: &out)
        out.append(contentsOf: opened.bytes)
        origins.append(HandleOrigin(origin: opened.origin, pointer: ValueError(.invalidValue, "", components: pointer).pointer))
    }

    /// `{"url": "…"}` for a `stream<u8>`: pending, to be fed from that URL.
    mutating func urlStream(into out: inout [UInt8]) throws(ValueError) {
        let at = reader.pos
        var url: String?
        if try reader.beginObject() {
            repeat {
                let key = try reader.memberName()
                guard key == "url", url == nil, try reader.peekKind() == .string else {
                    reader.pos = at
                    throw mismatch("stream<u8> as base64, or {\"url\": \"https://…\"}")
                }
                url = try reader.readString(into: &scratch)
            } while try reader.nextMember()
        }
        guard let url else {
            reader.pos = at
            throw mismatch("stream<u8> as base64, or {\"url\": \"https://…\"}")
        }
        guard urlStreams != nil else {
            throw invalid("streams from URLs are not enabled on this gateway (its operator allows them with --allow-url-prefix)")
        }
        urlStreams!.append(URLStream(path: path, url: url))
        out.append(0)
    }

    // MARK: - Primitives

    mutating func primitive(_ p: Primitive, into out: inout [UInt8]) throws(ValueError) {
        switch p {
        case .bool:
            guard try reader.peekKind() == .bool else { throw mismatch("bool") }
            out.append(try reader.readBool() ? 1 : 0)
        case .u8: out.append(UInt8(try unsigned(max: UInt64(UInt8.max), p)))
        case .u16: writeUnsignedLEB(try unsigned(max: UInt64(UInt16.max), p), into: &out)
        case .u32: writeUnsignedLEB(try unsigned(max: UInt64(UInt32.max), p), into: &out)
        case .u64: writeUnsignedLEB(try unsigned(max: UInt64.max, p), into: &out)
        case .s8: out.append(UInt8(bitPattern: Int8(try signed(min: Int64(Int8.min), max: Int64(Int8.max), p))))
        case .s16: writeSignedLEB(try signed(min: Int64(Int16.min), max: Int64(Int16.max), p), into: &out)
        case .s32: writeSignedLEB(try signed(min: Int64(Int32.min), max: Int64(Int32.max), p), into: &out)
        case .s64: writeSignedLEB(try signed(min: Int64.min, max: Int64.max, p), into: &out)
        case .f32:
            var bits = try float(p, Float.self).bitPattern
            if Float(bitPattern: bits).isNaN { bits = 0x7FC0_0000 }
            withUnsafeBytes(of: bits.littleEndian) { out.append(contentsOf: $0) }
        case .f64:
            var bits = try float(p, Double.self).bitPattern
            if Double(bitPattern: bits).isNaN { bits = 0x7FF8_0000_0000_0000 }
            withUnsafeBytes(of: bits.littleEndian) { out.append(contentsOf: $0) }
        case .char:
            guard try reader.peekKind() == .string else { throw mismatch("char (a string of one character)") }
            let at = reader.pos
            scratch.removeAll(keepingCapacity: true)
            try reader.readStringBytes(into: &scratch)
            let scalars = String(decoding: scratch, as: UTF8.self).unicodeScalars
            guard scalars.count == 1 else {
                reader.pos = at
                throw mismatch("char (a string of exactly one Unicode scalar value)")
            }
            out.append(contentsOf: scratch)
        case .string:
            guard try reader.peekKind() == .string else { throw mismatch("string") }
            try lengthPrefixed(into: &out) { (t, out) throws(ValueError) in
                try t.reader.readStringBytes(into: &out)
            }
        case .errorContext:
            throw invalid("error-context values cannot be given in JSON")
        }
    }

    /// Writes a LEB128 count, then what `body` appends, without knowing the
    /// count in advance: one placeholder byte is patched, or widened when
    /// the count needs more than one byte.
    @inline(__always)
    mutating func lengthPrefixed(into out: inout [UInt8],
                                 _ body: (inout Transcoder, inout [UInt8]) throws(ValueError) -> Int) throws(ValueError) {
        let at = out.count
        out.append(0)
        let count = try body(&self, &out)
        patchCount(count, at: at, in: &out)
    }

    @inline(__always)
    func patchCount(_ count: Int, at: Int, in out: inout [UInt8]) {
        if count < 0x80 {
            out[at] = UInt8(count)
        } else {
            var leb: [UInt8] = []
            writeUnsignedLEB(UInt64(count), into: &leb)
            out.replaceSubrange(at..<(at + 1), with: leb)
        }
    }

    mutating func unsigned(max: UInt64, _ p: Primitive) throws(ValueError) -> UInt64 {
        let (at, negative, magnitude) = try integer(p, wide: max == UInt64.max)
        guard let m = magnitude, !negative || m == 0, m <= max else {
            reader.pos = at
            throw mismatch(p.rawValue)
        }
        return m
    }

    mutating func signed(min: Int64, max: Int64, _ p: Primitive) throws(ValueError) -> Int64 {
        let (at, negative, magnitude) = try integer(p, wide: max == Int64.max)
        guard let m = magnitude, m <= (negative ? min.magnitude : UInt64(max)) else {
            reader.pos = at
            throw mismatch(p.rawValue)
        }
        return negative ? (m == min.magnitude ? min : -Int64(m)) : Int64(m)
    }

    /// An integer's sign and exact magnitude (nil if not integral or beyond
    /// 64 bits), from a number, or for 64-bit types (`wide`) a decimal string.
    private mutating func integer(_ p: Primitive, wide: Bool) throws(ValueError) -> (at: Int, negative: Bool, magnitude: UInt64?) {
        let at = reader.pos
        switch try reader.peekKind() {
        case .number:
            let n = try reader.readNumber()
            return (at, n.negative, integerMagnitude(n))
        case .string where wide:
            let (negative, magnitude) = try decimalString()
            return (at, negative, magnitude)
        default:
            throw mismatch(wide ? "\(p.rawValue) (a number or a decimal string)" : p.rawValue)
        }
    }

    /// A 64-bit integer given as a JSON string of decimal digits.
    mutating func decimalString() throws(ValueError) -> (Bool, UInt64?) {
        scratch.removeAll(keepingCapacity: true)
        try reader.readStringBytes(into: &scratch)
        var digits = scratch[...]
        var negative = false
        if digits.first == UInt8(ascii: "-") {
            negative = true
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.count <= 20,
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return (negative, nil) }
        var v: UInt64 = 0
        for d in digits {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d - UInt8(ascii: "0")))
            if o1 || o2 { return (negative, nil) }
            v = a
        }
        return (negative, v)
    }

    /// The exact magnitude of an integral JSON number (`12`, `1.0`, `1e3`),
    /// or nil for a fraction or a value beyond 64 bits.
    func integerMagnitude(_ n: NumberText) -> UInt64? {
        let b = reader.bytes
        if n.isInteger && n.intDigits.count <= 19 {
            var v: UInt64 = 0
            for i in n.intDigits { v = v &* 10 &+ UInt64(b[i] &- UInt8(ascii: "0")) }
            return v
        }
        // Digits of integer and fraction parts, trailing zeros folded into the scale.
        var digits = Array(n.intDigits) + Array(n.fracDigits)
        var scale = n.exponent - n.fracDigits.count
        while let last = digits.last, b[last] == UInt8(ascii: "0"), digits.count > 1 {
            digits.removeLast()
            scale += 1
        }
        while digits.count > 1, b[digits[0]] == UInt8(ascii: "0") { digits.removeFirst() }
        if digits.count == 1 && b[digits[0]] == UInt8(ascii: "0") { return 0 }
        if scale < 0 || scale > 20 { return nil }
        var v: UInt64 = 0
        for i in digits {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(b[i] - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            v = a
        }
        for _ in 0..<scale {
            let (m, o) = v.multipliedReportingOverflow(by: 10)
            if o { return nil }
            v = m
        }
        return v
    }

    mutating func float<F: BinaryFloatingPoint & LosslessStringConvertible>(_ p: Primitive, _: F.Type) throws(ValueError) -> F {
        let at = reader.pos
        switch try reader.peekKind() {
        case .number:
            let n = try reader.readNumber()
            let text = String(decoding: UnsafeBufferPointer(rebasing: reader.bytes[n.start..<n.end]), as: UTF8.self)
            guard let v = F(text), v.isFinite else {
                reader.pos = at
                throw mismatch("\(p.rawValue) (the value is out of range)")
            }
            return v
        case .string:
            switch try reader.readString(into: &scratch) {
            case "NaN": return F.nan
            case "Infinity": return F.infinity
            case "-Infinity": return -F.infinity
            default:
                reader.pos = at
                throw mismatch("\(p.rawValue) (a number, \"NaN\", \"Infinity\" or \"-Infinity\")")
            }
        default:
            throw mismatch(p.rawValue)
        }
    }

    // MARK: - Bytes, lists, tuples, maps

    /// `list<u8>`, handles, `stream<u8>`: base64 text, or an array of numbers.
    mutating func bytes(into out: inout [UInt8], what: String) throws(ValueError) {
        switch try reader.peekKind() {
        case .string:
            let at = reader.pos
            // Base64 needs no escapes: decode straight from the JSON text when
            // the string has none (any byte outside the alphabet fails the decode).
            if let close = reader.closingQuote() {
                let text = UnsafeBufferPointer(rebasing: reader.bytes[(at + 1)..<close])
                if let count = Base64.decodedLength(text) {
                    writeUnsignedLEB(UInt64(count), into: &out)
                    if Base64.decode(text, into: &out) {
                        reader.pos = close + 1
                        return
                    }
                    out.removeLast(lebLength(UInt64(count)))
                }
            }
            scratch.removeAll(keepingCapacity: true)
            try reader.readStringBytes(into: &scratch)
            let decoded = scratch.withUnsafeBufferPointer { Base64.decodedLength($0) }
            guard let count = decoded else {
                reader.pos = at
                throw invalid("expected \(what), got a string that is not base64")
            }
            writeUnsignedLEB(UInt64(count), into: &out)
            let ok = scratch.withUnsafeBufferPointer { Base64.decode($0, into: &out) }
            guard ok else {
                reader.pos = at
                throw invalid("expected \(what), got a string that is not base64")
            }
        case .array:
            try list(.primitive(.u8), into: &out)
        default:
            throw mismatch("\(what) as a base64 string")
        }
    }

    mutating func list(_ element: WITType, into out: inout [UInt8]) throws(ValueError) {
        guard try reader.peekKind() == .array else { throw mismatch("an array (\(WITType.list(element).displayName))") }
        try lengthPrefixed(into: &out) { (t, out) throws(ValueError) in
            var count = 0
            guard try t.reader.beginArray() else { return 0 }
            repeat {
                do throws(ValueError) { try t.child(count, element, into: &out) } catch { throw error.inside(count) }
                count += 1
            } while try t.reader.nextElement()
            return count
        }
    }

    /// `stream` without an element type: only its length travels, so the
    /// elements' JSON (`null` or `[]`) is not looked at.
    mutating func unitList(into out: inout [UInt8]) throws(ValueError) {
        guard try reader.peekKind() == .array else { throw mismatch("an array (stream)") }
        var count = 0
        if try reader.beginArray() {
            repeat {
                try reader.skipValue()
                count += 1
            } while try reader.nextElement()
        }
        writeUnsignedLEB(UInt64(count), into: &out)
    }

    mutating func fixedList(_ element: WITType, count: Int, into out: inout [UInt8]) throws(ValueError) {
        let type = WITType.fixedList(element, count: count)
        guard try reader.peekKind() == .array else { throw mismatch("an array of \(count) (\(type.displayName))") }
        let at = reader.pos
        var n = 0
        if try reader.beginArray() {
            repeat {
                if n == count { reader.pos = at; throw mismatch("an array of exactly \(count) elements (\(type.displayName))") }
                do throws(ValueError) { try child(n, element, into: &out) } catch { throw error.inside(n) }
                n += 1
            } while try reader.nextElement()
        }
        if n != count { reader.pos = at; throw mismatch("an array of exactly \(count) elements (\(type.displayName))") }
    }

    mutating func tuple(_ types: [WITType], into out: inout [UInt8]) throws(ValueError) {
        let shape = "an array of \(types.count) (\(WITType.tuple(types).displayName))"
        guard try reader.peekKind() == .array else { throw mismatch(shape) }
        let at = reader.pos
        var n = 0
        if try reader.beginArray() {
            repeat {
                if n == types.count { reader.pos = at; throw mismatch(shape) }
                do throws(ValueError) { try child(n, types[n], into: &out) } catch { throw error.inside(n) }
                n += 1
            } while try reader.nextElement()
        }
        if n != types.count { reader.pos = at; throw mismatch(shape) }
    }

    /// An array of `[key, value]` pairs; an object too when keys are strings.
    mutating func map(key: WITType, value: WITType, into out: inout [UInt8]) throws(ValueError) {
        let kind = try reader.peekKind()
        if kind == .object, case .primitive(.string) = key {
            try lengthPrefixed(into: &out) { (t, out) throws(ValueError) in
                var count = 0
                guard try t.reader.beginObject() else { return 0 }
                repeat {
                    t.scratch.removeAll(keepingCapacity: true)
                    let keyStart = out.count
                    out.append(0)
                    let n = try t.reader.readStringBytes(into: &out)
                    t.patchCount(n, at: keyStart, in: &out)
                    let name = String(decoding: out[(out.count - n)...], as: UTF8.self)
                    try t.reader.expect(UInt8(ascii: ":"), "`:` after a member name")
                    // As the pair `[key, value]` of element `count`.
                    if t.urlStreams != nil { t.path += [UInt32(truncatingIfNeeded: count), 1] }
                    if t.handles != nil { t.pointer.append(name) }
                    defer {
                        if t.urlStreams != nil { t.path.removeLast(2) }
                        if t.handles != nil { t.pointer.removeLast() }
                    }
                    do throws(ValueError) { try t.value(value, into: &out) } catch { throw error.inside(name) }
                    count += 1
                } while try t.reader.nextMember()
                return count
            }
            return
        }
        guard kind == .array else { throw mismatch("an array of [key, value] pairs (\(WITType.map(key: key, value: value).displayName))") }
        let pair = [key, value]
        try lengthPrefixed(into: &out) { (t, out) throws(ValueError) in
            var count = 0
            guard try t.reader.beginArray() else { return 0 }
            repeat {
                do throws(ValueError) { try t.child(count, .tuple(pair), into: &out) } catch { throw error.inside(count) }
                count += 1
            } while try t.reader.nextElement()
            return count
        }
    }

    // MARK: - Flags

    mutating func flags(_ f: FlagsType, into out: inout [UInt8]) throws(ValueError) {
        guard try reader.peekKind() == .array else { throw mismatch("an array of flag names") }
        var bits = [UInt8](repeating: 0, count: (f.flags.count + 7) / 8)
        var i = 0
        if try reader.beginArray() {
            repeat {
                guard try reader.peekKind() == .string else { throw mismatch("a flag name").inside(i) }
                let at = reader.pos
                let name = try reader.readString(into: &scratch)
                guard let index = f.flags.firstIndex(of: name) else {
                    reader.pos = at
                    throw mismatch("one of the flags \(f.flags.map { "\"\($0)\"" }.joined(separator: ", "))").inside(i)
                }
                guard bits[index / 8] & (1 << UInt8(index % 8)) == 0 else {
                    throw invalid("flag \"\(name)\" is listed twice").inside(i)
                }
                bits[index / 8] |= 1 << UInt8(index % 8)
                i += 1
            } while try reader.nextElement()
        }
        out.append(contentsOf: bits)
    }

    // MARK: - Records and parameter objects

    /// An object keyed by names. Members usually arrive in declaration order
    /// and are written straight out; one that arrives early is encoded aside
    /// and spliced in when its turn comes.
    mutating func fields<L: FieldList>(_ list: L, what: String, into out: inout [UInt8]) throws(ValueError) {
        guard try reader.peekKind() == .object else {
            throw mismatch("an object with \(what)s \((0..<list.count).map { "\"\(list.name($0))\"" }.joined(separator: ", "))")
        }
        let objectStart = reader.pos
        var next = 0
        var seen = [Bool](repeating: false, count: list.count)
        var parked: [Int: [UInt8]] = [:]
        if try reader.beginObject() {
            repeat {
                let keyAt = reader.pos
                scratch.removeAll(keepingCapacity: true)
                reader.skipWhitespace()
                guard reader.pos < reader.bytes.count, reader.bytes[reader.pos] == UInt8(ascii: "\"") else {
                    throw reader.syntax("expected a member name in double quotes")
                }
                try reader.readStringBytes(into: &scratch)
                try reader.expect(UInt8(ascii: ":"), "`:` after a member name")
                var index = -1
                if next < list.count && list.name(next).utf8.elementsEqual(scratch) {
                    index = next
                } else {
                    for i in 0..<list.count where list.name(i).utf8.elementsEqual(scratch) {
                        index = i
                        break
                    }
                }
                let key = String(decoding: scratch, as: UTF8.self)
                guard index >= 0 else {
                    reader.pos = keyAt
                    throw invalid("unknown \(what) `\(key)`; expected \((0..<list.count).map { "`\(list.name($0))`" }.joined(separator: ", "))").inside(key)
                }
                guard !seen[index] else {
                    throw invalid("\(what) `\(key)` is given more than once").inside(key)
                }
                seen[index] = true
                if index == next {
                    do throws(ValueError) { try child(index, list.type(index), named: key, into: &out) } catch { throw error.inside(key) }
                    next += 1
                    while let early = parked.removeValue(forKey: next) {
                        out.append(contentsOf: early)
                        next += 1
                    }
                } else {
                    var aside: [UInt8] = []
                    do throws(ValueError) { try child(index, list.type(index), named: key, into: &aside) } catch { throw error.inside(key) }
                    parked[index] = aside
                }
            } while try reader.nextMember()
        }
        while next < list.count {
            if let early = parked.removeValue(forKey: next) {
                out.append(contentsOf: early)
            } else if list.type(next).isOption {
                out.append(0)
            } else {
                let end = reader.pos
                reader.pos = objectStart
                defer { reader.pos = end }
                throw invalid("missing \(what) `\(list.name(next))` of type \(list.type(next).displayName)")
            }
            next += 1
        }
    }

    // MARK: - Tagged unions: variant, result, nested option

    /// `{"tag": "case", "val": payload}`. The payload may come before the
    /// tag; it is then skipped and read again once the tag is known.
    mutating func tagged(_ type: WITType, into out: inout [UInt8]) throws(ValueError) {
        let names: [String]
        let payloads: [WITType?]
        switch type {
        case .variant(let v):
            names = v.cases.map(\.name)
            payloads = v.cases.map(\.type)
        case .result(let ok, let err):
            names = ["ok", "err"]
            payloads = [ok, err]
        case .option(let inner):
            names = ["none", "some"]
            payloads = [nil, inner]
        default:
            preconditionFailure("tagged() called for \(type)")
        }
        let shape = "an object {\"tag\": …, \"val\": …} with tag \(names.map { "\"\($0)\"" }.joined(separator: " or "))"
        guard try reader.peekKind() == .object else { throw mismatch(shape) }
        var tag: Int?
        var valueAt: Int?
        var wroteValue = false
        func discriminant(_ i: Int, _ out: inout [UInt8]) {
            if case .variant = type { writeUnsignedLEB(UInt64(i), into: &out) } else { out.append(UInt8(i)) }
        }
        if try reader.beginObject() {
            repeat {
                let key = try reader.memberName()
                switch key {
                case "tag":
                    guard tag == nil else { throw invalid("`tag` is given more than once") }
                    guard try reader.peekKind() == .string else { throw mismatch("a tag name, one of \(names.map { "\"\($0)\"" }.joined(separator: ", "))").inside("tag") }
                    let at = reader.pos
                    let name = try reader.readString(into: &scratch)
                    guard let i = names.firstIndex(of: name) else {
                        reader.pos = at
                        throw mismatch("one of \(names.map { "\"\($0)\"" }.joined(separator: ", "))").inside("tag")
                    }
                    tag = i
                    if let valueAt {
                        // The payload came first: read it again now that its type is known.
                        discriminant(i, &out)
                        let resume = reader.pos
                        reader.pos = valueAt
                        try payload(payloads[i], into: &out)
                        reader.pos = resume
                        wroteValue = true
                    }
                case "val":
                    guard valueAt == nil && !wroteValue else { throw invalid("`val` is given more than once") }
                    if let i = tag {
                        discriminant(i, &out)
                        try payload(payloads[i], into: &out)
                        wroteValue = true
                    } else {
                        reader.skipWhitespace()
                        valueAt = reader.pos
                        try reader.skipValue()
                    }
                default:
                    throw invalid("unknown member `\(key)`; expected `tag` and `val`").inside(key)
                }
            } while try reader.nextMember()
        }
        guard let i = tag else { throw invalid("missing `tag`; expected \(shape)") }
        if !wroteValue {
            guard payloads[i] == nil else {
                throw invalid("missing `val` for tag \"\(names[i])\" of type \(payloads[i]!.displayName)")
            }
            discriminant(i, &out)
        }
    }

    private mutating func payload(_ type: WITType?, into out: inout [UInt8]) throws(ValueError) {
        if let type {
            do throws(ValueError) { try child(nil, type, named: "val", into: &out) } catch { throw error.inside("val") }
        } else {
            guard try reader.peekKind() == .null else { throw mismatch("no `val` (this case has no payload)").inside("val") }
            try reader.readNull()
        }
    }
}
