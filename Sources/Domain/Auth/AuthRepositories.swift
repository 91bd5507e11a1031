/// Storage of users. Implemented by every store that offers auth; the contract
/// test suite (`Tests/StoreContractTests/UserRepositoryTests.swift`) checks each
/// implementation against the same expectations.
public protocol UserRepository: Sendable {
    /// Stores a new user. Throws `StoreError.conflict` when a user with the
    /// same (normalized) email, or the same id, exists; nothing is written then.
    func create(_ user: User) async throws
    /// The user with this normalized email.
    func find(email: String) async throws -> User?
    func find(id: String) async throws -> User?
    /// Replaces a user's password hash (a re-hash at a new cost). False when
    /// there is no such user.
    func updatePasswordHash(userID: String, hash: String, at time: Int64) async throws -> Bool
    /// How many stored password hashes start with each prefix of
    /// `passwordHashPrefixLength` characters (`$2b$12$` for bcrypt at cost
    /// 12): the daemon's census of the costs in use, read at start and now and
    /// then (`Auth.HashCostCensus`). One aggregate query, no hash leaves the store.
    func passwordHashPrefixes() async throws -> [String: Int]
}

/// The length of the prefixes `UserRepository.passwordHashPrefixes` counts.
public let passwordHashPrefixLength = 7

/// Storage of sessions (refresh tokens), see `Session`.
public protocol SessionRepository: Sendable {
    /// Stores a new session. Throws `StoreError.conflict` for a duplicate id or
    /// token hash.
    func create(_ session: Session) async throws
    func find(tokenHash: [UInt8]) async throws -> Session?
    func find(id: String) async throws -> Session?
    /// Atomically: when session `id` is current (neither rotated nor revoked),
    /// marks it rotated at `time` with `replacedBy = successor.id` and stores
    /// `successor`; returns true. Otherwise writes nothing and returns false
    /// (another refresh won the race, or the family was revoked).
    func rotate(id: String, to successor: Session, at time: Int64) async throws -> Bool
    /// Marks every not yet revoked session of the family revoked; returns how
    /// many were (0 when the family was already revoked or does not exist).
    /// When it revokes any, it advances the revocation sequence, after the
    /// sessions are written (in the same transaction where the store has them).
    func revokeFamily(_ familyID: String, at time: Int64, reason: String) async throws -> Int
    /// Revokes every not yet revoked session of the user; returns the ids of
    /// the families that had at least one such session, each once. Advances
    /// the revocation sequence as `revokeFamily` does.
    func revokeAll(userID: String, at time: Int64, reason: String) async throws -> [String]
    /// Every family with a session revoked at or after `since`, each once with
    /// its latest revocation time.
    func revokedFamilies(since: Int64) async throws -> [RevokedFamily]
    /// Deletes the sessions that expired before `before`; returns how many.
    func deleteExpired(before: Int64) async throws -> Int
    /// The store's revocation sequence: a number that every revocation by any
    /// process on this store changes, and that is cheap to read (one small
    /// row or document). Daemons poll it a few times a second and reload the
    /// revoked families only when it changed (`Auth.RevocationWatcher`), so
    /// a logout on one daemon reaches the others without a store read per
    /// `auth.verify`. Once a change is visible, so are the sessions it revoked.
    func revocationSequence() async throws -> Int64
}

/// A store that keeps users and sessions.
///
/// Separate from `MarketStore` on purpose: a store joins auth by conforming to
/// this protocol too (the SQLite store does), and the daemon offers the `auth.*`
/// operations only when its store does.
public protocol AuthStore: Sendable {
    var users: any UserRepository { get }
    var sessions: any SessionRepository { get }
}

/// A store without schema migrations whose users may hold emails in an older
/// normal form (MongoDB: documents written by an older deltastored or by
/// DeltaStream itself). The daemon asks it at start, before it serves, to
/// bring them to the current `EmailAddress` form; the SQLite store does the
/// same in its schema migration 5 instead.
public protocol StoredEmailNormalizing: Sendable {
    /// Applies `EmailNormalizationPlan` to the stored users once per store;
    /// returns what it did, or nil when the store was already done.
    func normalizeStoredEmails() async throws -> EmailNormalizationPlan?
}
