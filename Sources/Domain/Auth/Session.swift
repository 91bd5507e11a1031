/// One refresh token of a login: a row per token, grouped in a family.
///
/// A login starts a family with one session. Each `auth.refresh` marks the
/// presented session *rotated* (`rotatedAt`, `replacedBy`) and adds its
/// successor to the same family, so the family is the chain of refresh tokens
/// of one login, and it is the unit of revocation: logout, and the reuse of an
/// already rotated token (theft detection), revoke the whole family. Access
/// tokens name their family in the `sid` claim.
///
/// The refresh token itself is never stored, only its SHA-256 (`tokenHash`).
/// Times are milliseconds since the Unix epoch (UTC).
public struct Session: Sendable, Equatable {
    public var id: String
    public var userID: String
    public var familyID: String
    /// SHA-256 of the refresh token (32 bytes).
    public var tokenHash: [UInt8]
    public var createdAt: Int64
    public var expiresAt: Int64
    /// When this token was exchanged for its successor.
    public var rotatedAt: Int64?
    /// The successor's `id`.
    public var replacedBy: String?
    public var revokedAt: Int64?
    /// Why: `logout`, `logout_all`, `reuse`, … (for people and logs).
    public var revokedReason: String?

    public init(
        id: String, userID: String, familyID: String, tokenHash: [UInt8], createdAt: Int64, expiresAt: Int64,
        rotatedAt: Int64? = nil, replacedBy: String? = nil, revokedAt: Int64? = nil, revokedReason: String? = nil
    ) {
        self.id = id
        self.userID = userID
        self.familyID = familyID
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.rotatedAt = rotatedAt
        self.replacedBy = replacedBy
        self.revokedAt = revokedAt
        self.revokedReason = revokedReason
    }

    /// Neither rotated nor revoked (expiry is checked separately).
    public var isCurrent: Bool { rotatedAt == nil && revokedAt == nil }
}

/// A family with at least one revoked session, and when the latest was revoked.
public struct RevokedFamily: Sendable, Equatable, Hashable {
    public var familyID: String
    public var revokedAt: Int64

    public init(familyID: String, revokedAt: Int64) {
        self.familyID = familyID
        self.revokedAt = revokedAt
    }
}
