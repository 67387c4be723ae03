import EdgePolicy

/// The policy file's say on calls: an authenticated caller no rule lets
/// call the function gets 403. Paths that name no function go on, to
/// their 404.
struct AuthorizationMiddleware: HTTPMiddleware {
    let policy: AccessPolicy
    let table: FunctionTable
    let metrics: GatewayMetrics

    func handle(_ request: HTTPRequest, context: RequestContext, sink: any ResponseSink,
                next: (HTTPRequest, RequestContext) async -> Void) async {
        guard request.path.hasPrefix("/invoke/"), let identity = context.identity,
              case .success(let callable) = table.callable(atInvokePath: request.path) else {
            return await next(request, context)
        }
        guard policy.allows(identity, callable.names) else {
            return await EdgeRefusal.permissionDenied("\(identity) may not call \(callable.instance)/\(callable.alias)")
                .answer(request, sink, metrics: metrics, reason: "permission_denied")
        }
        await next(request, context)
    }
}
