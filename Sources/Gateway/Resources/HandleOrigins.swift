import ComponentValues

extension Gateway {
    /// The member every handle of a call came from (nil: no handle), or 400
    /// when they came from two: a call runs on one backend.
    static func member(for origins: [HandleOrigin]) -> Result<String?, GatewayError> {
        guard let first = origins.first else { return .success(nil) }
        if let other = origins.first(where: { $0.origin != first.origin }) {
            return .failure(GatewayError(400, "invalid_argument",
                "\(first.pointer) and \(other.pointer) are handles of resources on different backends; a call goes to one backend, so its handles must all come from it",
                details: [("path", .string(other.pointer)), ("parameters", .array([.string(first.pointer), .string(other.pointer)]))]))
        }
        return .success(first.origin)
    }
}
