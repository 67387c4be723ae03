import Synchronization

/// New request ids: 32 hex digits, unique in the process and unpredictable
/// across processes, without a system call per request (a random key drawn
/// once, mixed with a counter by SplitMix64's finaliser).
enum RequestIDs {
    private static let key: (UInt64, UInt64) = {
        var rng = SystemRandomNumberGenerator()
        return (rng.next(), rng.next())
    }()
    private static let counter = Atomic<UInt64>(0)
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func next() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        var out = [UInt8](repeating: 0, count: 32)
        for (half, k) in [key.0, key.1].enumerated() {
            var v = mix(n &+ k)
            for i in 0..<16 {
                out[half * 16 + i] = digits[Int(v & 0xF)]
                v >>= 4
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
