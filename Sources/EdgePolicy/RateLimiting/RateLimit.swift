/// `--rate-limit N/s` (or `N/m`, `N/h`) with `--rate-limit-burst B`: each
/// caller may send B requests at once and then N per unit of time.
public struct RateLimit: Sendable, Equatable {
    public enum Key: String, Sendable {
        /// Per client IP address.
        case address
        /// Per authenticated caller (anonymous ones per address).
        case identity
    }

    /// Requests per second.
    public let rate: Double
    public let burst: Int
    public let key: Key

    /// `text` is `N/s`, `N/m` or `N/h`; `burst` defaults to one second's worth (at least 1).
    public init(parsing text: String, burst: Int? = nil, key: Key = .address) throws(EdgeConfigError) {
        let parts = text.split(separator: "/")
        let seconds: Double? = switch parts.count == 2 ? parts[1] : "" {
        case "s", "sec", "second": 1
        case "m", "min", "minute": 60
        case "h", "hour": 3600
        default: nil
        }
        guard let seconds, let n = Double(parts[0]), n > 0, n.isFinite else {
            throw EdgeConfigError("--rate-limit \(text): expected N/s, N/m or N/h with N > 0, e.g. 100/s")
        }
        try self.init(rate: n / seconds, burst: burst ?? max(1, Int((n / seconds).rounded(.up))), key: key)
    }

    public init(rate: Double, burst: Int, key: Key = .address) throws(EdgeConfigError) {
        guard rate > 0, rate.isFinite else { throw EdgeConfigError("a rate limit must be above 0") }
        guard burst >= 1 else { throw EdgeConfigError("--rate-limit-burst must be at least 1") }
        self.rate = rate
        self.burst = burst
        self.key = key
    }
}
