import Auth
import BSONCore
import Domain
import Logging
import WireProtocol

/// `auth.register`, `auth.login`, `auth.verify`, `auth.refresh`, `auth.logout`,
/// over one `SessionService`.
///
/// Results keep DeltaStream's field names (`token`, `user {id, email, name}`,
/// `valid`, `user_id`, `email`) so existing callers map over directly. The
/// handlers validate arguments on the event loop and run everything else as
/// a task (`AsyncWork`): bcrypt runs on the auth thread pool, store calls on
/// the store's. `auth.verify` touches neither (a signature check and an
/// in-memory revocation lookup), so it runs inline on the event loop and
/// stays fast while logins run.
///
/// `auth.login` and `auth.register` take an optional `client`: the end user
/// behind a front that forwards identities (an HTTP gateway: the HTTP
/// client's address), honoured only from peers whose access rules grant
/// `forward` (anyone else: PERMISSION_DENIED). It replaces the peer uid as
/// the origin that throttling counts (`LoginOrigin`) and is added to the
/// request's log lines.
public enum AuthOperations {
    public static func all(service: SessionService, access: AccessControl) -> [Operation] {
        [register(service, access), login(service, access), verify(service), refresh(service), logout(service)]
    }

    static let clientArgument = OperationDescriptor.Argument(
        "client", "string",
        "The end user behind a front that forwards identities (e.g. the HTTP client's address): 1 to 64 printable ASCII characters. Only from peers with group 'forward'; throttling then counts this client instead of the peer."
    )

    /// The `client` argument, checked (its type, then the peer's right to
    /// give it, then its length and characters), and the origin throttling
    /// and logs use: that client, else the peer. A peer without `forward` is
    /// refused whatever string it sends, however long (the frame bounds it).
    static func origin(_ arguments: Arguments, op: String, access: AccessControl, context: RequestContext) throws -> (LoginOrigin, Logger) {
        var logger = context.logger
        guard let client = try arguments.string("client", maxBytes: .max) else { return (.peer(uid: context.peer?.uid), logger) }
        if let denied = access.check(context.peer, op: "'\(op)' with 'client'", group: .forward, logger: logger) { throw denied }
        try LoginOrigin.checkClient(client)
        logger[metadataKey: "client"] = "\(client)"
        return (.client(client), logger)
    }

    /// Arguments longer than this are refused before any rule is applied.
    static let maximumPasswordArgumentBytes = 4096
    static let maximumTokenArgumentBytes = 16 * 1024

    static let loginResultShape = "{user: {id: string, email: string, name: string|null}, token: string, refresh_token: string, expires_at: datetime, refresh_expires_at: datetime}"

    static let registerDescriptor = OperationDescriptor(
        name: "auth.register", group: .auth,
        summary: "Create a user (email trimmed, NFC and case-folded; password 8 to 72 bytes of UTF-8) and log it in: an access token and a refresh token.",
        arguments: [
            .init("email", "string", required: true, "Email address: at most 254 bytes, exactly one '@', no white space, control, format or unassigned character."),
            .init("password", "string", required: true, "8 to 72 bytes of UTF-8, no NUL (longer passwords are refused, never truncated)."),
            .init("name", "string", "Display name, at most 256 bytes."),
            clientArgument,
        ],
        result: loginResultShape,
        errors: [.conflict, .permissionDenied]
    )

    static func register(_ service: SessionService, _ access: AccessControl) -> Operation {
        Operation(registerDescriptor) { arguments, context in
            let (_, logger) = try origin(arguments, op: "auth.register", access: access, context: context)
            let email = try EmailAddress(normalizing: try arguments.requiredString("email", maxBytes: 1024))
            let password = try arguments.requiredString("password", maxBytes: maximumPasswordArgumentBytes)
            try PasswordRule.checkNew(password)
            let name = try arguments.string("name", maxBytes: User.maximumNameBytes)
            let peer = context.peer?.uid
            return AsyncWork.run(context) {
                loginDocument(try await service.register(email: email, password: password, name: name, peer: peer, logger: logger))
            }
        }
    }

    static let loginDescriptor = OperationDescriptor(
        name: "auth.login", group: .auth,
        summary: "Log in with email and password. Unknown email and wrong password get the same UNAUTHENTICATED after the same time; attempts beyond the throttle's allowance (in flight or failed) get RATE_LIMITED with details.retry_after_ms at once.",
        arguments: [
            .init("email", "string", required: true, "Email address (trimmed, NFC and case-folded before lookup)."),
            .init("password", "string", required: true, "1 to 72 bytes of UTF-8."),
            clientArgument,
        ],
        result: loginResultShape,
        errors: [.unauthenticated, .rateLimited, .permissionDenied]
    )

