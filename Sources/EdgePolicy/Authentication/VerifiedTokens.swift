import Crypto
import Locking

/// Tokens whose signature was verified, by their SHA-256, so that a client
/// sending the same token again costs a hash rather than a signature check
/// (as Envoy's JWT filter caches). The claims are still checked on every
/// request: an entry never outlives the token's `exp`.
final class VerifiedTokens: Sendable {
    private let entries = Locked<[[UInt8]: JWTClaims]>([:])
    let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    static func key(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }

    func lookup(_ key: [UInt8]) -> JWTClaims? {
        entries.withLock { $0[key] }
    }

    func store(_ key: [UInt8], _ claims: JWTClaims, now: Double) {
        entries.withLock { entries in
            if entries.count >= capacity {
                // Expired tokens go first; if that frees nothing, start afresh
                // (a bound on memory matters more than the cache's hit rate).
                entries = entries.filter { ($0.value.expiration?.value.timeIntervalSince1970 ?? 0) > now }
                if entries.count >= capacity { entries = [:] }
            }
            entries[key] = claims
        }
    }
}
