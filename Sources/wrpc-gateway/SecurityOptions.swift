import ArgumentParser
import EdgePolicy
import Foundation
import Gateway

/// TLS, authentication, exposure, policy, CORS and rate limits: the flags
/// of `serve` and `demo` that secure the gateway (all off by default).
struct SecurityOptions: ParsableArguments {
    @Option(help: "Serve HTTPS with this PEM certificate chain, leaf first; reloaded on SIGHUP (env WRPC_GATEWAY_TLS_CERT).")
    var tlsCert: String?

    @Option(help: "The PEM private key of --tls-cert; reloaded on SIGHUP (env WRPC_GATEWAY_TLS_KEY).")
    var tlsKey: String?

    @Option(help: "Require client certificates that chain to these PEM authorities: mutual TLS (env WRPC_GATEWAY_TLS_CLIENT_CA).")
    var tlsClientCa: String?

    @Option(help: "What HTTPS handshakes may negotiate, as a GnuTLS priority string (env WRPC_GATEWAY_TLS_PRIORITIES). [default: TLS 1.3 and 1.2, forward-secret AEAD suites only]")
    var tlsPriorities: String?

    @Option(help: "Send `Strict-Transport-Security: max-age=SECONDS` on HTTPS answers (env WRPC_GATEWAY_HSTS_MAX_AGE). [default: none]")
    var hstsMaxAge: Int?

    @Flag(name: .customLong("readyz-details"), help: "Name the backends in /readyz to every caller, not only to authenticated ones (env WRPC_GATEWAY_READYZ_DETAILS=1).")
    var readyzDetails = false

    @Flag(name: .customLong("error-details"), help: "Name the backend (details.target, and a cause that names it) in /invoke and forward error bodies (env WRPC_GATEWAY_ERROR_DETAILS=1).")
    var errorDetails = false

    @Option(help: "Require an API key from this file: `name:key` or `key` per line (env WRPC_GATEWAY_API_KEYS_FILE).")
    var apiKeysFile: String?

    @Option(name: .customLong("jwt-jwks-file"), help: "Require a bearer JWT signed by a key of this JWKS (RS256, ES256, EdDSA) (env WRPC_GATEWAY_JWT_JWKS_FILE).")
    var jwtJWKSFile: String?

    @Option(help: "The `iss` JWTs must carry (env WRPC_GATEWAY_JWT_ISSUER). [default: any]")
    var jwtIssuer: String?

    @Option(help: "A value JWTs' `aud` must hold (env WRPC_GATEWAY_JWT_AUDIENCE). [default: any]")
    var jwtAudience: String?

    @Option(help: "Seconds of clock skew allowed on `exp` and `nbf` (env WRPC_GATEWAY_JWT_LEEWAY). [default: 60]")
    var jwtLeeway: Int?

    @Option(name: .customLong("expose"), help: "Serve only functions matching this glob over INSTANCE/FUNCTION; repeatable (env WRPC_GATEWAY_EXPOSE, comma-separated). [default: all]")
    var expose: [String] = []

    @Option(name: .customLong("hide"), help: "Do not serve functions matching this glob over INSTANCE/FUNCTION; repeatable (env WRPC_GATEWAY_HIDE, comma-separated).")
    var hide: [String] = []

    @Option(help: "Which callers may call which functions: `SELECTOR PATTERN…` per line (env WRPC_GATEWAY_POLICY_FILE).")
    var policyFile: String?

    @Option(name: .customLong("cors-origin"), help: "Let pages from this origin (or `*`) call the gateway; repeatable (env WRPC_GATEWAY_CORS_ORIGINS, comma-separated). [default: none]")
    var corsOrigins: [String] = []

    @Option(help: "Seconds browsers may cache a preflight answer (env WRPC_GATEWAY_CORS_MAX_AGE). [default: 600]")
    var corsMaxAge: Int?

    @Option(help: "Requests per caller: N/s, N/m or N/h (env WRPC_GATEWAY_RATE_LIMIT). [default: none]")
    var rateLimit: String?

    @Option(help: "Requests a caller may send at once before the rate applies (env WRPC_GATEWAY_RATE_LIMIT_BURST). [default: one second's worth]")
    var rateLimitBurst: Int?

    @Option(help: "Whom the rate limit counts: address or identity (env WRPC_GATEWAY_RATE_LIMIT_BY). [default: address]")
    var rateLimitBy: String?

