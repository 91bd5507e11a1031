import BSONCore
import Foundation

/// A user as auth operations return it.
public struct User: Sendable, Equatable {
    public var id: String
    /// Trimmed and lower-cased.
    public var email: String
    public var name: String?

    init(_ reader: ResultReader) throws {
        id = try reader.string("id")
        email = try reader.string("email")
        name = try reader.optionalString("name")
    }
}

/// The result of `auth.register` and `auth.login`: the user, a short-lived
/// access token and the refresh token that renews it.
public struct Session: Sendable, Equatable {
    public var user: User
    /// The access token (a JWT), for `verify`.
    public var token: String
    /// The opaque refresh token, for `refresh` and `logout`.
    public var refreshToken: String
    /// When the access token expires.
    public var expiresAt: Date
    /// When the refresh token expires, when the server says.
    public var refreshExpiresAt: Date?

    init(_ document: BSONDocument, op: String) throws {
        let reader = ResultReader(document, op: op)
        user = try User(try reader.reader("user"))
        token = try reader.string("token")
        refreshToken = try reader.string("refresh_token")
        expiresAt = try reader.date("expires_at")
        refreshExpiresAt = try reader.optionalDate("refresh_expires_at")
    }
}

/// The result of `auth.verify`: whose token it is and until when it is valid.
public struct VerifiedToken: Sendable, Equatable {
    public var userID: String
    public var email: String
    public var expiresAt: Date

    init(_ document: BSONDocument) throws {
        let reader = ResultReader(document, op: "auth.verify")
        guard try reader.bool("valid") else { throw DeltaStoreError.protocolViolation("auth.verify result: 'valid' is false in a success reply") }
        userID = try reader.string("user_id")
        email = try reader.string("email")
        expiresAt = try reader.date("expires_at")
    }
}

/// The result of `auth.refresh`: a new access token and a new refresh token
/// (the old refresh token is used up).
public struct RefreshedTokens: Sendable, Equatable {
    public var token: String
    public var refreshToken: String
    public var expiresAt: Date
    public var refreshExpiresAt: Date?

    init(_ document: BSONDocument) throws {
        let reader = ResultReader(document, op: "auth.refresh")
        token = try reader.string("token")
        refreshToken = try reader.string("refresh_token")
        expiresAt = try reader.date("expires_at")
        refreshExpiresAt = try reader.optionalDate("refresh_expires_at")
    }
}
