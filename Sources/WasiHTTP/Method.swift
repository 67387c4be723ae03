/// `wasi:http/types.method`.
public enum Method: Sendable, Equatable {
    case get, head, post, put, delete, connect, options, trace, patch
    case other(String)

    static let known: [Method] = [.get, .head, .post, .put, .delete, .connect, .options, .trace, .patch]

    public init(_ token: String) {
        self = Self.known.first { $0.name == token } ?? .other(token)
    }

    /// The request-line token.
    public var name: String {
        switch self {
        case .get: return "GET"
        case .head: return "HEAD"
        case .post: return "POST"
        case .put: return "PUT"
        case .delete: return "DELETE"
        case .connect: return "CONNECT"
        case .options: return "OPTIONS"
        case .trace: return "TRACE"
        case .patch: return "PATCH"
        case .other(let s): return s
        }
    }

    static func read(_ r: inout CMReader) throws(CMReader.Failure) -> Method {
        let tag = Int(try r.u32())
        if tag < known.count { return known[tag] }
        guard tag == known.count else { throw .malformed("method case \(tag)") }
        return .other(try r.string(limit: 1024))
    }

    func write(_ w: inout CMWriter) {
        if case .other(let s) = self {
            w.leb(UInt64(Self.known.count))
            w.string(s)
        } else {
            w.leb(UInt64(Self.known.firstIndex(of: self)!))
        }
    }
}

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
