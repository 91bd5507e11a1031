import Domain

/// The SQLite store keeps users and sessions too (schema version 2), so the
/// daemon offers the `auth.*` operations on it. The repositories share the
/// store's connections and thread pool.
extension SQLiteMarketStore: AuthStore {
    public var users: any UserRepository { SQLiteUserRepository(executor: executor) }
    public var sessions: any SessionRepository { SQLiteSessionRepository(executor: executor) }
}
