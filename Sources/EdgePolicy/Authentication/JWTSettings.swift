/// What `--jwt-jwks-file`, `--jwt-issuer`, `--jwt-audience` and
/// `--jwt-leeway` configure.
public struct JWTSettings: Sendable {
    /// The JWKS document (JSON text) with the public keys tokens are signed with.
    public var jwks: String
    /// The `iss` every token must have; nil: any.
    public var issuer: String?
    /// A value the token's `aud` must hold; nil: any.
    public var audience: String?
    /// Clock skew allowed on `exp` and `nbf`.
    public var leeway: Duration = .seconds(60)

    public init(jwks: String, issuer: String? = nil, audience: String? = nil, leeway: Duration = .seconds(60)) {
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
    }
}
