/// Who a request comes from, once authenticated.
public struct Identity: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// An API key: `name` is the key's name.
        case apiKey = "key"
        /// A JSON Web Token: `name` is its `sub`.
        case jwt = "sub"
    }

    public let kind: Kind
    public let name: String
    /// A token's claims whose values are strings, numbers, booleans or
    /// arrays of those, as strings (`scope` split at spaces); empty for keys.
    public let claims: [String: [String]]

    public init(kind: Kind, name: String, claims: [String: [String]] = [:]) {
        self.kind = kind
        self.name = name
        self.claims = claims
    }

    /// `key:NAME` or `sub:SUBJECT`: how the log line and the policy file name a caller.
    public var description: String { "\(kind.rawValue):\(name)" }
}
