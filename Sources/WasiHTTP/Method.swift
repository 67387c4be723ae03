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
