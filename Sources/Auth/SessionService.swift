import BSONCore
import Domain
import Logging
import NIOConcurrencyHelpers

/// Lifetimes and windows of sessions.
public struct SessionSettings: Sendable {
    /// Refresh-token lifetime in milliseconds (default 30 days). Each rotation
    /// starts a new full lifetime for the new token.
    public var refreshTokenLifetime: Int64
    /// How long after a rotation the rotated token is still answered with the
    /// result of that rotation (concurrent refreshes by one client), in
    /// milliseconds; at most 10 s.
    public var graceWindow: Int64
    /// Results of recent rotations kept for the grace window, at most.
    public var graceCacheLimit: Int

    public static let defaultRefreshTokenLifetime: Int64 = 30 * 24 * 3600 * 1000
    public static let maximumGraceWindow: Int64 = 10_000

    public init(refreshTokenLifetime: Int64 = defaultRefreshTokenLifetime, graceWindow: Int64 = maximumGraceWindow, graceCacheLimit: Int = 10_000) {
        self.refreshTokenLifetime = refreshTokenLifetime
        self.graceWindow = min(max(0, graceWindow), Self.maximumGraceWindow)
        self.graceCacheLimit = graceCacheLimit
    }
}

/// A new access token and refresh token.
public struct SessionTokens: Sendable {
    public let access: IssuedAccessToken
    public let refreshToken: String
    public let refreshExpiresAtMilliseconds: Int64
}

/// The outcome of `register` and `login`.
public struct LoginResult: Sendable {
    public let user: User
    public let tokens: SessionTokens
}

/// The auth service: registration, login, token verification, refresh with
/// rotation and reuse detection, logout.
///
/// **Refresh.** A refresh token is good once: `refresh` marks its session
/// rotated and issues a successor in the same family (compare-and-set in the
/// store, so two refreshes of one token cannot both rotate it). Presenting a
/// rotated token again means it was copied: the whole family is revoked (its
/// refresh tokens and, through the revocation list, its access tokens) and
/// the answer is TOKEN_REVOKED — with one exception, the **grace window**:
/// within `graceWindow` (≤ 10 s) of the rotation, the same peer (uid)
/// presenting the rotated token again gets the very result of that rotation
/// (the same new refresh token and access token) as long as that new refresh
/// token has not been used itself. Concurrent refreshes of one token in this
/// process share one rotation outright. Within the window, another peer
/// presenting the token is treated as reuse; after a restart (the results are
/// only in memory) a same-window retry is refused with TOKEN_REVOKED without
/// revoking the family.
///
/// **Logout** revokes the family of the given refresh or access token, or
/// every family of its user (`allSessions`), and adds them to the revocation
/// list before answering, so the very next `verify` of one of their access
/// tokens fails with TOKEN_REVOKED.
///
/// **Events** (register, login ok/failed/throttled, refresh, reuse, logout)
/// are logged through the caller's logger (which carries the connection and
/// peer uid) with the user id; failed logins name the account by a hash
/// (`email_ref`), since people type passwords into email fields. Passwords
/// and tokens are never logged.
public final class SessionService: Sendable {
    public let users: any UserRepository
    public let sessions: any SessionRepository
    public let hasher: PasswordHasher
    public let tokens: TokenService
    public let throttle: LoginThrottle
    public let revocations: RevocationList
    public let settings: SessionSettings
    /// The bcrypt costs stored, for the dummy and the padding of failed logins.
    public let census: HashCostCensus
    public let timing: LoginTiming
    private let clock: AuthClock
    /// Re-hashes running off the reply path, by user id (one per user at a time).
    private let rehashes = NIOLockedValueBox<[String: Task<Void, Never>]>([:])

    struct Rotation: Sendable {
        let tokens: SessionTokens
        let familyID: String
        let userID: String
        let successorID: String
    }

    struct GraceEntry {
        let rotation: Rotation
        let rotatedAt: Int64
        let peer: UInt32?
    }

    struct InFlight {
        let task: Task<Rotation, any Error>
        let peer: UInt32?
    }

