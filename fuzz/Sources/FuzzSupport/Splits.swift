/// Cut points for feeding one input in pieces, derived from the input
/// itself so that a crash replays exactly: a small xorshift generator
/// seeded with the input's length and first bytes.
public struct Splits: Sequence, IteratorProtocol {
    private var state: UInt64
    private var at = 0
    private let count: Int

    public init(_ bytes: [UInt8]) {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        for b in bytes.prefix(8) { seed = seed &* 31 &+ UInt64(b) }
        state = seed == 0 ? 1 : seed
        count = bytes.count
    }

    /// The next piece's range; pieces are mostly tiny, sometimes empty or long.
    public mutating func next() -> Range<Int>? {
        guard at < count else { return nil }
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        let length = Int((state >> 8) % (state % 4 == 0 ? 64 : 4))
        let end = Swift.min(count, at + length)
        defer { at = end }
        return at..<end
    }
}
