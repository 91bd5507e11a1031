import Domain
import NIOConcurrencyHelpers
import NIOPosix

/// Hashes and checks passwords with bcrypt, always on a thread pool.
///
/// - Every bcrypt computation runs on `threadPool` (the daemon gives auth a
///   pool of its own, so logins never queue behind store queries or the
///   reverse), never on the caller's thread.
/// - `checkUnknownUser` spends the work of a real check against a hash of the
///   cost it is given (the census's modal cost, `HashCostCensus`), so an
///   unknown email costs the CPU a wrong password costs. Its dummy hashes
///   (one per cost, made on first use) are a fresh random salt at that cost
///   followed by random hash characters: bcrypt's work depends only on the
///   salt and the cost, so no bcrypt computation is needed to make one, and
///   start-up stays fast.
/// - Every check is timed on the pool thread that computes it (`timings`),
///   so failed logins can be padded to the slowest stored cost (`LoginTiming`).
/// - `needsRehash` tells when a stored hash is not `$2b$` at the configured
///   cost; the login that proved the password then stores a new hash.
/// - At most `maximumQueued` computations wait or run at once; beyond that
///   requests fail at once with `AuthError.busy` instead of queueing for minutes.
/// - The pool's threads run bcrypt at nice `niceness` (`ThreadNiceness`), so
///   that logins on every core never delay the event loops.
public final class PasswordHasher: Sendable {
    /// The costs `--bcrypt-cost` accepts: 4 (tests) to 17 (≈ 5 s per hash).
    public static let costRange = 4...17
    public static let defaultCost = 12

    public let cost: Int
    public let maximumQueued: Int
    /// The nice value the pool's threads take before hashing; nil leaves them as they are.
    public let niceness: Int32?
    /// Durations of the computations made, per cost.
    public let timings = CheckTimings()
    private let threadPool: NIOThreadPool
    /// Dummy hashes for unknown emails, by cost.
    private let dummyHashes: NIOLockedValueBox<[Int: String]>
    private let queued = NIOLockedValueBox(0)
    private let computed = NIOLockedValueBox(0)

    private init(cost: Int, threadPool: NIOThreadPool, dummyHash: String, maximumQueued: Int, niceness: Int32?) {
        self.cost = cost
        self.threadPool = threadPool
        self.dummyHashes = NIOLockedValueBox([cost: dummyHash])
        self.maximumQueued = maximumQueued
        self.niceness = niceness
    }

    /// Makes the hasher and its dummy hash (no bcrypt computation: see above).
    /// Give `niceness` only with a pool of the hasher's own: it lowers the
    /// priority of the pool's threads for good.
    public static func make(cost: Int, threadPool: NIOThreadPool, maximumQueued: Int = 256, niceness: Int32? = nil) throws -> PasswordHasher {
        guard costRange.contains(cost) else {
            throw FieldError("bcrypt cost", "must be between \(costRange.lowerBound) and \(costRange.upperBound), got \(cost)")
        }
        let dummy = try dummyHash(cost: cost)
        return PasswordHasher(cost: cost, threadPool: threadPool, dummyHash: dummy, maximumQueued: max(1, maximumQueued), niceness: niceness)
    }

    /// Lowers the priority of a pool thread now (the thread that runs it) and
    /// tells whether the kernel allowed it: nil, or why not. Hashing does the
    /// same before every computation, on whichever thread runs it.
    public func lowerPriority() async throws -> String? {
        guard let niceness else { return nil }
        return try await threadPool.runIfActive { ThreadNiceness.raiseCurrentThread(to: niceness) }
    }

    /// A well-formed `$2b$` hash at `cost` that no password is known to match.
    static func dummyHash(cost: Int) throws -> String {
        try Bcrypt.setting(cost: cost) + Bcrypt.randomHashCharacters()
    }

