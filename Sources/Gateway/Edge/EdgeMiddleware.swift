import EdgePolicy

/// The middleware an `EdgeConfig` asks for, in the order they must run:
/// headers first (every answer has them), CORS before authentication
/// (preflights carry no credentials), an address rate limit before
/// authentication (floods cost no signature checks), an identity rate limit
/// after it, and the policy last.
enum EdgeMiddleware {
    static func chain(_ config: EdgeConfig, securityHeaders: [(String, String)], table: FunctionTable, forwards: ForwardTable,
                      metrics: GatewayMetrics) -> MiddlewareChain {
        var chain: [any HTTPMiddleware] = [SecurityHeadersMiddleware(headers: securityHeaders)]
        if let cors = config.cors { chain.append(CORSMiddleware(policy: cors, metrics: metrics)) }
        let limiter = config.rateLimit.map { RateLimiter($0) }
        if let limiter, limiter.limit.key == .address {
            chain.append(RateLimitMiddleware(limiter: limiter, publicRoutes: config.publicRoutes, metrics: metrics))
        }
        if let authenticator = config.authenticator {
            chain.append(AuthenticationMiddleware(authenticator: authenticator, publicRoutes: config.publicRoutes, metrics: metrics))
        }
        if let limiter, limiter.limit.key == .identity {
            chain.append(RateLimitMiddleware(limiter: limiter, publicRoutes: config.publicRoutes, metrics: metrics))
        }
        if let policy = config.policy { chain.append(AuthorizationMiddleware(policy: policy, table: table, forwards: forwards, metrics: metrics)) }
        return MiddlewareChain(middlewares: chain)
    }
}
