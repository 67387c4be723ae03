import Crypto
import CryptoExtras
import Foundation
import JWTKit

/// Signing keys made for a test (RS256, ES256 and EdDSA), the JWKS of their
/// public halves as a gateway would be given it, and tokens signed with
/// jwt-kit.
public struct TestSigner: Sendable {
    public let keys: JWTKeyCollection
    /// The JWKS (JSON text) of the public keys, with kids `rsa`, `ec` and `ed`.
    public let jwks: String

    public enum Algorithm: String, Sendable, CaseIterable {
        case rs256 = "rsa"
        case es256 = "ec"
        case eddsa = "ed"
    }

    /// One signer for the whole test process, and another for tokens from
    /// a stranger: key generation (RSA above all) is made once, on a thread
    /// of its own, never on the concurrency pool that other tests run on.
    public static func shared() async throws -> TestSigner { try await cache.first.value }
    public static func stranger() async throws -> TestSigner { try await cache.second.value }

    private static let cache = (first: Task { try await TestSigner() }, second: Task { try await TestSigner() })

    public init() async throws {
        let rsaKey: _RSA.Signing.PrivateKey = try await withCheckedThrowingContinuation { c in
            Thread.detachNewThread { c.resume(with: Result { try _RSA.Signing.PrivateKey(keySize: .bits2048) }) }
        }
        let rsa = try Insecure.RSA.PrivateKey(backing: rsaKey)
        let ec = try ES256PrivateKey(backing: P256.Signing.PrivateKey())
        let ed = EdDSA.PrivateKey(backing: Curve25519.Signing.PrivateKey())
        keys = JWTKeyCollection()
        await keys.add(rsa: rsa, digestAlgorithm: .sha256, kid: "rsa")
        await keys.add(ecdsa: ec, kid: "ec")
        await keys.add(eddsa: ed, kid: "ed")
        let (n, e) = try rsa.publicKey.getKeyPrimitives()
        let (x, y) = ec.parameters!
        jwks = """
            {"keys": [
              {"kty": "RSA", "kid": "rsa", "alg": "RS256", "use": "sig", "n": "\(Self.base64URL(n))", "e": "\(Self.base64URL(e))"},
              {"kty": "EC", "kid": "ec", "alg": "ES256", "use": "sig", "crv": "P-256", "x": "\(x)", "y": "\(y)"},
              {"kty": "OKP", "kid": "ed", "alg": "EdDSA", "use": "sig", "crv": "Ed25519", "x": "\(Self.base64URL(ed.publicKey.rawRepresentation))"}
            ]}
            """
    }

    /// A token with these claims, signed by one of the keys.
    public func token(_ algorithm: Algorithm = .es256, claims: [String: Any]) async throws -> String {
        try await keys.sign(Claims(claims), kid: JWKIdentifier(string: algorithm.rawValue))
    }

    /// `header.payload.` with `alg: none`: what an attacker without a key sends.
    public static func unsigned(claims: [String: Any], kid: String = "ec") throws -> String {
        let header = try JSONSerialization.data(withJSONObject: ["alg": "none", "typ": "JWT", "kid": kid])
        let payload = try JSONSerialization.data(withJSONObject: claims)
        return "\(base64URL(header)).\(base64URL(payload))."
    }

    public static func base64URL(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Any claims of string, integer or string-list values, so tests can send what they like.
    struct Claims: JWTPayload {
        enum Value: Codable, Sendable {
            case string(String), integer(Int), strings([String])
            func encode(to encoder: any Encoder) throws {
                var c = encoder.singleValueContainer()
                switch self {
                case .string(let s): try c.encode(s)
                case .integer(let i): try c.encode(i)
                case .strings(let a): try c.encode(a)
                }
            }
            init(from decoder: any Decoder) throws { self = .string(try decoder.singleValueContainer().decode(String.self)) }
        }

        let values: [String: Value]

        init(_ claims: [String: Any]) {
            values = claims.compactMapValues { v in
                switch v {
                case let s as String: return .string(s)
                case let i as Int: return .integer(i)
                case let a as [String]: return .strings(a)
                default: return nil
                }
            }
        }

        init(from decoder: any Decoder) throws { values = try [String: Value](from: decoder) }
        func encode(to encoder: any Encoder) throws { try values.encode(to: encoder) }
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }
}