    /// Results of recent rotations by the rotated token's hash (hex).
    private let grace = NIOLockedValueBox<[String: GraceEntry]>([:])
    /// Rotations in progress by the presented token's hash (hex).
    private let inFlight = NIOLockedValueBox<[String: InFlight]>([:])

    public init(
        store: any AuthStore, hasher: PasswordHasher, tokens: TokenService, throttle: LoginThrottle,
        revocations: RevocationList, settings: SessionSettings = SessionSettings(), census: HashCostCensus? = nil,
        timing: LoginTiming = LoginTiming(), clock: AuthClock = .system
    ) {
        self.users = store.users
        self.sessions = store.sessions
        self.hasher = hasher
        self.tokens = tokens
        self.throttle = throttle
        self.revocations = revocations
        self.settings = settings
        self.census = census ?? HashCostCensus(configuredCost: hasher.cost)
        self.timing = timing
        self.clock = clock
    }

    // MARK: Register and login

    /// Creates a user and its first session. `password` must satisfy
    /// `PasswordRule.checkNew` (the operation checks it).
    public func register(email: EmailAddress, password: String, name: String?, peer: UInt32?, logger: Logger) async throws -> LoginResult {
        let hash = try await hasher.hash(password)
        let now = clock.nowMilliseconds
        let user = User(id: BSONObjectID().hex, email: email.value, name: name, passwordHash: hash, createdAt: now, updatedAt: now)
        do {
            try await users.create(user)
            census.added(cost: hasher.cost)
        } catch StoreError.conflict {
            logger.info("auth: register refused: email taken", metadata: ["event": "register_conflict", "email_ref": "\(RefreshToken.logReference(email.value))"])
            throw AuthError.emailTaken
        }
        let tokens = try await startSession(for: user)
        logger.info("auth: registered", metadata: ["event": "register", "user_id": "\(user.id)", "session": "\(tokens.access.claims.sessionID)"])
        return LoginResult(user: user, tokens: tokens)
    }

    /// Checks the password and starts a session.
    ///
    /// The attempt is admitted by the throttle (which reserves its place)
    /// before any store read or bcrypt work; a refused one throws
    /// `rateLimited` at once. Unknown email and wrong password both throw
    /// `AuthError.invalidCredentials`, after a check of the same kind (the
    /// unknown email against a dummy hash of the census's modal cost) and the
    /// same padding (`LoginTiming`). A stored hash of another cost than the
    /// configured one is re-hashed after the reply, off its path.
    public func login(email: EmailAddress, password: String, origin: LoginOrigin, logger: Logger) async throws -> LoginResult {
        let account = email.value
        let attempt: LoginThrottle.Attempt
        switch throttle.begin(account: account, origin: origin) {
        case .limited(let wait):
            logger.notice("auth: login throttled", metadata: ["event": "login_throttled", "email_ref": "\(RefreshToken.logReference(account))", "retry_after_ms": "\(wait)"])
            throw AuthError.rateLimited(retryAfterMilliseconds: wait)
        case .admitted(let admitted):
            attempt = admitted
        }
        // Settled by fail() or succeed() below; an error thrown before a
        // verdict returns the reservation. (The defer also keeps the attempt
        // alive until here: ARC may end an object's life after its last use.)
        defer { attempt.abandon() }
        // What a failure is held to, fixed before this attempt's own check is measured (`LoginTiming.target`).
        let target = timing.target(census: census, timings: hasher.timings)
        let found = try await users.find(email: account)
        let check: PasswordHasher.Check
        if let found {
            check = try await hasher.check(password, against: found.passwordHash)
            if let cost = check.cost { census.observe(cost: cost) }
        } else {
            check = try await hasher.checkUnknownUser(password, cost: census.modalCost)
        }
        guard check.matched, let user = found else {
            attempt.fail()
            var metadata: Logger.Metadata = ["event": "login_failed", "email_ref": "\(RefreshToken.logReference(account))"]
            metadata["reason"] = found == nil ? "unknown_email" : "wrong_password"
            if let found { metadata["user_id"] = "\(found.id)" }
            logger.notice("auth: login failed", metadata: metadata)
            let pause = timing.padding(afterCheckOf: check.nanoseconds, target: target)
            if pause > 0 { try? await Task.sleep(nanoseconds: UInt64(pause)) }
            throw AuthError.invalidCredentials
        }
        attempt.succeed()
        if hasher.needsRehash(user.passwordHash) {
            scheduleRehash(of: user, password: password, logger: logger)
        }
        let tokens = try await startSession(for: user)
        logger.info("auth: login ok", metadata: ["event": "login", "user_id": "\(user.id)", "session": "\(tokens.access.claims.sessionID)"])
        return LoginResult(user: user, tokens: tokens)
    }

