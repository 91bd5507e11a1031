/// A small deterministic generator (xorshift64) for randomized tests: the
/// same seed gives the same cases on every run, so a failure can be replayed.
public struct SeededRandom {
    private var state: UInt64

    /// `seed` must not be 0 (xorshift would stay at 0).
    public init(seed: UInt64) {
        state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
    }

    public mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
