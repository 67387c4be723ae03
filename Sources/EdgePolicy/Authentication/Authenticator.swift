import Foundation

/// Who is calling, from `X-API-Key` or `Authorization: Bearer …`: an API key
/// from the keys file, or a JWT the verifier accepts. A bearer value is
/// tried as an API key first (always hashed, so a token costs the same
/// there as a key), then as a JWT.
public struct Authenticator: Sendable {
    public let apiKeys: APIKeys?
    public let jwt: JWTVerifier?

    public init(apiKeys: APIKeys?, jwt: JWTVerifier?) {
        self.apiKeys = apiKeys
        self.jwt = jwt
    }

    /// `header` looks a request header up by its lower-case name.
    public func authenticate(header: (String) -> String?, now: Date = Date()) async -> Result<Identity, EdgeRefusal> {
        if let key = header("x-api-key") {
            if let apiKeys, let name = apiKeys.name(of: Substring(key).trimmingWhitespace[...]) {
                return .success(Identity(kind: .apiKey, name: name))
            }
            return .failure(.unauthenticated("the API key is not valid", invalid: true))
        }
        guard let authorization = header("authorization") else {
            return .failure(.unauthenticated(missingMessage, invalid: false))
        }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return .failure(.unauthenticated("only `Authorization: Bearer …` is accepted", invalid: true))
        }
        let credential = parts[1].trimmingWhitespace[...]
        if let apiKeys, let name = apiKeys.name(of: credential) {
            return .success(Identity(kind: .apiKey, name: name))
        }
        if let jwt, JWTVerifier.looksLikeJWT(credential) {
            return await jwt.verify(credential, now: now)
        }
        return .failure(.unauthenticated(jwt == nil ? "the API key is not valid" : "the bearer credential is neither a known API key nor a JWT",
                                         invalid: true))
    }

    var missingMessage: String {
        switch (apiKeys != nil, jwt != nil) {
        case (true, true): return "credentials required: an API key (X-API-Key or Authorization: Bearer) or a bearer JWT"
        case (true, false): return "credentials required: an API key in X-API-Key or Authorization: Bearer"
        default: return "credentials required: a bearer JWT in Authorization"
        }
    }
}
