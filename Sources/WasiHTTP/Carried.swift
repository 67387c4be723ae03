/// A body or trailers value as the record carries it: here already, or
/// coming later on its own path.
public enum Carried<Value: Sendable>: Sendable {
    case ready(Value)
    case pending
}

extension Carried: Equatable where Value: Equatable {}

extension Carried where Value == [UInt8] {
    /// `stream<u8>` in a record: 0 when its bytes follow on their own path,
    /// or 1 and all of them here.
    static func read(_ r: inout CMReader) throws(CMReader.Failure) -> Carried {
        switch try r.byte() {
        case 0: return .pending
        case 1: return .ready(try r.bytesList(limit: 64 << 20))
        case let t: throw .malformed("stream tag \(t)")
        }
    }

    func write(_ w: inout CMWriter) {
        switch self {
        case .pending: w.byte(0)
        case .ready(let bytes):
            w.byte(1)
            w.bytesList(bytes)
        }
    }
}

extension Carried where Value == Fields? {
    /// `future<option<fields>>` in a record: 0 when it resolves later on its
    /// own path, or 1 and its value here.
    static func read(_ r: inout CMReader) throws(CMReader.Failure) -> Carried {
        switch try r.byte() {
        case 0: return .pending
        case 1: return .ready(try r.option { (r: inout CMReader) throws(CMReader.Failure) in try Fields.read(&r) })
        case let t: throw .malformed("future tag \(t)")
        }
    }

    func write(_ w: inout CMWriter) {
        switch self {
        case .pending: w.byte(0)
        case .ready(let f):
            w.byte(1)
            w.option(f) { w, fields in fields.write(&w) }
        }
    }
}
