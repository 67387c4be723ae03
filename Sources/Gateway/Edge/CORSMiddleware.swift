import EdgePolicy

/// Browsers' cross-origin rules: an allowed origin's preflight is answered
/// here (before authentication: browsers send it without credentials), its
/// other requests get the CORS headers on whatever answer they get; a
/// preflight from any other origin is refused, and its requests carry no
/// CORS header, so the browser keeps the answer from the page. Every
/// answer says it varies by `Origin`.
struct CORSMiddleware: HTTPMiddleware {
    let policy: CORSPolicy
    let metrics: GatewayMetrics

    func handle(_ request: HTTPRequest, context: RequestContext, sink: any ResponseSink,
                next: (HTTPRequest, RequestContext) async -> Void) async {
        context.addResponseHeaders([CORSPolicy.vary])
        guard let origin = request.header("origin") else { return await next(request, context) }
        let allowed = policy.allows(origin: origin)
        if request.method == "OPTIONS", request.header("access-control-request-method") != nil {
            guard allowed else {
                return await EdgeRefusal.permissionDenied("the origin \(origin) may not call this gateway")
                    .answer(request, sink, metrics: metrics, reason: "cors_origin")
            }
            request.bodyStream?.discard()
            try? await sink.respond(HTTPResponse(status: 204, headers: policy.preflightHeaders(origin: origin)))
            return
        }
        if allowed { context.addResponseHeaders(policy.responseHeaders(origin: origin)) }
        await next(request, context)
    }
}
