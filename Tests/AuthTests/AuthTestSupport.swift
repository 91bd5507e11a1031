@testable import Auth
import Crypto
import Domain
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// Time that moves only when a test says so.
final class ManualClock: Sendable {
    private let milliseconds: NIOLockedValueBox<Int64>

    init(_ start: Int64 = 1_709_284_500_000) {
        milliseconds = NIOLockedValueBox(start)
    }

    var now: Int64 { milliseconds.withLockedValue { $0 } }
    var nowSeconds: Int64 { now / 1000 }

    func advance(milliseconds delta: Int64) {
        milliseconds.withLockedValue { $0 += delta }
    }

    func advance(seconds delta: Int64) {
        advance(milliseconds: delta * 1000)
    }

    var clock: AuthClock {
        AuthClock { [milliseconds] in milliseconds.withLockedValue { $0 } }
    }
}

/// Users and sessions in memory, with the semantics the contract suite
/// checks for the real stores (unique email and id, rotation as
/// compare-and-set).
final class InMemoryAuthStore: AuthStore, UserRepository, SessionRepository, Sendable {
    private struct State {
        var users: [String: User] = [:]
        var sessions: [String: Session] = [:]
        var revocationSequence: Int64 = 0
    }

    private let state = NIOLockedValueBox(State())
    /// When set, `updatePasswordHash` waits for it to open.
    private let passwordUpdateGate = NIOLockedValueBox<Gate?>(nil)
    var users: any UserRepository { self }

    /// Makes every password-hash update wait until `gate` opens.
    func holdPasswordUpdates(until gate: Gate) {
        passwordUpdateGate.withLockedValue { $0 = gate }
    }
    var sessions: any SessionRepository { self }

    func create(_ user: User) async throws {
        try state.withLockedValue { state in
            guard state.users[user.id] == nil, !state.users.values.contains(where: { $0.email == user.email }) else {
                throw StoreError.conflict("taken")
            }
            state.users[user.id] = user
        }
    }

    func find(email: String) async throws -> User? {
        state.withLockedValue { $0.users.values.first { $0.email == email } }
    }

    func find(id: String) async throws -> User? {
        state.withLockedValue { $0.users[id] }
    }

    func updatePasswordHash(userID: String, hash: String, at time: Int64) async throws -> Bool {
        if let gate = passwordUpdateGate.withLockedValue({ $0 }) { await gate.wait() }
        return state.withLockedValue { state in
            guard state.users[userID] != nil else { return false }
            state.users[userID]?.passwordHash = hash
            state.users[userID]?.updatedAt = time
            return true
        }
    }

    func passwordHashPrefixes() async throws -> [String: Int] {
        state.withLockedValue { state in
            var counts: [String: Int] = [:]
            for user in state.users.values { counts[String(user.passwordHash.prefix(passwordHashPrefixLength)), default: 0] += 1 }
            return counts
        }
    }

    func revocationSequence() async throws -> Int64 {
        state.withLockedValue { $0.revocationSequence }
    }

    func create(_ session: Session) async throws {
        try state.withLockedValue { state in
            guard state.sessions[session.id] == nil, !state.sessions.values.contains(where: { $0.tokenHash == session.tokenHash }) else {
                throw StoreError.conflict("taken")
            }
            state.sessions[session.id] = session
        }
    }

    func find(tokenHash: [UInt8]) async throws -> Session? {
        state.withLockedValue { $0.sessions.values.first { $0.tokenHash == tokenHash } }
    }

    func find(id: String) async throws -> Session? {
        state.withLockedValue { $0.sessions[id] }
    }

    func rotate(id: String, to successor: Session, at time: Int64) async throws -> Bool {
        state.withLockedValue { state in
            guard let current = state.sessions[id], current.isCurrent else { return false }
            state.sessions[id]?.rotatedAt = time
            state.sessions[id]?.replacedBy = successor.id
            state.sessions[successor.id] = successor
            return true
        }
    }

