import NIOConcurrencyHelpers

/// The numbers of `LoginThrottle`'s rule.
public struct ThrottlePolicy: Sendable {
    /// The first delay; each further failure doubles it, up to the bucket's cap.
    public var baseDelayMilliseconds: Int64 = 1000
    /// Failures of one peer on one account before delays start, and their cap.
    public var freeFailuresPerAccountAndPeer = 5
    public var maximumDelayPerAccountAndPeer: Int64 = 15 * 60 * 1000
    /// Failures of one peer across all accounts, and their cap.
    public var freeFailuresPerPeer = 20
    public var maximumDelayPerPeer: Int64 = 15 * 60 * 1000
    /// Failures on one account across all peers, and their cap: the longest
    /// that someone else's guessing can make a clean peer wait.
    public var freeFailuresPerAccount = 10
    public var maximumDelayPerAccount: Int64 = 30 * 1000
    /// A bucket with no failure for this long is forgotten.
    public var forgetAfterMilliseconds: Int64 = 60 * 60 * 1000
    /// Entries kept per table at most (memory bound).
    public var maximumEntries = 10_000

    public init() {}
}

/// Limits failed logins, per account (normalized email) and per peer (the
/// connecting uid from SO_PEERCRED), with growing delays, answered
/// RATE_LIMITED with `retry_after_ms`.
///
/// The rule. Three kinds of bucket count failures; a bucket with n failures
/// after its free allowance f imposes a delay of `base × 2^(n−f)` after its
/// latest failure, capped:
/// - (account, peer): f = 5, cap 15 min. Only that peer, only that account.
///   Cleared by a successful login of that peer on that account.
/// - peer: f = 20, cap 15 min, all accounts: one local process guessing many
///   accounts. Not cleared by a success (a guesser cannot reset it by logging
///   into an account of its own); it decays.
/// - account: f = 10, cap 30 s, all peers: guessing spread over several uids.
///   This is the only bucket that can delay a peer for someone else's
///   failures, and it is bounded: a *clean* peer (no failure of its own on the
///   account in the last hour) that finds the account locked is told to come
///   back when the current lock ends (≤ 30 s) and gets a pass for that
///   moment, valid even if the guesser has re-armed the lock meanwhile. A
///   clean peer therefore waits at most `maximumDelayPerAccount` once, however
///   the guessing goes on; a peer with failures of its own waits like any
///   guesser.
/// A bucket with no failure for an hour is forgotten. Checks happen before any
/// bcrypt work, so a refused attempt costs nothing and says nothing about the
/// password. Unknown emails are counted exactly like known ones.
///
/// All state is in memory, in three tables of at most `maximumEntries` each;
/// when a table is full, forgotten buckets are dropped first, then the ones
/// idle longest. (A restart forgets everything; bcrypt's cost still bounds
/// the guessing rate.)
public final class LoginThrottle: Sendable {
    public enum Decision: Sendable, Equatable {
        case allowed
        case limited(retryAfterMilliseconds: Int64)
    }

    struct Bucket {
        var failures = 0
        /// Latest failure, or the latest time a pass was granted (for expiry).
        var touched: Int64 = 0
        var lockedUntil: Int64 = 0
        /// A clean peer may try from this time on, despite the account's lock.
        var passFrom: Int64?
    }

    struct PairKey: Hashable {
        var account: String
        var peer: Int64
    }

    struct State {
        var pairs: [PairKey: Bucket] = [:]
        var peers: [Int64: Bucket] = [:]
        var accounts: [String: Bucket] = [:]
    }

    public let policy: ThrottlePolicy
    private let clock: AuthClock
    private let state = NIOLockedValueBox(State())

    public init(policy: ThrottlePolicy = ThrottlePolicy(), clock: AuthClock = .system) {
        self.policy = policy
        self.clock = clock
    }

    /// A peer without credentials (tests, no SO_PEERCRED) is one peer.
    private static func peerKey(_ uid: UInt32?) -> Int64 { uid.map(Int64.init) ?? -1 }

