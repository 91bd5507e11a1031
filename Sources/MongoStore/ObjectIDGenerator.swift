#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BSONCore
import NIOConcurrencyHelpers

/// Makes the `_id` of every document the store inserts: ObjectIds that
/// strictly increase within this process.
///
/// The `_id` is the keyset tiebreaker: records with equal timestamps are
/// ordered by it, and the contract is that they come back in insertion order.
/// A standard ObjectId is 4 bytes of seconds, 5 random bytes per process and a
/// 3-byte counter that starts at a random value — it can wrap within one
/// second and then sort lower. Here the counter starts at zero each second
/// and, should 16,777,216 ids be made in one second, the seconds field moves
/// on by one instead of wrapping; a clock that steps back is ignored until it
/// catches up. The random middle keeps ids of different processes (several
/// daemons on one cluster) distinct; their relative order is by second only.
final class ObjectIDGenerator: Sendable {
    /// The process's generator: every store in the process shares it, so ids
    /// increase across stores too.
    static let shared = ObjectIDGenerator()

    private struct State {
        var seconds: UInt32 = 0
        var counter: UInt32 = 0
        var started = false
    }

    private let processBytes: [UInt8]
    private let state = NIOLockedValueBox(State())
    private let clock: @Sendable () -> UInt32

    init(clock: @escaping @Sendable () -> UInt32 = ObjectIDGenerator.unixSeconds) {
        var generator = SystemRandomNumberGenerator()
        processBytes = (0..<5).map { _ in UInt8.random(in: 0...255, using: &generator) }
        self.clock = clock
    }

    static let unixSeconds: @Sendable () -> UInt32 = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt32(truncatingIfNeeded: now.tv_sec)
    }

    /// Tests: as if `counter` ids had been made in the current second.
    func assumeCounter(_ counter: UInt32) {
        let now = clock()
        state.withLockedValue { $0 = State(seconds: now, counter: counter, started: true) }
    }

    /// `count` consecutive ids.
    func next(_ count: Int) -> [BSONObjectID] {
        let now = clock()
        let positions: [(UInt32, UInt32)] = state.withLockedValue { state in
            var out: [(UInt32, UInt32)] = []
            out.reserveCapacity(count)
            for _ in 0..<count {
                if !state.started || now > state.seconds {
                    state.seconds = max(now, state.seconds)
                    state.counter = 0
                    state.started = true
                } else if state.counter == 0xFF_FFFF {
                    state.seconds &+= 1
                    state.counter = 0
                } else {
                    state.counter += 1
                }
                out.append((state.seconds, state.counter))
            }
            return out
        }
        return positions.map { seconds, counter in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(12)
            bytes += [UInt8(seconds >> 24), UInt8(seconds >> 16 & 0xFF), UInt8(seconds >> 8 & 0xFF), UInt8(seconds & 0xFF)]
            bytes += processBytes
            bytes += [UInt8(counter >> 16 & 0xFF), UInt8(counter >> 8 & 0xFF), UInt8(counter & 0xFF)]
            return BSONObjectID(bytes: bytes)!
        }
    }
}
