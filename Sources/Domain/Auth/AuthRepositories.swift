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
}

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
    func revokeFamily(_ familyID: String, at time: Int64, reason: String) async throws -> Int
    /// Revokes every not yet revoked session of the user; returns the ids of
    /// the families that had at least one such session, each once.
    func revokeAll(userID: String, at time: Int64, reason: String) async throws -> [String]
    /// Every family with a session revoked at or after `since`, each once with
    /// its latest revocation time.
    func revokedFamilies(since: Int64) async throws -> [RevokedFamily]
    /// Deletes the sessions that expired before `before`; returns how many.
    func deleteExpired(before: Int64) async throws -> Int
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
