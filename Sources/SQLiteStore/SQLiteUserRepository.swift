import Domain

/// Users in the `users` table (schema versions 2 and 3, `AuthSchema`). Writes are
/// durable (`synchronous=FULL`).
struct SQLiteUserRepository: UserRepository {
    let executor: StoreExecutor

    static let columns = "id, email, name, password_hash, created_at, updated_at"
    static let insertSQL = "INSERT INTO users (\(columns)) VALUES (:id, :email, :name, :hash, :created, :updated)"
    static let byEmailSQL = "SELECT \(columns) FROM users WHERE email = :email"
    static let byIDSQL = "SELECT \(columns) FROM users WHERE id = :id"
    static let updateHashSQL = "UPDATE users SET password_hash = :hash, updated_at = :updated WHERE id = :id"
    static let hashPrefixesSQL = "SELECT substr(password_hash, 1, \(passwordHashPrefixLength)) AS prefix, count(*) FROM users GROUP BY prefix"

    func create(_ user: User) async throws {
        try await executor.durableWrite { connection in
            do {
                try connection.withStatement(Self.insertSQL) { statement in
                    try statement.bind(":id", user.id)
                    try statement.bind(":email", user.email)
                    try statement.bind(":name", user.name)
                    try statement.bind(":hash", user.passwordHash)
                    try statement.bind(":created", user.createdAt)
                    try statement.bind(":updated", user.updatedAt)
                    try statement.run()
                }
            } catch let error where AuthSchema.isUniqueViolation(error) {
                let onEmail = (error as? SQLiteError)?.message.contains("users.email") ?? false
                throw StoreError.conflict(onEmail ? "a user with this email is already registered" : "a user with this id exists")
            }
        }
    }

    func find(email: String) async throws -> User? {
        try await executor.read { connection in
            try connection.withStatement(Self.byEmailSQL) { statement in
                try statement.bind(":email", email)
                return try statement.step() ? Self.decode(statement) : nil
            }
        }
    }

    func find(id: String) async throws -> User? {
        try await executor.read { connection in
            try connection.withStatement(Self.byIDSQL) { statement in
                try statement.bind(":id", id)
                return try statement.step() ? Self.decode(statement) : nil
            }
        }
    }

    func updatePasswordHash(userID: String, hash: String, at time: Int64) async throws -> Bool {
        try await executor.durableWrite { connection in
            try connection.withStatement(Self.updateHashSQL) { statement in
                try statement.bind(":id", userID)
                try statement.bind(":hash", hash)
                try statement.bind(":updated", time)
                try statement.run()
            }
            return connection.changes == 1
        }
    }

    func passwordHashPrefixes() async throws -> [String: Int] {
        try await executor.read { connection in
            try connection.withStatement(Self.hashPrefixesSQL) { statement in
                var counts: [String: Int] = [:]
                while try statement.step() { counts[statement.text(0), default: 0] += Int(clamping: statement.int64(1)) }
                return counts
            }
        }
    }

    static func decode(_ statement: SQLiteStatement) -> User {
        User(
            id: statement.text(0),
            email: statement.text(1),
            name: statement.isNull(2) ? nil : statement.text(2),
            passwordHash: statement.text(3),
            createdAt: statement.int64(4),
            updatedAt: statement.int64(5)
        )
    }
}
