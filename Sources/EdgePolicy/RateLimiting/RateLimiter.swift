import Locking

/// Token buckets, one per caller: a bucket holds up to `burst` tokens,
/// gains `rate` per second, and each request takes one. Buckets are made
/// on first use; past `maxCallers`, those that have refilled (and so hold
/// nothing worth keeping) are dropped, and if that is not enough, all are.
public final class RateLimiter: Sendable {
    public enum Decision: Sendable, Equatable {
        case allowed
        /// Refused; a token is due after this long.
        case limited(retryAfter: Duration)
    }

    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    public let limit: RateLimit
    let maxCallers: Int
    private let buckets = Locked<[String: Bucket]>([:])

    public init(_ limit: RateLimit, maxCallers: Int = 100_000) {
        self.limit = limit
        self.maxCallers = maxCallers
    }

    public func take(_ caller: String, now: ContinuousClock.Instant = .now) -> Decision {
        let rate = limit.rate, burst = Double(limit.burst)
        return buckets.withLock { buckets in
            var bucket = buckets[caller] ?? Bucket(tokens: burst, updated: now)
            let elapsed = now - bucket.updated
            if elapsed > .zero {
                bucket.tokens = min(burst, bucket.tokens + elapsed.seconds * rate)
                bucket.updated = now
            }
            let decision: Decision
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                decision = .allowed
            } else {
                decision = .limited(retryAfter: .seconds((1 - bucket.tokens) / rate))
            }
            if buckets[caller] == nil, buckets.count >= maxCallers { prune(&buckets, now: now) }
            buckets[caller] = bucket
            return decision
        }
    }

    private func prune(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        let refill = Duration.seconds(Double(limit.burst) / limit.rate)
        buckets = buckets.filter { now - $0.value.updated < refill }
        if buckets.count >= maxCallers { buckets = [:] }
    }

    public var callers: Int { buckets.withLock { $0.count } }
}