    /// Stores a hash at the configured cost, in a task of its own after the
    /// login answered (one per user at a time); a failure is logged and the
    /// old hash stays, to be replaced at a later login.
    private func scheduleRehash(of user: User, password: String, logger: Logger) {
        rehashes.withLockedValue { running in
            guard running[user.id] == nil else { return }
            running[user.id] = Task {
                await self.upgradeHash(of: user, password: password, logger: logger)
                _ = self.rehashes.withLockedValue { $0.removeValue(forKey: user.id) }
            }
        }
    }

    private func upgradeHash(of user: User, password: String, logger: Logger) async {
        let oldCost = PasswordHasher.cost(of: user.passwordHash)
        do {
            let newHash = try await hasher.hash(password)
            guard try await users.updatePasswordHash(userID: user.id, hash: newHash, at: clock.nowMilliseconds) else { return }
            census.moved(from: oldCost, to: hasher.cost)
            logger.info(
                "auth: password hash upgraded",
                metadata: ["event": "rehash", "user_id": "\(user.id)", "from_cost": "\(oldCost.map(String.init) ?? "non-bcrypt")", "to_cost": "\(hasher.cost)"]
            )
        } catch {
            logger.warning("auth: password hash upgrade failed; keeping the old hash", metadata: ["user_id": "\(user.id)", "error": "\(error)"])
        }
    }

    /// Waits for the re-hashes started so far (tests, shutdown).
    public func finishRehashes() async {
        let running = rehashes.withLockedValue { Array($0.values) }
        for task in running { await task.value }
    }

    /// A new family with its first refresh token, and an access token for it.
    private func startSession(for user: User) async throws -> SessionTokens {
        let now = clock.nowMilliseconds
        let refresh = RefreshToken.generate()
        let session = Session(
            id: SecureRandom.hexID(), userID: user.id, familyID: SecureRandom.hexID(), tokenHash: RefreshToken.hash(refresh),
            createdAt: now, expiresAt: now.saturatingAdd(settings.refreshTokenLifetime)
        )
        try await sessions.create(session)
        let access = tokens.issue(userID: user.id, email: user.email, sessionID: session.familyID)
        return SessionTokens(access: access, refreshToken: refresh, refreshExpiresAtMilliseconds: session.expiresAt)
    }

    // MARK: Verify

    /// Checks an access token: `TokenService.verify`, then the revocation
    /// list. Synchronous and non-blocking, so it may run on an event loop.
    public func verify(_ token: String) throws(AuthError) -> VerifiedAccessToken {
        let verified = try tokens.verify(token)
        guard !revocations.isRevoked(verified.sessionID) else {
            throw AuthError.tokenRevoked("this session was logged out or revoked")
        }
        return verified
    }

    // MARK: Refresh

    /// Exchanges a refresh token for a new access token and a new refresh token.
    public func refresh(_ refreshToken: String, peer: UInt32?, logger: Logger) async throws -> SessionTokens {
        guard RefreshToken.isWellFormed(refreshToken) else {
            if refreshToken.contains(".") { throw AuthError.tokenInvalid("an access token is not a refresh token") }
            throw AuthError.tokenInvalid("not a refresh token (43 characters of base64url)")
        }
        let hash = RefreshToken.hash(refreshToken)
        let key = SecureRandom.hex(hash)
        let (entry, joined) = inFlight.withLockedValue { table -> (InFlight, Bool) in
            if let running = table[key] { return (running, true) }
            let task = Task { try await self.rotate(tokenHash: hash, key: key, peer: peer, logger: logger) }
            let started = InFlight(task: task, peer: peer)
            table[key] = started
            return (started, false)
        }
        if !joined {
            let result = await entry.task.result
            inFlight.withLockedValue { _ = $0.removeValue(forKey: key) }
            return try result.get().tokens
        }
        // Another request is rotating this very token right now.
        let rotation = try await entry.task.value
        guard entry.peer == peer else {
            try await revokeForReuse(familyID: rotation.familyID, userID: rotation.userID, logger: logger, detail: "presented concurrently by another peer")
            throw AuthError.tokenRevoked("refresh token reuse detected: every token of this session was revoked")
        }
        logger.info("auth: concurrent refresh shared one rotation", metadata: ["event": "refresh_shared", "user_id": "\(rotation.userID)", "session": "\(rotation.familyID)"])
        return rotation.tokens
    }

