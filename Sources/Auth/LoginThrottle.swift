import NIOConcurrencyHelpers

/// The numbers of `LoginThrottle`'s rule.
public struct ThrottlePolicy: Sendable {
    /// The first delay; each further failure doubles it, up to the bucket's cap.
    public var baseDelayMilliseconds: Int64 = 1000
    /// Failures of one origin on one account before delays start, and their cap.
    public var freeFailuresPerAccountAndPeer = 5
    public var maximumDelayPerAccountAndPeer: Int64 = 15 * 60 * 1000
    /// Failures of one origin across all accounts, and their cap.
    public var freeFailuresPerPeer = 20
    public var maximumDelayPerPeer: Int64 = 15 * 60 * 1000
    /// Failures on one account across all origins, and their cap: the longest
    /// that someone else's guessing can make a clean origin wait.
    public var freeFailuresPerAccount = 10
    public var maximumDelayPerAccount: Int64 = 30 * 1000
    /// A bucket with no failure for this long is forgotten.
    public var forgetAfterMilliseconds: Int64 = 60 * 60 * 1000
    /// Entries kept per table at most (memory bound; buckets with attempts in
    /// flight are never dropped, so a table may exceed it by those).
    public var maximumEntries = 10_000

    public init() {}
}

/// Limits password guessing per account (normalized email) and per origin
/// (the connecting uid, or the end user a trusted front names: `LoginOrigin`),
/// with growing delays, answered RATE_LIMITED with `retry_after_ms`.
///
/// **Attempts are counted when they start.** `begin` reserves the attempt's
/// place in all three buckets below before any bcrypt work, and the attempt
/// settles it afterwards (`Attempt.fail`, `succeed`, or `abandon` when it
/// ended without a verdict, e.g. a store error). A bucket with `n` failures
/// and `p` attempts in flight admits a new attempt only when it is not locked
/// and `p < max(f − n, 1)`: below its allowance `f`, only as many attempts
/// as could still fail without passing it; at or above it, one at a time, and
/// only once the lock after the latest failure has ended. So attempts in
/// flight plus failures never exceed what the throttle allows, however many
/// are sent at once; the rest are refused at once, without hashing. A refusal
/// because attempts are in flight says to retry after the delay their failure
/// would impose (at least 1 s).
///
/// The buckets (`f` free failures, then a delay of `base × 2^(n−f)` after
/// the latest failure, capped):
/// - (account, origin): f = 5, cap 15 min. Only that origin, only that
///   account. Cleared by a successful login of that origin on that account.
/// - origin: f = 20, cap 15 min, all accounts: one origin guessing many
///   accounts. Not cleared by a success (a guesser cannot reset it by logging
///   into an account of its own); it decays.
/// - account: f = 10, cap 30 s, all origins: guessing spread over many
///   origins. This is the only bucket that can delay an origin for someone
///   else's failures, and it is bounded: a *clean* origin (no failure of its
///   own on the account within the hour) that the account's bucket refuses is
///   told to come back when that refusal ends (≤ 30 s) and gets a pass from
///   that moment, good for 30 s, that admits it whatever the account's bucket
///   says by then (re-armed lock, attempts in flight). A clean origin
///   therefore waits at most `maximumDelayPerAccount` once, however the
///   guessing goes on; the other two buckets still apply to it, and a failure
///   of its own ends its pass.
/// A bucket with no failure and nothing in flight for an hour is forgotten.
/// Unknown emails are counted exactly like known ones.
///
/// All state is in memory, in three tables of at most `maximumEntries` each;
/// when a table is full, forgotten buckets are dropped first, then the ones
/// idle longest, never one with attempts in flight. (A restart forgets
/// everything; bcrypt's cost still bounds the guessing rate.)
public final class LoginThrottle: Sendable {
    /// The outcome of `begin`.
    public enum Admission: Sendable {
        case admitted(Attempt)
        case limited(retryAfterMilliseconds: Int64)
    }

    /// One admitted attempt: its reservation in the three buckets, until it
    /// is settled once. Dropped unsettled (an error thrown past it), it is
    /// abandoned, so no reservation outlives its attempt.
    public final class Attempt: Sendable {
        enum Outcome { case failed, succeeded, abandoned }

        private let throttle: LoginThrottle
        let account: String
        let origin: String
        /// Admitted on a pass despite the account's bucket.
        public let onPass: Bool
        private let settled = NIOLockedValueBox(false)