    /// A new `$2b$` hash of `password` at the configured cost.
    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        let timings = self.timings
        return try await run {
            let start = ContinuousClock.now
            let hash = try Bcrypt.hash(password, cost: cost)
            timings.record(cost: cost, nanoseconds: Self.nanoseconds(since: start))
            return hash
        }
    }

    /// One password check: the verdict, and how long the computation took.
    public struct Check: Sendable {
        public var matched: Bool
        /// The bcrypt computation alone, on the pool thread (no queueing).
        public var nanoseconds: Int64
        /// The stored hash's cost (nil when it is not bcrypt).
        public var cost: Int?
    }

    /// Whether `password` matches `storedHash` (compared in constant time),
    /// timed. No match for a stored hash libxcrypt cannot read.
    public func check(_ password: String, against storedHash: String) async throws -> Check {
        let cost = Bcrypt.cost(of: storedHash)
        let timings = self.timings
        return try await run {
            let start = ContinuousClock.now
            let computed = Bcrypt.crypt(password, setting: storedHash)
            let elapsed = Self.nanoseconds(since: start)
            if let cost, computed != nil { timings.record(cost: cost, nanoseconds: elapsed) }
            let matched = computed.map { ConstantTime.equal(Array($0.utf8), Array(storedHash.utf8)) } ?? false
            return Check(matched: matched, nanoseconds: elapsed, cost: cost)
        }
    }

    /// Whether `password` matches `storedHash`.
    public func verify(_ password: String, against storedHash: String) async throws -> Bool {
        try await check(password, against: storedHash).matched
    }

    /// The work of `check` against a dummy hash of `cost` (default: the
    /// configured one), for a login whose email matches no user. Never a match.
    public func checkUnknownUser(_ password: String, cost: Int? = nil) async throws -> Check {
        let cost = cost.map { min(max($0, Bcrypt.validCosts.lowerBound), Self.costRange.upperBound) } ?? self.cost
        let dummy = try dummyHashes.withLockedValue { table -> String in
            if let made = table[cost] { return made }
            let made = try Self.dummyHash(cost: cost)
            table[cost] = made
            return made
        }
        var result = try await check(password, against: dummy)
        result.matched = false
        return result
    }

    /// Bcrypt computations completed since start (for tests: a refused
    /// login must cost none).
    public var computedCount: Int { computed.withLockedValue { $0 } }

    static func nanoseconds(since start: ContinuousClock.Instant) -> Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds.saturatingMultiply(1_000_000_000).saturatingAdd(elapsed.components.attoseconds / 1_000_000_000)
    }

    /// True when `storedHash` is not bcrypt `$2b$` at the configured cost.
    public func needsRehash(_ storedHash: String) -> Bool {
        !storedHash.hasPrefix(Bcrypt.prefix) || Bcrypt.cost(of: storedHash) != cost
    }

    /// The cost of a bcrypt hash, or nil when it is not one.
    public static func cost(of hash: String) -> Int? {
        Bcrypt.cost(of: hash)
    }

    /// Computations waiting or running now.
    public var queuedCount: Int { queued.withLockedValue { $0 } }

    private func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let admitted = queued.withLockedValue { count -> Bool in
            guard count < maximumQueued else { return false }
            count += 1
            return true
        }
        guard admitted else { throw AuthError.busy("too many logins in progress; try again shortly") }
        defer { queued.withLockedValue { $0 -= 1 } }
        let niceness = self.niceness
        let computed = self.computed
        do {
            return try await threadPool.runIfActive {
                // One cheap syscall (a no-op once the thread is at that value) per 0.2 s hash.
                if let niceness { ThreadNiceness.raiseCurrentThread(to: niceness) }
                defer { computed.withLockedValue { $0 += 1 } }
                return try body()
            }
        } catch is CancellationError where !Task.isCancelled {
            // runIfActive reports a stopped pool as cancellation.
            throw AuthError.unavailable("password hashing is not available: the daemon is stopping")
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw AuthError.unavailable("password hashing is not available: the daemon is stopping")
        }
    }
}