    func apply(to config: inout GatewayConfig) async throws {
        // Only the JWKS needs awaiting; the rest is plain code. (Swift 6.3.1's
        // release build crashed splitting this function as one coroutine.)
        let jwt = try await jwtVerifier()
        try apply(to: &config, jwt: jwt)
    }

    private func jwtVerifier() async throws -> JWTVerifier? {
        guard let settings = try jwtSettings() else { return nil }
        return try await JWTVerifier(settings)
    }

    private func apply(to config: inout GatewayConfig, jwt: JWTVerifier?) throws {
        let cert = tlsCert ?? Environment.value("tls-cert")
        let key = tlsKey ?? Environment.value("tls-key")
        let clientCA = tlsClientCa ?? Environment.value("tls-client-ca")
        let priorities = tlsPriorities ?? Environment.value("tls-priorities")
        let hsts = try Environment.pick(hstsMaxAge, "hsts-max-age", parse: Int.init)
        switch (cert, key) {
        case (let cert?, let key?):
            var tls = TLSSettings(certificateFile: cert, keyFile: key, clientCAFile: clientCA)
            if let priorities { tls.priorities = priorities }
            tls.hstsMaxAge = hsts
            config.tls = tls
        case (nil, nil):
            guard clientCA == nil, priorities == nil, hsts == nil else {
                throw CLIError("--tls-client-ca, --tls-priorities and --hsts-max-age need --tls-cert and --tls-key")
            }
        default: throw CLIError("--tls-cert and --tls-key go together")
        }
        config.readyzDetails = readyzDetails || Environment.value("readyz-details") == "1"
        config.errorDetails = errorDetails || Environment.value("error-details") == "1"
        var edge = EdgeConfig()
        let apiKeys = try (apiKeysFile ?? Environment.value("api-keys-file")).map { try APIKeys(parsing: try Self.read($0, "--api-keys-file")) }
        if apiKeys != nil || jwt != nil { edge.authenticator = Authenticator(apiKeys: apiKeys, jwt: jwt) }
        edge.exposure = Exposure(expose: Environment.list(expose, "expose"), hide: Environment.list(hide, "hide"))
        if let path = policyFile ?? Environment.value("policy-file") {
            guard edge.authenticator != nil else { throw CLIError("--policy-file needs --api-keys-file or --jwt-jwks-file: it names callers") }
            edge.policy = try AccessPolicy(parsing: try Self.read(path, "--policy-file"))
        }
        let origins = Environment.list(corsOrigins, "cors-origins")
        if !origins.isEmpty {
            edge.cors = try CORSPolicy(origins: origins, maxAge: try Environment.pick(corsMaxAge, "cors-max-age", default: 600, parse: Int.init))
        }
        if let text = rateLimit ?? Environment.value("rate-limit") {
            let byText = try Environment.pick(rateLimitBy, "rate-limit-by", default: "address") { $0 }
            guard let by = RateLimit.Key(rawValue: byText) else { throw CLIError("--rate-limit-by must be address or identity") }
            guard by == .address || edge.authenticator != nil else {
                throw CLIError("--rate-limit-by identity needs --api-keys-file or --jwt-jwks-file")
            }
            let burst = try Environment.pick(rateLimitBurst, "rate-limit-burst", parse: Int.init)
            edge.rateLimit = try RateLimit(parsing: text, burst: burst, key: by)
        }
        config.edge = edge
    }

    private func jwtSettings() throws -> JWTSettings? {
        let issuer = jwtIssuer ?? Environment.value("jwt-issuer")
        let audience = jwtAudience ?? Environment.value("jwt-audience")
        let leeway = try Environment.pick(jwtLeeway, "jwt-leeway", default: 60, parse: Int.init)
        guard let path = jwtJWKSFile ?? Environment.value("jwt-jwks-file") else {
            guard issuer == nil, audience == nil else { throw CLIError("--jwt-issuer and --jwt-audience need --jwt-jwks-file") }
            return nil
        }
        guard leeway >= 0 else { throw CLIError("--jwt-leeway must not be negative") }
        return JWTSettings(jwks: try Self.read(path, "--jwt-jwks-file"), issuer: issuer, audience: audience, leeway: .seconds(leeway))
    }

    static func read(_ path: String, _ flag: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(flag) \(path): cannot read the file") }
        return String(decoding: data, as: UTF8.self)
    }
}