    /// Whether `peer` may try a password for `account` now.
    public func check(account: String, peer uid: UInt32?) -> Decision {
        let now = clock.nowMilliseconds
        let peer = Self.peerKey(uid)
        let pairKey = PairKey(account: account, peer: peer)
        return state.withLockedValue { state -> Decision in
            let pair = live(state.pairs[pairKey], now: now)
            var wait: Int64 = 0
            if let pair, pair.lockedUntil > now { wait = max(wait, pair.lockedUntil - now) }
            if let peerBucket = live(state.peers[peer], now: now), peerBucket.lockedUntil > now {
                wait = max(wait, peerBucket.lockedUntil - now)
            }
            if let account = live(state.accounts[account], now: now), account.lockedUntil > now {
                let clean = (pair?.failures ?? 0) == 0
                if !clean {
                    wait = max(wait, account.lockedUntil - now)
                } else if let pass = pair?.passFrom, now <= pass + policy.maximumDelayPerAccount {
                    // Holding a pass: usable from `pass` on.
                    if pass > now { wait = max(wait, pass - now) }
                } else {
                    // First refusal of a clean peer: a pass for when this lock ends.
                    var granted = pair ?? Bucket()
                    granted.passFrom = account.lockedUntil
                    granted.touched = now
                    state.pairs[pairKey] = granted
                    trim(&state.pairs, now: now)
                    wait = max(wait, account.lockedUntil - now)
                }
            }
            return wait > 0 ? .limited(retryAfterMilliseconds: wait) : .allowed
        }
    }

    /// Records a wrong password (or an unknown email) from `peer` for `account`.
    public func recordFailure(account: String, peer uid: UInt32?) {
        let now = clock.nowMilliseconds
        let peer = Self.peerKey(uid)
        let policy = self.policy
        state.withLockedValue { state in
            let pairKey = PairKey(account: account, peer: peer)
            var pair = live(state.pairs[pairKey], now: now) ?? Bucket()
            pair.passFrom = nil
            fail(&pair, now: now, free: policy.freeFailuresPerAccountAndPeer, cap: policy.maximumDelayPerAccountAndPeer)
            state.pairs[pairKey] = pair
            trim(&state.pairs, now: now)

            var peerBucket = live(state.peers[peer], now: now) ?? Bucket()
            fail(&peerBucket, now: now, free: policy.freeFailuresPerPeer, cap: policy.maximumDelayPerPeer)
            state.peers[peer] = peerBucket
            trim(&state.peers, now: now)

            var accountBucket = live(state.accounts[account], now: now) ?? Bucket()
            fail(&accountBucket, now: now, free: policy.freeFailuresPerAccount, cap: policy.maximumDelayPerAccount)
            state.accounts[account] = accountBucket
            trim(&state.accounts, now: now)
        }
    }

    /// Records a successful login: the (account, peer) bucket is cleared.
    public func recordSuccess(account: String, peer uid: UInt32?) {
        let key = PairKey(account: account, peer: Self.peerKey(uid))
        state.withLockedValue { _ = $0.pairs.removeValue(forKey: key) }
    }

    /// The delay after the n-th failure of a bucket with `free` free failures.
    func delay(failures: Int, free: Int, cap: Int64) -> Int64 {
        guard failures >= free else { return 0 }
        let doublings = min(failures - free, 40)
        let (scaled, overflow) = policy.baseDelayMilliseconds.multipliedReportingOverflow(by: Int64(1) << Int64(doublings))
        return overflow ? cap : min(scaled, cap)
    }

    private func fail(_ bucket: inout Bucket, now: Int64, free: Int, cap: Int64) {
        bucket.failures += 1
        bucket.touched = now
        bucket.lockedUntil = max(bucket.lockedUntil, now + delay(failures: bucket.failures, free: free, cap: cap))
    }

    /// The bucket, unless it has been idle long enough to be forgotten.
    private func live(_ bucket: Bucket?, now: Int64) -> Bucket? {
        guard let bucket else { return nil }
        if now - bucket.touched > policy.forgetAfterMilliseconds, bucket.lockedUntil <= now { return nil }
        return bucket
    }

    /// Keeps a table within `maximumEntries`: forgotten buckets go first, then the idlest.
    private func trim<Key: Hashable>(_ table: inout [Key: Bucket], now: Int64) {
        guard table.count > policy.maximumEntries else { return }
        table = table.filter { live($0.value, now: now) != nil }
        while table.count > policy.maximumEntries, let idlest = table.min(by: { $0.value.touched < $1.value.touched }) {
            table.removeValue(forKey: idlest.key)
        }
    }

    /// Entries per table (for tests and `stats`).
    public var sizes: (pairs: Int, peers: Int, accounts: Int) {
        state.withLockedValue { ($0.pairs.count, $0.peers.count, $0.accounts.count) }
    }
}