    private func rotate(tokenHash: [UInt8], key: String, peer: UInt32?, logger: Logger) async throws -> Rotation {
        let now = clock.nowMilliseconds
        guard let session = try await sessions.find(tokenHash: tokenHash) else {
            throw AuthError.tokenInvalid("unknown refresh token")
        }
        if session.revokedAt != nil { throw AuthError.tokenRevoked("this session was logged out or revoked") }
        if now >= session.expiresAt { throw AuthError.tokenExpired("the refresh token expired; log in again") }
        if session.rotatedAt != nil {
            return try await rotatedAgain(session, key: key, peer: peer, now: now, logger: logger)
        }
        guard let user = try await users.find(id: session.userID) else {
            _ = try await sessions.revokeFamily(session.familyID, at: now, reason: "user_missing")
            revocations.add(session.familyID, at: now)
            throw AuthError.tokenRevoked("the user of this session no longer exists")
        }
        let refresh = RefreshToken.generate()
        let successor = Session(
            id: SecureRandom.hexID(), userID: user.id, familyID: session.familyID, tokenHash: RefreshToken.hash(refresh),
            createdAt: now, expiresAt: now.saturatingAdd(settings.refreshTokenLifetime)
        )
        guard try await sessions.rotate(id: session.id, to: successor, at: now) else {
            // Rotated or revoked by someone else between the read and the write.
            guard let current = try await sessions.find(id: session.id) else { throw AuthError.tokenInvalid("unknown refresh token") }
            if current.revokedAt != nil { throw AuthError.tokenRevoked("this session was logged out or revoked") }
            return try await rotatedAgain(current, key: key, peer: peer, now: now, logger: logger)
        }
        let access = tokens.issue(userID: user.id, email: user.email, sessionID: session.familyID)
        let rotation = Rotation(
            tokens: SessionTokens(access: access, refreshToken: refresh, refreshExpiresAtMilliseconds: successor.expiresAt),
            familyID: session.familyID, userID: user.id, successorID: successor.id
        )
        remember(rotation, key: key, at: now, peer: peer)
        logger.info("auth: refreshed", metadata: ["event": "refresh", "user_id": "\(user.id)", "session": "\(session.familyID)"])
        return rotation
    }

    /// A rotated token presented again: the grace-window answer, or reuse.
    private func rotatedAgain(_ session: Session, key: String, peer: UInt32?, now: Int64, logger: Logger) async throws -> Rotation {
        let rotatedAt = session.rotatedAt ?? now
        let withinGrace = now.saturatingSubtract(rotatedAt) <= settings.graceWindow
        let entry = grace.withLockedValue { $0[key] }
        if withinGrace, let entry {
            if entry.peer == peer, let successor = try await sessions.find(id: entry.rotation.successorID), successor.isCurrent {
                logger.info(
                    "auth: refresh retried within the grace window; the token issued moments ago is returned again",
                    metadata: ["event": "refresh_grace", "user_id": "\(session.userID)", "session": "\(session.familyID)"]
                )
                return entry.rotation
            }
        } else if withinGrace {
            // The result of the rotation is not known here (restart, or evicted):
            // refuse, but do not treat a retry within seconds as theft.
            throw AuthError.tokenRevoked("this refresh token was already used; use the one issued in its place")
        }
        let detail = withinGrace ? "presented again within the grace window by another peer or after its successor was used" : "presented again after rotation"
        try await revokeForReuse(familyID: session.familyID, userID: session.userID, logger: logger, detail: detail)
        throw AuthError.tokenRevoked("refresh token reuse detected: every token of this session was revoked")
    }

