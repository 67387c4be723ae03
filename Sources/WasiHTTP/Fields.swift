/// `fields`: `list<tuple<string, list<list<u8>>>>` — header names with
/// every value each carries, as bytes (HTTP values need not be UTF-8).
public struct Fields: Sendable, Equatable {
    public var entries: [(name: String, values: [[UInt8]])]

    public init(_ entries: [(name: String, values: [[UInt8]])] = []) {
        self.entries = entries
    }

    /// From single name/value pairs, grouping repeated names in order.
    public init(pairs: [(String, [UInt8])]) {
        var out: [(name: String, values: [[UInt8]])] = []
        for (name, value) in pairs {
            if let i = out.firstIndex(where: { $0.name.caseInsensitiveEquals(name) }) {
                out[i].values.append(value)
            } else {
                out.append((name, [value]))
            }
        }
        entries = out
    }

    /// One name/value pair per value, as HTTP sends them.
    public var pairs: [(String, [UInt8])] {
        entries.flatMap { e in e.values.map { (e.name, $0) } }
    }

    public func values(_ name: String) -> [[UInt8]] {
        entries.filter { $0.name.caseInsensitiveEquals(name) }.flatMap(\.values)
    }

    public var isEmpty: Bool { entries.isEmpty }

    public static func == (a: Fields, b: Fields) -> Bool {
        a.entries.count == b.entries.count && zip(a.entries, b.entries).allSatisfy { $0.name == $1.name && $0.values == $1.values }
    }

    /// Every value may be this long, and a field list hold this many bytes in all.
    static let maxBytes = 1 << 20

    static func read(_ r: inout CMReader) throws(CMReader.Failure) -> Fields {
        let count = Int(try r.u32())
        guard count <= maxBytes / 2 else { throw .malformed("\(count) fields") }
        var entries: [(name: String, values: [[UInt8]])] = []
        for _ in 0..<count {
            let name = try r.string(limit: maxBytes)
            let n = Int(try r.u32())
            guard n <= maxBytes else { throw .malformed("\(n) values of \(name)") }
            var values: [[UInt8]] = []
            for _ in 0..<n { values.append(try r.bytesList(limit: maxBytes)) }
            entries.append((name, values))
        }
        return Fields(entries)
    }

    func write(_ w: inout CMWriter) {
        w.leb(UInt64(entries.count))
        for e in entries {
            w.string(e.name)
            w.leb(UInt64(e.values.count))
            for v in e.values { w.bytesList(v) }
        }
    }

    /// The encoding of `option<fields>` (a trailers future's value).
    public static func encodeOptional(_ fields: Fields?) -> [UInt8] {
        var w = CMWriter()
        w.option(fields) { w, f in f.write(&w) }
        return w.bytes
    }

    /// Decodes `option<fields>` from `bytes`; nil when more bytes are needed.
    public static func decodeOptional(_ bytes: [UInt8]) throws -> (Fields?, complete: Bool) {
        let read = try CMReader.decode(bytes, "trailers") { (r: inout CMReader) throws(CMReader.Failure) in
            try r.option { (r: inout CMReader) throws(CMReader.Failure) in try Fields.read(&r) }
        }
        guard let read else { return (nil, false) }
        return (read, true)
    }
}
