import EdgePolicy
import EventLoops
import Foundation

/// Refuses callers over their rate with 429 and `Retry-After` (whole
/// seconds until a request would be let through). Keyed by client address,
/// or by identity when it runs after authentication.
struct RateLimitMiddleware: HTTPMiddleware {
    let limiter: RateLimiter
    let publicRoutes: PublicRoutes
    let metrics: GatewayMetrics

    func handle(_ request: HTTPRequest, context: RequestContext, sink: any ResponseSink,
                next: (HTTPRequest, RequestContext) async -> Void) async {
        guard !publicRoutes.contains(request.path) else { return await next(request, context) }
        let caller = switch limiter.limit.key {
        case .address: request.remoteAddress
        case .identity: context.identity?.description ?? "address:" + request.remoteAddress
        }
        guard case .limited(let wait) = limiter.take(caller) else { return await next(request, context) }
        let seconds = max(1, Int((Double(wait.nanoseconds) / 1e9).rounded(.up)))
        let refusal = EdgeRefusal(status: 429, code: "resource_exhausted",
                                  message: "rate limit exceeded (\(Self.describe(limiter.limit))); retry in \(seconds) s",
                                  headers: [("Retry-After", String(seconds))])
        await refusal.answer(request, sink, metrics: metrics, reason: "rate_limited")
    }

    static func describe(_ limit: RateLimit) -> String {
        let perSecond = limit.rate
        let text = perSecond >= 1 ? "\(Self.number(perSecond))/s" : perSecond * 60 >= 1 ? "\(Self.number(perSecond * 60))/m" : "\(Self.number(perSecond * 3600))/h"
        return "\(text), burst \(limit.burst), per \(limit.key.rawValue)"
    }

    private static func number(_ x: Double) -> String {
        x == x.rounded() ? String(Int(x)) : String(format: "%.2f", x)
    }
}
