/// A step in front of the gateway's routes, as in Hummingbird 2: it sees the
/// request and its context, and either answers through the sink itself or
/// hands the request on with `next`.
public protocol HTTPMiddleware: Sendable {
    func handle(_ request: HTTPRequest, context: RequestContext, sink: any ResponseSink,
                next: (HTTPRequest, RequestContext) async -> Void) async
}

/// Middleware run in order, the last handing on to the endpoint.
struct MiddlewareChain: Sendable {
    let middlewares: [any HTTPMiddleware]

    func run(_ request: HTTPRequest, context: RequestContext, sink: any ResponseSink,
             endpoint: (HTTPRequest, RequestContext) async -> Void) async {
        await step(0, request, context, sink, endpoint)
    }

    private func step(_ i: Int, _ request: HTTPRequest, _ context: RequestContext, _ sink: any ResponseSink,
                      _ endpoint: (HTTPRequest, RequestContext) async -> Void) async {
        guard i < middlewares.count else { return await endpoint(request, context) }
        await middlewares[i].handle(request, context: context, sink: sink) { request, context in
            await step(i + 1, request, context, sink, endpoint)
        }
    }
}