        init(throttle: LoginThrottle, account: String, origin: String, onPass: Bool) {
            self.throttle = throttle
            self.account = account
            self.origin = origin
            self.onPass = onPass
        }

        /// A wrong password, or an unknown email.
        public func fail() { settle(.failed) }
        /// The password matched.
        public func succeed() { settle(.succeeded) }
        /// No verdict (store or hashing error): the reservation is returned.
        public func abandon() { settle(.abandoned) }

        private func settle(_ outcome: Outcome) {
            let first = settled.withLockedValue { done -> Bool in
                defer { done = true }
                return !done
            }
            if first { throttle.settle(self, outcome) }
        }

        /// A safety net only: callers settle explicitly (and keep the attempt
        /// alive until they do, e.g. with `defer { attempt.abandon() }`).
        deinit { abandon() }
    }

    struct Bucket {
        var failures = 0
        /// Attempts admitted and not yet settled.
        var pending = 0
        /// Latest failure or pass granted, else the bucket's creation (for
        /// expiry and trimming). An admission does not refresh it: failures
        /// are forgotten an hour after the latest one, however many
        /// attempts (successful ones included) follow.
        var touched: Int64 = 0
        var lockedUntil: Int64 = 0
        /// A clean origin may try from this time on, despite the account's bucket.
        var passFrom: Int64?
    }

    struct PairKey: Hashable {
        var account: String
        var origin: String
    }

    struct State {
        var pairs: [PairKey: Bucket] = [:]
        var origins: [String: Bucket] = [:]
        var accounts: [String: Bucket] = [:]
    }

    public let policy: ThrottlePolicy
    private let clock: AuthClock
    private let state = NIOLockedValueBox(State())

    public init(policy: ThrottlePolicy = ThrottlePolicy(), clock: AuthClock = .system) {
        self.policy = policy
        self.clock = clock
    }

    /// Admits an attempt of `origin` on `account` now (reserving its place),
    /// or says how long to wait.
    public func begin(account: String, origin: LoginOrigin) -> Admission {
        let now = clock.nowMilliseconds
        let originKey = origin.key
        let pairKey = PairKey(account: account, origin: originKey)
        let policy = self.policy
        return state.withLockedValue { state -> Admission in
            var pair = live(state.pairs[pairKey], now: now)
            var wait = max(
                self.wait(pair, free: policy.freeFailuresPerAccountAndPeer, cap: policy.maximumDelayPerAccountAndPeer, now: now),
                self.wait(live(state.origins[originKey], now: now), free: policy.freeFailuresPerPeer, cap: policy.maximumDelayPerPeer, now: now)
            )
            var onPass = false
            let accountWait = self.wait(live(state.accounts[account], now: now), free: policy.freeFailuresPerAccount, cap: policy.maximumDelayPerAccount, now: now)
            if accountWait > 0 {
                let clean = (pair?.failures ?? 0) == 0
                if !clean {
                    wait = max(wait, accountWait)
                } else if let pass = pair?.passFrom, now <= pass.saturatingAdd(policy.maximumDelayPerAccount) {
                    if pass > now { wait = max(wait, pass.saturatingSubtract(now)) } else { onPass = true }
                } else {
                    // First refusal of a clean origin: a pass for when this refusal ends.
                    var granted = pair ?? Bucket()
                    granted.passFrom = now.saturatingAdd(accountWait)
                    granted.touched = now
                    state.pairs[pairKey] = granted
                    trim(&state.pairs, now: now)
                    wait = max(wait, accountWait)
                }
            }
            guard wait == 0 else { return .limited(retryAfterMilliseconds: wait) }
            var admitted = pair ?? Bucket(touched: now)
            admitted.pending += 1
            pair = admitted
            state.pairs[pairKey] = admitted
            trim(&state.pairs, now: now)
            reserve(&state.origins, originKey, now: now)
            reserve(&state.accounts, account, now: now)
            return .admitted(Attempt(throttle: self, account: account, origin: originKey, onPass: onPass))
        }
    }

    private func reserve<Key: Hashable>(_ table: inout [Key: Bucket], _ key: Key, now: Int64) {
        var bucket = live(table[key], now: now) ?? Bucket(touched: now)
        bucket.pending += 1
        table[key] = bucket
        trim(&table, now: now)
    }