    static func login(_ service: SessionService, _ access: AccessControl) -> Operation {
        Operation(loginDescriptor) { arguments, context in
            let (origin, logger) = try origin(arguments, op: "auth.login", access: access, context: context)
            let email = try EmailAddress(normalizing: try arguments.requiredString("email", maxBytes: 1024))
            let password = try arguments.requiredString("password", maxBytes: maximumPasswordArgumentBytes)
            try PasswordRule.checkPresented(password)
            return AsyncWork.run(context) {
                loginDocument(try await service.login(email: email, password: password, origin: origin, logger: logger))
            }
        }
    }

    static let verifyDescriptor = OperationDescriptor(
        name: "auth.verify", group: .auth,
        summary: "Check an access token: signature, algorithm, type, issuer, audience, times, and whether its session was revoked.",
        arguments: [.init("token", "string", required: true, "An access token (JWT).")],
        result: "{valid: true, user_id: string, email: string, expires_at: datetime}",
        errors: [.tokenExpired, .tokenInvalid, .tokenRevoked]
    )

    static func verify(_ service: SessionService) -> Operation {
        Operation(verifyDescriptor, inline: verifyInline(service)) { arguments, context in
            let token = try arguments.requiredString("token", maxBytes: maximumTokenArgumentBytes)
            // Inline: a signature check and an in-memory lookup, cheaper than a hop to a task.
            let verified = try service.verify(token)
            return .value(BSONDocument([
                ("valid", .bool(true)), ("user_id", .string(verified.userID)), ("email", .string(verified.email)),
                ("expires_at", .datetime(verified.expiresAtMilliseconds)),
            ]))
        }
    }

    static let refreshDescriptor = OperationDescriptor(
        name: "auth.refresh", group: .auth,
        summary: "Exchange a refresh token for a new access token and a new refresh token (the old one is then used up; presenting it again revokes the session, except for a retry by the same peer within 10 s).",
        arguments: [.init("refresh_token", "string", required: true, "The refresh token of the latest login or refresh.")],
        result: "{token: string, refresh_token: string, expires_at: datetime, refresh_expires_at: datetime}",
        errors: [.tokenExpired, .tokenInvalid, .tokenRevoked]
    )

    static func refresh(_ service: SessionService) -> Operation {
        Operation(refreshDescriptor) { arguments, context in
            let token = try arguments.requiredString("refresh_token", maxBytes: maximumTokenArgumentBytes)
            let peer = context.peer?.uid
            let logger = context.logger
            return AsyncWork.run(context) {
                let tokens = try await service.refresh(token, peer: peer, logger: logger)
                return BSONDocument([
                    ("token", .string(tokens.access.token)), ("refresh_token", .string(tokens.refreshToken)),
                    ("expires_at", .datetime(tokens.access.expiresAtMilliseconds)),
                    ("refresh_expires_at", .datetime(tokens.refreshExpiresAtMilliseconds)),
                ])
            }
        }
    }

    static let logoutDescriptor = OperationDescriptor(
        name: "auth.logout", group: .auth,
        summary: "Revoke the session of a refresh token and/or access token, or every session of its user (all_sessions). Takes effect on the next auth.verify.",
        arguments: [
            .init("refresh_token", "string", "A refresh token of the session."),
            .init("token", "string", "An access token of the session."),
            .init("all_sessions", "bool", "Revoke every session of the token's user (default false)."),
        ],
        result: "{revoked: int32}",
        errors: [.tokenExpired, .tokenInvalid]
    )

    static func logout(_ service: SessionService) -> Operation {
        Operation(logoutDescriptor) { arguments, context in
            let refreshToken = try arguments.string("refresh_token", maxBytes: maximumTokenArgumentBytes)
            let accessToken = try arguments.string("token", maxBytes: maximumTokenArgumentBytes)
            let all = try arguments.bool("all_sessions") ?? false
            guard refreshToken != nil || accessToken != nil else {
                throw WireError.invalidArgument(field: "refresh_token", reason: "give refresh_token, token, or both")
            }
            let logger = context.logger
            return AsyncWork.run(context) {
                let revoked = try await service.logout(refreshToken: refreshToken, accessToken: accessToken, allSessions: all, logger: logger)
                return ["revoked": .int32(Int32(clamping: revoked))]
            }
        }
    }

    static func loginDocument(_ result: LoginResult) -> BSONDocument {
        let user = result.user
        let tokens = result.tokens
        return BSONDocument([
            ("user", .document(BSONDocument([("id", .string(user.id)), ("email", .string(user.email)), ("name", user.name.map(BSONValue.string) ?? .null)]))),
            ("token", .string(tokens.access.token)),
            ("refresh_token", .string(tokens.refreshToken)),
            ("expires_at", .datetime(tokens.access.expiresAtMilliseconds)),
            ("refresh_expires_at", .datetime(tokens.refreshExpiresAtMilliseconds)),
        ])
    }
}
