import EdgePolicy

/// `nosniff`, the content security policy and a versionless `Server` on every answer.
struct SecurityHeadersMiddleware: HTTPMiddleware {
    func handle(_ request: HTTPRequest, context: RequestContext, sink: any ResponseSink,
                next: (HTTPRequest, RequestContext) async -> Void) async {
        context.addResponseHeaders(SecurityHeaders.all)
        await next(request, context)
    }
}