    func revokeFamily(_ familyID: String, at time: Int64, reason: String) async throws -> Int {
        state.withLockedValue { state in
            var count = 0
            for (id, session) in state.sessions where session.familyID == familyID && session.revokedAt == nil {
                state.sessions[id]?.revokedAt = time
                state.sessions[id]?.revokedReason = reason
                count += 1
            }
            if count > 0 { state.revocationSequence += 1 }
            return count
        }
    }

    func revokeAll(userID: String, at time: Int64, reason: String) async throws -> [String] {
        state.withLockedValue { state in
            var families = Set<String>()
            for (id, session) in state.sessions where session.userID == userID && session.revokedAt == nil {
                state.sessions[id]?.revokedAt = time
                state.sessions[id]?.revokedReason = reason
                families.insert(session.familyID)
            }
            if !families.isEmpty { state.revocationSequence += 1 }
            return families.sorted()
        }
    }

    func revokedFamilies(since: Int64) async throws -> [RevokedFamily] {
        state.withLockedValue { state in
            var latest: [String: Int64] = [:]
            for session in state.sessions.values {
                if let revokedAt = session.revokedAt, revokedAt >= since {
                    latest[session.familyID] = max(latest[session.familyID] ?? .min, revokedAt)
                }
            }
            return latest.map { RevokedFamily(familyID: $0.key, revokedAt: $0.value) }
        }
    }

    func deleteExpired(before: Int64) async throws -> Int {
        state.withLockedValue { state in
            let expired = state.sessions.filter { $0.value.expiresAt < before }.map(\.key)
            for id in expired { state.sessions[id] = nil }
            return expired.count
        }
    }

    /// Every session (for assertions).
    var allSessions: [Session] { state.withLockedValue { Array($0.sessions.values) } }

    /// Replaces a user's stored hash directly (to plant a legacy cost).
    func plant(hash: String, forEmail email: String) {
        state.withLockedValue { state in
            guard let id = state.users.values.first(where: { $0.email == email })?.id else { return }
            state.users[id]?.passwordHash = hash
        }
    }
}

/// A latch: `wait` returns once `open` has been called (at once after it).
actor Gate {
    private var isOpen = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func open() {
        isOpen = true
        waiting.forEach { $0.resume() }
        waiting = []
    }
}

/// Log lines kept in memory: message, level and metadata rendered as text.
final class CapturedLog: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    var all: [String] { lines.withLockedValue { $0 } }
    var text: String { all.joined(separator: "\n") }

    func append(_ line: String) {
        lines.withLockedValue { $0.append(line) }
    }

    var logger: Logger {
        var logger = Logger(label: "auth-tests") { _ in CapturingHandler(log: self) }
        logger.logLevel = .trace
        return logger
    }

    struct CapturingHandler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            log.append("\(event.level) \(event.message) \(rendered)")
        }
    }
}

let quietLogger = Logger(label: "auth-tests.quiet") { _ in SwiftLogNoOpLogHandler() }

/// A key of 32 bytes derived from `seed` (deterministic, for forging).
func testKey(_ kid: String, seed: UInt8 = 7) -> SigningKey {
    SigningKey(kid: kid, secret: (0..<32).map { seed &+ UInt8($0) &* 13 })
}

/// Builds JWTs by hand, independent of the code under test: base64url by
/// Foundation, HMAC by swift-crypto.
enum Forge {
    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func json(_ object: [String: Any]) -> Data {
        try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    enum Signature {
        case hs256([UInt8])
        case hs384([UInt8])
        case none
        case raw(String)
    }

    static func token(header: [String: Any], claims: [String: Any], signature: Signature) -> String {
        token(rawInput: base64url(json(header)) + "." + base64url(json(claims)), signature: signature)
    }

    /// A token of the signing input `header.claims` as given, signed as told.
    static func token(rawInput input: String, signature: Signature) -> String {
        let signed: String
        switch signature {
        case .hs256(let key):
            signed = base64url(Data(HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: key))))
        case .hs384(let key):
            signed = base64url(Data(HMAC<SHA384>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: key))))
        case .none:
            signed = ""
        case .raw(let text):
            signed = text
        }
        return input + "." + signed
    }

    /// Claims as this server issues them, at `now` (seconds), with overrides
    /// (a value of NSNull removes the claim).
    static func claims(now: Int64, lifetime: Int64 = 900, overrides: [String: Any] = [:]) -> [String: Any] {
        var claims: [String: Any] = [
            "sub": "65e1a0b2c3d4e5f6a7b80001", "user_id": "65e1a0b2c3d4e5f6a7b80001", "email": "ana@example.com",
            "iat": now, "exp": now + lifetime, "jti": "test-jti", "iss": "deltastored", "aud": "deltastream",
            "typ": "access", "sid": "family-1",
        ]
        for (key, value) in overrides {
            if value is NSNull { claims[key] = nil } else { claims[key] = value }
        }
        return claims
    }

    static func header(kid: String? = "k1", alg: String? = "HS256", typ: String? = "JWT") -> [String: Any] {
        var header: [String: Any] = [:]
        if let alg { header["alg"] = alg }
        if let typ { header["typ"] = typ }
        if let kid { header["kid"] = kid }
        return header
    }
}