    private func revokeForReuse(familyID: String, userID: String, logger: Logger, detail: String) async throws {
        let now = clock.nowMilliseconds
        let revoked = try await sessions.revokeFamily(familyID, at: now, reason: "reuse")
        revocations.add(familyID, at: now)
        logger.warning(
            "auth: refresh token reuse detected; session family revoked",
            metadata: ["event": "refresh_reuse", "user_id": "\(userID)", "session": "\(familyID)", "detail": "\(detail)", "revoked_tokens": "\(revoked)"]
        )
    }

    private func remember(_ rotation: Rotation, key: String, at now: Int64, peer: UInt32?) {
        let window = settings.graceWindow
        let limit = settings.graceCacheLimit
        grace.withLockedValue { table in
            if table.count >= limit {
                table = table.filter { now.saturatingSubtract($0.value.rotatedAt) <= window }
            }
            if table.count < limit {
                table[key] = GraceEntry(rotation: rotation, rotatedAt: now, peer: peer)
            }
        }
    }

    // MARK: Logout

    /// Revokes the session of `refreshToken` and/or `accessToken` (at least
    /// one; both must belong to one user), or every session of that user.
    /// Returns how many sessions (families) were newly revoked.
    public func logout(refreshToken: String?, accessToken: String?, allSessions: Bool, logger: Logger) async throws -> Int {
        var userIDs = Set<String>()
        var families = Set<String>()
        if let accessToken {
            // An access token whose session is already revoked still names it: logging out again is harmless.
            let verified = try tokens.verify(accessToken)
            userIDs.insert(verified.userID)
            families.insert(verified.sessionID)
        }
        if let refreshToken {
            guard RefreshToken.isWellFormed(refreshToken) else {
                if refreshToken.contains(".") { throw AuthError.tokenInvalid("refresh_token: an access token is not a refresh token") }
                throw AuthError.tokenInvalid("refresh_token: not a refresh token")
            }
            guard let session = try await sessions.find(tokenHash: RefreshToken.hash(refreshToken)) else {
                throw AuthError.tokenInvalid("unknown refresh token")
            }
            userIDs.insert(session.userID)
            families.insert(session.familyID)
        }
        guard let userID = userIDs.first else { throw FieldError("refresh_token", "give refresh_token, token, or both") }
        guard userIDs.count == 1 else { throw FieldError("token", "token and refresh_token belong to different users") }
        let now = clock.nowMilliseconds
        var revoked = 0
        if allSessions {
            let all = try await sessions.revokeAll(userID: userID, at: now, reason: "logout_all")
            revoked = all.count
            families.formUnion(all)
        } else {
            for family in families.sorted() {
                let changed = try await sessions.revokeFamily(family, at: now, reason: "logout")
                if changed > 0 { revoked += 1 }
            }
        }
        for family in families { revocations.add(family, at: now) }
        logger.info("auth: logout", metadata: ["event": "logout", "user_id": "\(userID)", "revoked": "\(revoked)", "all_sessions": "\(allSessions)"])
        return revoked
    }

    // MARK: Housekeeping

    /// Merges every revocation of the retention window made by other
    /// processes on the same store (the full reload behind the fast
    /// `RevocationWatcher`), prunes the list and the grace cache, re-reads
    /// the hash-cost census when due, and deletes sessions expired for a day.
    public func maintain(logger: Logger) async {
        let now = clock.nowMilliseconds
        do {
            try await revocations.load(from: sessions, now: now)
            try await census.refresh(from: users, now: now)
            let deleted = try await sessions.deleteExpired(before: now.saturatingSubtract(24 * 3600 * 1000))
            if deleted > 0 { logger.info("auth: removed \(deleted) session\(deleted == 1 ? "" : "s") expired for more than a day", metadata: ["count": "\(deleted)"]) }
        } catch {
            logger.warning("auth: session housekeeping failed (tried again at its next run): \(error)", metadata: ["error": "\(error)"])
        }
        let window = settings.graceWindow
        grace.withLockedValue { table in table = table.filter { now.saturatingSubtract($0.value.rotatedAt) <= window } }
    }
}
