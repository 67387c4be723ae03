import ComponentValues

/// Reads Component Model values off bytes that may not all be here yet:
/// every read throws `.needMore` when the value runs past the end, so a
/// caller can retry once more bytes arrived. For the few fixed records of
/// wasi:http, read directly by their shape (one read per WIT type, as wRPC
/// Go's bindings do) rather than through a JSON tree.
struct CMReader {
    enum Failure: Error, Equatable {
        case needMore
        case malformed(String)
    }

    let bytes: [UInt8]
    private(set) var position: Int

    init(_ bytes: [UInt8], at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    mutating func byte() throws(Failure) -> UInt8 {
        guard position < bytes.count else { throw .needMore }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func leb(bits: Int) throws(Failure) -> UInt64 {
        let r = bytes.withUnsafeBufferPointer { readUnsignedLEB($0, at: position, bits: bits) }
        switch r {
        case .needMore: throw .needMore
        case .invalid(let m): throw .malformed(m)
        case .value(let v, let n):
            position += n
            return v
        }
    }

    mutating func u16() throws(Failure) -> UInt16 { UInt16(try leb(bits: 16)) }
    mutating func u32() throws(Failure) -> UInt32 { UInt32(try leb(bits: 32)) }
    mutating func u64() throws(Failure) -> UInt64 { try leb(bits: 64) }

    /// `count` raw bytes, refused beyond `limit` before waiting for them.
    mutating func raw(_ count: Int, limit: Int) throws(Failure) -> ArraySlice<UInt8> {
        guard count <= limit else { throw .malformed("\(count) bytes where at most \(limit) may come") }
        guard bytes.count - position >= count else { throw .needMore }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    mutating func string(limit: Int) throws(Failure) -> String {
        let n = Int(try u32())
        let raw = try raw(n, limit: limit)
        guard let s = String(validating: raw, as: UTF8.self) else { throw .malformed("a string that is not UTF-8") }
        return s
    }

    mutating func bytesList(limit: Int) throws(Failure) -> [UInt8] {
        Array(try raw(Int(try u32()), limit: limit))
    }

    /// `option<T>`.
    mutating func option<T>(_ read: (inout CMReader) throws(Failure) -> T) throws(Failure) -> T? {
        switch try byte() {
        case 0: return nil
        case 1: return try read(&self)
        case let b: throw .malformed("option tag \(b)")
        }
    }

    /// Reads one value off `bytes` with `read`: nil while more bytes are
    /// needed, the value once they are all here, `WasiHTTPError` (naming
    /// `what`) when they cannot be one.
    static func decode<T>(_ bytes: [UInt8], _ what: String,
                          _ read: (inout CMReader) throws(Failure) -> T) throws(WasiHTTPError) -> T? {
        var r = CMReader(bytes)
        do throws(Failure) {
            return try read(&r)
        } catch {
            switch error {
            case .needMore: return nil
            case .malformed(let m): throw .malformed("\(what): \(m)")
            }
        }
    }
}
