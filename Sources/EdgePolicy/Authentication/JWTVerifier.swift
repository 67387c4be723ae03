import Foundation
import JWTKit

/// Verifies bearer tokens with jwt-kit against the keys of a JWKS (RS256,
/// ES256 and EdDSA among them), then checks `exp` (required), `nbf`, `iss`
/// and `aud` with jwt-kit's claim types and the configured leeway.
public final class JWTVerifier: Sendable {
    let keys: JWTKeyCollection
    let settings: JWTSettings
    let verified = VerifiedTokens()

    public init(_ settings: JWTSettings) async throws(EdgeConfigError) {
        self.settings = settings
        keys = JWTKeyCollection()
        do {
            try await keys.add(jwksJSON: settings.jwks)
        } catch {
            throw EdgeConfigError("the JWKS cannot be used: \(error)")
        }
    }

    /// Whether `text` has the shape of a compact JWS (three dot-separated parts).
    static func looksLikeJWT(_ text: Substring) -> Bool {
        text.utf8.count(where: { $0 == UInt8(ascii: ".") }) == 2
    }

    public func verify(_ token: Substring, now: Date = Date()) async -> Result<Identity, EdgeRefusal> {
        let text = String(token)
        let key = VerifiedTokens.key(text)
        let claims: JWTClaims
        if let known = verified.lookup(key) {
            claims = known
        } else {
            do {
                claims = try await keys.verify(text, as: JWTClaims.self)
            } catch {
                return .failure(.unauthenticated("the token's signature or format is not valid", invalid: true))
            }
            verified.store(key, claims, now: now.timeIntervalSince1970)
        }
        return check(claims, now: now)
    }

    func check(_ claims: JWTClaims, now: Date) -> Result<Identity, EdgeRefusal> {
        let leeway = settings.leeway.seconds
        guard let expiration = claims.expiration else {
            return .failure(.unauthenticated("the token has no `exp` claim", invalid: true))
        }
        do {
            try expiration.verifyNotExpired(currentDate: now.addingTimeInterval(-leeway))
        } catch {
            return .failure(.unauthenticated("the token has expired", invalid: true))
        }
        if let notBefore = claims.notBefore {
            do {
                try notBefore.verifyNotBefore(currentDate: now.addingTimeInterval(leeway))
            } catch {
                return .failure(.unauthenticated("the token is not valid yet (`nbf`)", invalid: true))
            }
        }
        if let issuer = settings.issuer, claims.issuer?.value != issuer {
            return .failure(.unauthenticated("the token's issuer is not the one expected", invalid: true))
        }
        if let audience = settings.audience {
            do {
                guard let claimed = claims.audience else { throw EdgeConfigError("no aud") }
                try claimed.verifyIntendedAudience(includes: audience)
            } catch {
                return .failure(.unauthenticated("the token is not meant for this audience", invalid: true))
            }
        }
        guard let subject = claims.subject?.value, !subject.isEmpty else {
            return .failure(.unauthenticated("the token has no `sub` claim", invalid: true))
        }
        return .success(Identity(kind: .jwt, name: subject, claims: claims.values))
    }
}
