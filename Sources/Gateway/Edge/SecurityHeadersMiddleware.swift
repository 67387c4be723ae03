import EdgePolicy

/// `nosniff`, the content security policy and a versionless `Server` on
/// every answer, and over HTTPS what the TLS settings add (HSTS).
struct SecurityHeadersMiddleware: HTTPMiddleware {
    let headers: [(String, String)]

    func handle(_ request: HTTPRequest, context: RequestContext, sink: any ResponseSink,
                next: (HTTPRequest, RequestContext) async -> Void) async {
        context.addResponseHeaders(headers)
        await next(request, context)
    }
}
