/// A value that does not fit its WIT type, JSON that does not parse, or
/// bytes that do not decode. `pointer` is a JSON Pointer (RFC 6901) to the
/// offending place in the JSON value.
public struct ValueError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The request text is not JSON.
        case malformedJSON = "malformed-json"
        /// JSON that parses but does not fit the WIT type.
        case invalidValue = "invalid-value"
        /// Component Model bytes that do not decode as the expected type.
        case malformedBytes = "malformed-bytes"
        /// Nesting, size or output limits.
        case limitExceeded = "limit-exceeded"
    }

    public let kind: Kind
    public let message: String
    /// Byte offset in the input (JSON text or CM bytes) where known.
    public let offset: Int?
    /// Pointer components, innermost last.
    public private(set) var components: [String]

    public init(_ kind: Kind, _ message: String, offset: Int? = nil, components: [String] = []) {
        self.kind = kind
        self.message = message
        self.offset = offset
        self.components = components
    }

    public var pointer: String {
        components.map { "/" + $0.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1") }.joined()
    }

    /// The same error one level further out.
    func inside(_ component: String) -> ValueError {
        var copy = self
        copy.components.insert(component, at: 0)
        return copy
    }

    func inside(_ index: Int) -> ValueError { inside(String(index)) }

    public var description: String {
        let place = pointer.isEmpty ? "" : "\(pointer): "
        return "\(place)\(message)"
    }
}
