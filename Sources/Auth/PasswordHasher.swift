import Domain
import NIOConcurrencyHelpers
import NIOPosix

/// Hashes and checks passwords with bcrypt, always on a thread pool.
///
/// - Every bcrypt computation runs on `threadPool` (the daemon gives auth a
///   pool of its own, so logins never queue behind store queries or the
///   reverse), never on the caller's thread.
/// - `verifyUnknownUser` spends the same work as a real check against a hash of
///   the configured cost, so an unknown email costs what a wrong password
///   costs and timing does not reveal which emails are registered. Its dummy
///   hash is a fresh random salt at the configured cost followed by random
///   hash characters: bcrypt's work depends only on the salt and the cost, so
///   no bcrypt computation is needed to make it, and start-up stays fast.
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
    private let threadPool: NIOThreadPool
    private let dummyHash: String
    private let queued = NIOLockedValueBox(0)

    private init(cost: Int, threadPool: NIOThreadPool, dummyHash: String, maximumQueued: Int, niceness: Int32?) {
        self.cost = cost
        self.threadPool = threadPool
        self.dummyHash = dummyHash
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
        let dummy = try Bcrypt.setting(cost: cost) + Bcrypt.randomHashCharacters()
        return PasswordHasher(cost: cost, threadPool: threadPool, dummyHash: dummy, maximumQueued: max(1, maximumQueued), niceness: niceness)
    }

    /// Lowers the priority of a pool thread now (the thread that runs it) and
    /// tells whether the kernel allowed it: nil, or why not. Hashing does the
    /// same before every computation, on whichever thread runs it.
    public func lowerPriority() async throws -> String? {
        guard let niceness else { return nil }
        return try await threadPool.runIfActive { ThreadNiceness.raiseCurrentThread(to: niceness) }
    }

    /// A new `$2b$` hash of `password` at the configured cost.
    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await run { try Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `password` matches `storedHash` (compared in constant time).
    /// False for a stored hash libxcrypt cannot read.
    public func verify(_ password: String, against storedHash: String) async throws -> Bool {
        try await run {
            guard let computed = Bcrypt.crypt(password, setting: storedHash) else { return false }
            return ConstantTime.equal(Array(computed.utf8), Array(storedHash.utf8))
        }
    }

    /// The work of `verify` against a hash of the configured cost, for a login
    /// whose email matches no user. Always "no match".
    public func verifyUnknownUser(_ password: String) async throws {
        _ = try await verify(password, against: dummyHash)
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
        do {
            return try await threadPool.runIfActive {
                // One cheap syscall (a no-op once the thread is at that value) per 0.2 s hash.
                if let niceness { ThreadNiceness.raiseCurrentThread(to: niceness) }
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
