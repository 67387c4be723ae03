import Foundation
import JWTKit

/// A token's payload: the registered claims the gateway checks, as
/// jwt-kit's claim types, and every simple claim as strings for the
/// per-identity policy.
public struct JWTClaims: JWTPayload, Equatable {
    public var subject: SubjectClaim?
    public var issuer: IssuerClaim?
    public var audience: AudienceClaim?
    public var expiration: ExpirationClaim?
    public var notBefore: NotBeforeClaim?
    public var values: [String: [String]]

    public init(subject: String? = nil, issuer: String? = nil, audience: [String]? = nil, expiration: Date? = nil,
                notBefore: Date? = nil, values: [String: [String]] = [:]) {
        self.subject = subject.map { SubjectClaim(value: $0) }
        self.issuer = issuer.map { IssuerClaim(value: $0) }
        self.audience = audience.map { AudienceClaim(value: $0) }
        self.expiration = expiration.map { ExpirationClaim(value: $0) }
        self.notBefore = notBefore.map { NotBeforeClaim(value: $0) }
        self.values = values
    }

    struct Key: CodingKey {
        let stringValue: String
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        subject = try c.decodeIfPresent(SubjectClaim.self, forKey: Key("sub"))
        issuer = try c.decodeIfPresent(IssuerClaim.self, forKey: Key("iss"))
        audience = try c.decodeIfPresent(AudienceClaim.self, forKey: Key("aud"))
        expiration = try c.decodeIfPresent(ExpirationClaim.self, forKey: Key("exp"))
        notBefore = try c.decodeIfPresent(NotBeforeClaim.self, forKey: Key("nbf"))
        var values: [String: [String]] = [:]
        for key in c.allKeys {
            if let list = try? c.decode([Scalar].self, forKey: key) {
                values[key.stringValue] = list.map(\.text)
            } else if let one = try? c.decode(Scalar.self, forKey: key) {
                // OAuth's `scope` is one string of space-separated scopes.
                values[key.stringValue] = key.stringValue == "scope" ? one.text.split(separator: " ").map(String.init) : [one.text]
            }
        }
        self.values = values
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for (name, list) in values where !["sub", "iss", "aud", "exp", "nbf"].contains(name) {
            if name == "scope" {
                try c.encode(list.joined(separator: " "), forKey: Key(name))
            } else if list.count == 1 {
                try c.encode(list[0], forKey: Key(name))
            } else {
                try c.encode(list, forKey: Key(name))
            }
        }
        try c.encodeIfPresent(subject, forKey: Key("sub"))
        try c.encodeIfPresent(issuer, forKey: Key("iss"))
        try c.encodeIfPresent(audience, forKey: Key("aud"))
        try c.encodeIfPresent(expiration, forKey: Key("exp"))
        try c.encodeIfPresent(notBefore, forKey: Key("nbf"))
    }

    /// The signature is jwt-kit's to check; the claims are checked by
    /// `JWTVerifier` against its configuration (issuer, audience, leeway).
    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// A claim value that is not an object: kept as text.
    struct Scalar: Decodable {
        let text: String
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) {
                text = s
            } else if let b = try? c.decode(Bool.self) {
                text = b ? "true" : "false"
            } else if let i = try? c.decode(Int64.self) {
                text = String(i)
            } else {
                text = String(try c.decode(Double.self))
            }
        }
    }
}
