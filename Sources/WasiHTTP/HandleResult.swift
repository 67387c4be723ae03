/// `result<response, error-code>`, the result of both handlers.
public enum HandleResult: Sendable, Equatable {
    case response(ResponseHead)
    case failure(ErrorCode)

    public func encode() -> [UInt8] {
        var w = CMWriter()
        switch self {
        case .response(let head):
            w.byte(0)
            head.write(&w)
        case .failure(let code):
            w.byte(1)
            code.write(&w)
        }
        return w.bytes
    }

    /// Decodes the result from `bytes`; nil while more bytes are needed.
    public static func decode(_ bytes: [UInt8]) throws -> HandleResult? {
        try CMReader.decode(bytes, "result<response, error-code>") { (r: inout CMReader) throws(CMReader.Failure) in
            switch try r.byte() {
            case 0: return .response(try ResponseHead.read(&r))
            case 1: return .failure(try ErrorCode.read(&r))
            case let t: throw .malformed("result tag \(t)")
            }
        }
    }
}