    /// How long `bucket` makes a new attempt wait now; 0 when it admits one.
    private func wait(_ bucket: Bucket?, free: Int, cap: Int64, now: Int64) -> Int64 {
        guard let bucket else { return 0 }
        if bucket.lockedUntil > now { return bucket.lockedUntil.saturatingSubtract(now) }
        let room = max(free > bucket.failures ? free - bucket.failures : 0, 1)
        guard bucket.pending >= room else { return 0 }
        // Full of attempts in flight: the delay their failures would impose.
        let (settledIfFailed, overflow) = bucket.failures.addingReportingOverflow(bucket.pending)
        return max(delay(failures: overflow ? .max : settledIfFailed, free: free, cap: cap), policy.baseDelayMilliseconds, 1)
    }

    fileprivate func settle(_ attempt: Attempt, _ outcome: Attempt.Outcome) {
        let now = clock.nowMilliseconds
        let policy = self.policy
        let pairKey = PairKey(account: attempt.account, origin: attempt.origin)
        state.withLockedValue { state in
            var pair = state.pairs[pairKey] ?? Bucket()
            var origin = state.origins[attempt.origin] ?? Bucket()
            var account = state.accounts[attempt.account] ?? Bucket()
            pair.pending = max(0, pair.pending - 1)
            origin.pending = max(0, origin.pending - 1)
            account.pending = max(0, account.pending - 1)
            switch outcome {
            case .failed:
                pair.passFrom = nil
                fail(&pair, now: now, free: policy.freeFailuresPerAccountAndPeer, cap: policy.maximumDelayPerAccountAndPeer)
                fail(&origin, now: now, free: policy.freeFailuresPerPeer, cap: policy.maximumDelayPerPeer)
                fail(&account, now: now, free: policy.freeFailuresPerAccount, cap: policy.maximumDelayPerAccount)
            case .succeeded:
                pair.failures = 0
                pair.lockedUntil = 0
                pair.passFrom = nil
            case .abandoned:
                break
            }
            if outcome == .succeeded && pair.pending == 0 {
                state.pairs[pairKey] = nil
            } else {
                state.pairs[pairKey] = pair
            }
            state.origins[attempt.origin] = origin
            state.accounts[attempt.account] = account
        }
    }

    /// The delay after the n-th failure of a bucket with `free` free failures.
    func delay(failures: Int, free: Int, cap: Int64) -> Int64 {
        guard failures >= free else { return 0 }
        let doublings = min(failures - free, 40)
        return min(policy.baseDelayMilliseconds.saturatingMultiply(Int64(1) << Int64(doublings)), cap)
    }

    private func fail(_ bucket: inout Bucket, now: Int64, free: Int, cap: Int64) {
        bucket.failures = bucket.failures < Int.max ? bucket.failures + 1 : .max
        bucket.touched = now
        bucket.lockedUntil = max(bucket.lockedUntil, now.saturatingAdd(delay(failures: bucket.failures, free: free, cap: cap)))
    }

    /// The bucket, unless it has been idle long enough to be forgotten.
    private func live(_ bucket: Bucket?, now: Int64) -> Bucket? {
        guard let bucket else { return nil }
        if bucket.pending == 0, now.saturatingSubtract(bucket.touched) > policy.forgetAfterMilliseconds, bucket.lockedUntil <= now { return nil }
        return bucket
    }

    /// Keeps a table within `maximumEntries`: forgotten buckets go first, then
    /// the idlest; a bucket with attempts in flight stays.
    private func trim<Key: Hashable>(_ table: inout [Key: Bucket], now: Int64) {
        guard table.count > policy.maximumEntries else { return }
        table = table.filter { live($0.value, now: now) != nil }
        while table.count > policy.maximumEntries,
              let idlest = table.filter({ $0.value.pending == 0 }).min(by: { $0.value.touched < $1.value.touched }) {
            table.removeValue(forKey: idlest.key)
        }
    }

    /// Entries per table (for tests and `stats`).
    public var sizes: (pairs: Int, peers: Int, accounts: Int) {
        state.withLockedValue { ($0.pairs.count, $0.origins.count, $0.accounts.count) }
    }

    /// Attempts in flight on `account` (for tests).
    public func inFlight(account: String) -> Int {
        state.withLockedValue { $0.accounts[account]?.pending ?? 0 }
    }
}
