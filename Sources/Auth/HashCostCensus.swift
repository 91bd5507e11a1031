import Domain
import NIOConcurrencyHelpers

/// Which bcrypt costs the stored password hashes have, and how many of each:
/// what makes a failed login cost the same whether its email exists.
///
/// The store counts hash prefixes (`UserRepository.passwordHashPrefixes`, one
/// aggregate read: at start and every `refreshInterval`); registrations and
/// re-hashes made here update the counts at once, and a login that meets a
/// cost the counts lack adds it (an import since the last count). From the
/// counts:
/// - `modalCost`, the cost most stored hashes have: an unknown email is
///   checked against a dummy hash of that cost, so it spends the CPU that a
///   wrong password on a typical account spends;
/// - `maximumCost`, the slowest cost stored: every failed login is padded to
///   the time of one check at that cost (`LoginTiming`), so an account with a
///   slower (older, imported) hash cannot be told apart either.
/// With no stored hash at all, both are the configured cost.
public final class HashCostCensus: Sendable {
    public let configuredCost: Int
    /// How often the daemon re-reads the counts from the store.
    public static let refreshInterval: Int64 = 10 * 60 * 1000

    struct State {
        var counts: [Int: Int] = [:]
        /// Costs met at login since the last count.
        var seen: Set<Int> = []
        var refreshedAt: Int64?
    }

    private let state = NIOLockedValueBox(State())

    public init(configuredCost: Int) {
        self.configuredCost = configuredCost
    }

    /// Replaces the counts with the store's (prefixes that are not bcrypt are ignored).
    public func replace(prefixes: [String: Int], at now: Int64) {
        var counts: [Int: Int] = [:]
        for (prefix, count) in prefixes {
            if let cost = Bcrypt.cost(of: prefix), count > 0 { counts[cost, default: 0] += count }
        }
        state.withLockedValue { state in
            state.counts = counts
            state.seen = []
            state.refreshedAt = now
        }
    }

    /// Reads the counts from `users` when they are older than `refreshInterval`.
    public func refresh(from users: any UserRepository, now: Int64) async throws {
        let due = state.withLockedValue { state in
            state.refreshedAt.map { now.saturatingSubtract($0) >= Self.refreshInterval } ?? true
        }
        guard due else { return }
        replace(prefixes: try await users.passwordHashPrefixes(), at: now)
    }

    /// A hash of `cost` was stored (a registration).
    public func added(cost: Int) {
        state.withLockedValue { $0.counts[cost, default: 0] += 1 }
    }

    /// A stored hash of `old` cost was replaced by one of `new` cost (a re-hash).
    public func moved(from old: Int?, to new: Int) {
        state.withLockedValue { state in
            if let old, let count = state.counts[old] {
                state.counts[old] = count > 1 ? count - 1 : nil
            }
            state.counts[new, default: 0] += 1
        }
    }

    /// A login met a stored hash of `cost`.
    public func observe(cost: Int) {
        state.withLockedValue { state in
            if state.counts[cost] == nil { state.seen.insert(cost) }
        }
    }

    /// The cost most stored hashes have; a tie goes to the configured cost if
    /// it is among the tied, else to the higher cost.
    public var modalCost: Int {
        state.withLockedValue { state in
            guard let top = state.counts.values.max() else { return state.seen.max() ?? configuredCost }
            let tied = state.counts.filter { $0.value == top }.map(\.key)
            return tied.contains(configuredCost) ? configuredCost : (tied.max() ?? configuredCost)
        }
    }

    /// The highest cost stored or met.
    public var maximumCost: Int {
        state.withLockedValue { state in
            let costs = Set(state.counts.keys).union(state.seen)
            return costs.max() ?? configuredCost
        }
    }

    /// The counts (for tests and logs).
    public var counts: [Int: Int] { state.withLockedValue { $0.counts } }
}