/// The parts of a session service under test, on an in-memory store.
struct Harness {
    let clock: ManualClock
    let store: InMemoryAuthStore
    let keyRing: KeyRing
    let hasher: PasswordHasher
    let tokens: TokenService
    let throttle: LoginThrottle
    let service: SessionService

    static func make(
        cost: Int = 4, policy: ThrottlePolicy = ThrottlePolicy(), settings: SessionSettings = SessionSettings(),
        keys: [SigningKey] = [testKey("k1")], threadPool: NIOThreadPool = .singleton, timing: LoginTiming = LoginTiming(),
        store: InMemoryAuthStore = InMemoryAuthStore()
    ) async throws -> Harness {
        let clock = ManualClock()
        let keyRing = KeyRing(keys: keys, logger: quietLogger)
        let hasher = try PasswordHasher.make(cost: cost, threadPool: threadPool)
        let tokens = TokenService(keyRing: keyRing, settings: TokenSettings(), clock: clock.clock)
        let throttle = LoginThrottle(policy: policy, clock: clock.clock)
        let revocations = RevocationList(retentionMilliseconds: (900 + 30) * 1000)
        let service = SessionService(
            store: store, hasher: hasher, tokens: tokens, throttle: throttle, revocations: revocations, settings: settings,
            timing: timing, clock: clock.clock
        )
        return Harness(clock: clock, store: store, keyRing: keyRing, hasher: hasher, tokens: tokens, throttle: throttle, service: service)
    }

    func register(_ email: String = "ana@example.com", password: String = "correct horse battery", peer: UInt32? = 1000, logger: Logger = quietLogger) async throws -> LoginResult {
        try await service.register(email: try EmailAddress(normalizing: email), password: password, name: "Ana", peer: peer, logger: logger)
    }

    func login(_ email: String = "ana@example.com", password: String = "correct horse battery", peer: UInt32? = 1000, logger: Logger = quietLogger) async throws -> LoginResult {
        try await service.login(email: try EmailAddress(normalizing: email), password: password, origin: .peer(uid: peer), logger: logger)
    }

    func login(_ email: String = "ana@example.com", password: String = "correct horse battery", client: String, logger: Logger = quietLogger) async throws -> LoginResult {
        try await service.login(email: try EmailAddress(normalizing: email), password: password, origin: .client(client), logger: logger)
    }
}

/// The `AuthError` thrown by `body`, or nil.
func authError(_ body: () async throws -> Void) async -> AuthError? {
    do {
        try await body()
        return nil
    } catch let error as AuthError {
        return error
    } catch {
        return nil
    }
}

extension AuthError {
    var code: String {
        switch self {
        case .invalidCredentials: return "UNAUTHENTICATED"
        case .emailTaken: return "CONFLICT"
        case .tokenInvalid: return "TOKEN_INVALID"
        case .tokenExpired: return "TOKEN_EXPIRED"
        case .tokenRevoked: return "TOKEN_REVOKED"
        case .rateLimited: return "RATE_LIMITED"
        case .busy: return "RESOURCE_EXHAUSTED"
        case .unavailable: return "UNAVAILABLE"
        }
    }
}
