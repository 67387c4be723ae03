/// A parsed JSON value, for code that handles values in Swift (the demo
/// backend's handlers, tests). The gateway's request path never builds one:
/// it transcodes directly. Numbers keep their text, so 64-bit integers stay exact.
public indirect enum JSONValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public init(parsing bytes: [UInt8]) throws(ValueError) {
        self = try bytes.withUnsafeBufferPointer { (b) throws(ValueError) -> JSONValue in
            var reader = JSONReader(b)
            let v = try Self.parse(&reader, depth: 0)
            try reader.expectEnd()
            return v
        }
    }

    public init(parsing text: String) throws(ValueError) {
        try self.init(parsing: Array(text.utf8))
    }

    private static func parse(_ r: inout JSONReader, depth: Int) throws(ValueError) -> JSONValue {
        guard depth < JSONReader.maxSkipDepth else { throw ValueError(.limitExceeded, "JSON nests too deeply") }
        var scratch: [UInt8] = []
        switch try r.peekKind() {
        case .null: try r.readNull(); return .null
        case .bool: return .bool(try r.readBool())
        case .number:
            let n = try r.readNumber()
            return .number(String(decoding: UnsafeBufferPointer(rebasing: r.bytes[n.start..<n.end]), as: UTF8.self))
        case .string: return .string(try r.readString(into: &scratch))
        case .array:
            var items: [JSONValue] = []
            if try r.beginArray() {
                repeat { items.append(try parse(&r, depth: depth + 1)) } while try r.nextElement()
            }
            return .array(items)
        case .object:
            var members: [(String, JSONValue)] = []
            if try r.beginObject() {
                repeat {
                    let key = try r.memberName()
                    members.append((key, try parse(&r, depth: depth + 1)))
                } while try r.nextMember()
            }
            return .object(members)
        }
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }

    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): out.append(contentsOf: n.utf8)
        case .string(let s): writeJSONString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, v) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, (k, v)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeJSONString(k, into: &out)
                out.append(UInt8(ascii: ":"))
                v.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    // Convenience accessors for handlers.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members.first { $0.0 == key }?.1 }
        return nil
    }

    public subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var uint64Value: UInt64? {
        if case .number(let n) = self { return UInt64(n) }
        return nil
    }

    public static func tagged(_ tag: String, _ value: JSONValue? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [("tag", .string(tag))]
        if let value { members.append(("val", value)) }
        return .object(members)
    }

    public static func number<I: BinaryInteger>(_ i: I) -> JSONValue { .number(String(i)) }

    /// `list<u8>` as JSON: base64.
    public static func bytes(_ b: [UInt8]) -> JSONValue {
        let quoted = jsonBase64String(b)
        return .string(String(decoding: quoted[1..<(quoted.count - 1)], as: UTF8.self))
    }

    /// The bytes of a base64 JSON string.
    public var base64Bytes: [UInt8]? {
        guard case .string(let s) = self else { return nil }
        var out: [UInt8] = []
        let ok = Array(s.utf8).withUnsafeBufferPointer { Base64.decode($0, into: &out) }
        return ok ? out : nil
    }
}
