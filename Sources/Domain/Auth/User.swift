/// A registered user: what `auth.register` stores and `auth.login` checks.
///
/// `email` is always in `EmailAddress` normal form; `passwordHash` is a bcrypt
/// hash in crypt(3) notation (`$2b$12$…`), never the password. Times are
/// milliseconds since the Unix epoch (UTC).
public struct User: Sendable, Equatable {
    /// 24 lower-case hex digits (an ObjectId, as DeltaStream's user ids were).
    public var id: String
    public var email: String
    public var name: String?
    public var passwordHash: String
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: String, email: String, name: String?, passwordHash: String, createdAt: Int64, updatedAt: Int64) {
        self.id = id
        self.email = email
        self.name = name
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The longest `name` accepted, in bytes of UTF-8.
    public static let maximumNameBytes = 256
}
