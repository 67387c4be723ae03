/// `wasi:http/types.scheme`.
public enum Scheme: Sendable, Equatable {
    case http, https
    case other(String)

    public var name: String {
        switch self {
        case .http: return "http"
        case .https: return "https"
        case .other(let s): return s
        }
    }

    public init(_ name: String) {
        switch name.lowercased() {
        case "http": self = .http
        case "https": self = .https
        default: self = .other(name)
        }
    }

    static func read(_ r: inout CMReader) throws(CMReader.Failure) -> Scheme {
        switch try r.u32() {
        case 0: return .http
        case 1: return .https
        case 2: return .other(try r.string(limit: 1024))
        case let t: throw .malformed("scheme case \(t)")
        }
    }

    func write(_ w: inout CMWriter) {
        switch self {
        case .http: w.leb(0)
        case .https: w.leb(1)
        case .other(let s):
            w.leb(2)
            w.string(s)
        }
    }
}
