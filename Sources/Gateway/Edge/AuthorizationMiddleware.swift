import EdgePolicy

/// The policy file's say on calls: an authenticated caller no rule lets
/// call the function gets 403; a forward is matched as `forward:PREFIX`.
/// Paths that name no function go on, to their 404.
struct AuthorizationMiddleware: HTTPMiddleware {
    let policy: AccessPolicy
    let table: FunctionTable
    let forwards: ForwardTable
    let metrics: GatewayMetrics

    func handle(_ request: HTTPRequest, context: RequestContext, sink: any ResponseSink,
                next: (HTTPRequest, RequestContext) async -> Void) async {
        if let identity = context.identity, let match = forwards.match(path: request.path, target: request.target) {
            guard policy.allows(identity, [match.route.name]) else {
                return await EdgeRefusal.permissionDenied("\(identity) may not use the forward \(match.route.prefix)")
                    .answer(request, sink, metrics: metrics, reason: "permission_denied")
            }
            return await next(request, context)
        }
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
