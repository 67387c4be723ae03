import EdgePolicy

/// Every route but the public ones needs an API key or a JWT; the caller's
/// identity goes into the context (and so into the log line).
struct AuthenticationMiddleware: HTTPMiddleware {
    let authenticator: Authenticator
    let publicRoutes: PublicRoutes
    let metrics: GatewayMetrics

    func handle(_ request: HTTPRequest, context: RequestContext, sink: any ResponseSink,
                next: (HTTPRequest, RequestContext) async -> Void) async {
        guard !publicRoutes.contains(request.path) else { return await next(request, context) }
        switch await authenticator.authenticate(header: request.header) {
        case .success(let identity):
            context.identity = identity
            await next(request, context)
        case .failure(let refusal):
            await refusal.answer(request, sink, metrics: metrics, reason: "unauthenticated")
        }
    }
}
