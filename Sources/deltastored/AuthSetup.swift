import ArgumentParser
import Auth
import Domain
import Foundation
import Logging
import NIOCore
import NIOPosix
import RequestDispatch
import ServiceLifecycle

/// The auth options of `deltastored`.
struct AuthOptions: ParsableArguments {
    @Option(
        name: .customLong("jwt-keys"),
        help: ArgumentHelp(
            "File of JWT signing keys: one `KID BASE64URL-SECRET` per line, the last one signs, all verify; not readable by others.",
            discussion: "Default: $CREDENTIALS_DIRECTORY/jwt-keys when it exists (systemd LoadCredential=), else jwt-keys in the state directory, created with a new key when missing. Reloaded on SIGHUP.",
            valueName: "path"
        )
    )
    var jwtKeys: String?

    @Option(name: .customLong("bcrypt-cost"), help: "bcrypt cost of new password hashes (4 to 17). Stored hashes of another cost are re-hashed at their next login.")
    var bcryptCost: Int = PasswordHasher.defaultCost

    @Option(name: .customLong("access-token-ttl"), help: "Lifetime of access tokens: seconds, or a number with s, m, h or d (1m to 1d).")
    var accessTokenTTL: AuthDuration = AuthDuration(seconds: TokenSettings.defaultAccessTokenLifetime)

    @Option(name: .customLong("refresh-token-ttl"), help: "Lifetime of refresh tokens: seconds, or a number with s, m, h or d (1h to 365d, longer than the access-token lifetime).")
    var refreshTokenTTL: AuthDuration = AuthDuration(seconds: SessionSettings.defaultRefreshTokenLifetime / 1000)

    func validate() throws {
        guard PasswordHasher.costRange.contains(bcryptCost) else {
            throw ValidationError("--bcrypt-cost must be between \(PasswordHasher.costRange.lowerBound) and \(PasswordHasher.costRange.upperBound)")
        }
        guard (60...86_400).contains(accessTokenTTL.seconds) else { throw ValidationError("--access-token-ttl must be between 1m and 1d") }
        guard (3600...365 * 86_400).contains(refreshTokenTTL.seconds) else { throw ValidationError("--refresh-token-ttl must be between 1h and 365d") }
        guard refreshTokenTTL.seconds > accessTokenTTL.seconds else {
            throw ValidationError("--refresh-token-ttl must be longer than --access-token-ttl")
        }
    }
}

/// A duration option: `900`, `900s`, `15m`, `12h`, `30d`.
struct AuthDuration: ExpressibleByArgument, Sendable, CustomStringConvertible {
    var seconds: Int64

    init(seconds: Int64) {
        self.seconds = seconds
    }

    init?(argument: String) {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var text = Substring(argument)
        var unit: Int64 = 1
        if let last = text.last, let factor = units[last] {
            unit = factor
            text = text.dropLast()
        }
        guard !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber), let value = Int64(text), value <= 100 * 365 * 86_400 else { return nil }
        seconds = value * unit
    }

    var description: String {
        if seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    var defaultValueDescription: String { description }
}

/// Builds auth for the daemon: the key ring, the password hasher and its
/// thread pool, the token and session services, the `auth.*` operations, the
/// key-ring reload step (run on SIGHUP by `ReloadService`, between its
/// RELOADING=1 and READY=1) and the housekeeping service.
///
/// Auth is offered only when the store keeps users and sessions (conforms to
/// `AuthStore`: both the SQLite and the MongoDB store do). Otherwise the daemon serves without
/// the `auth.*` operations and says so in its log.
enum AuthSetup {
    /// What `DaemonCommand` wires in.
    struct Running {
        /// The `auth.*` operations (empty when the store has no auth).
        var operations: [RequestDispatch.Operation]
        /// Housekeeping, for the service group.
        var services: [ServiceGroupConfiguration.ServiceConfiguration]
        /// What SIGHUP reloads for auth: the key ring (`ReloadService` runs
        /// these steps; each returns a summary for the log).
        var reloadSteps: [Reloader.Step]
        private var hashingPool: NIOThreadPool?

        init(
            operations: [RequestDispatch.Operation], services: [ServiceGroupConfiguration.ServiceConfiguration],
            reloadSteps: [Reloader.Step], hashingPool: NIOThreadPool?
        ) {
            self.operations = operations
            self.services = services
            self.reloadSteps = reloadSteps
            self.hashingPool = hashingPool
        }

        /// Stops the hashing threads (after the service group has stopped).
        func shutdown() async {
            try? await hashingPool?.shutdownGracefully()
        }
    }

    /// Threads for bcrypt: one per core, apart from the store's pool, at nice
    /// `ThreadNiceness.hashing`, so logins use every core nothing else needs
    /// yet never delay the event loops (`bench/run` measures ping's p99 during
    /// a login flood against its idle p99).
    static var hashingThreads: Int { max(1, System.coreCount) }

    /// How often `AuthMaintenanceService` runs.
    static let maintenanceInterval: Duration = .seconds(60)
    /// How often `RevocationWatchService` reads the store's revocation
    /// sequence: what bounds how late a logout on another daemon is seen here
    /// (PROTOCOL.md §14.3.4 promises 1 s).
    static let revocationPollInterval: Duration = .milliseconds(250)

    static func start(
        options: AuthOptions, store: any MarketStore, stateDirectory: String, access: AccessControl, logger: Logger
    ) async throws -> Running {
        guard let authStore = store as? any AuthStore else {
            logger.warning("the \(store.kind) store keeps no users or sessions yet: the auth.* operations are not offered")
            return Running(operations: [], services: [], reloadSteps: [], hashingPool: nil)
        }

        if let migrating = store as? any StoredEmailNormalizing, let plan = try await migrating.normalizeStoredEmails() {
            if !plan.rewrites.isEmpty {
                logger.notice("rewrote \(plan.rewrites.count) stored email\(plan.rewrites.count == 1 ? "" : "s") to the NFC case-folded normal form", metadata: ["count": "\(plan.rewrites.count)"])
            }
            for warning in plan.warnings { logger.warning("\(warning)") }
        }

        let source = KeySource.resolve(explicitPath: options.jwtKeys, environment: ProcessInfo.processInfo.environment, stateDirectory: stateDirectory)
        let keyRing = try await KeyRing.open(source, logger: logger)

        let pool = NIOThreadPool(numberOfThreads: hashingThreads)
        pool.start()
        do {
            let hasher = try PasswordHasher.make(cost: options.bcryptCost, threadPool: pool, niceness: ThreadNiceness.hashing)
            if let refused = try await hasher.lowerPriority() {
                logger.warning(
                    "could not lower the priority of the password-hashing threads to nice \(ThreadNiceness.hashing) (\(refused)); logins may delay other requests",
                    metadata: ["nice": "\(ThreadNiceness.hashing)", "error": "\(refused)"]
                )
            }
            let tokenSettings = TokenSettings(accessTokenLifetime: options.accessTokenTTL.seconds)
            let tokens = TokenService(keyRing: keyRing, settings: tokenSettings)
            let revocations = RevocationList(retentionMilliseconds: (tokenSettings.accessTokenLifetime + tokenSettings.leeway) * 1000 + 60_000)
            let watcher = RevocationWatcher(sessions: authStore.sessions, revocations: revocations)
            try await watcher.poll(now: AuthClock.system.nowMilliseconds)
            let census = HashCostCensus(configuredCost: hasher.cost)
            try await census.refresh(from: authStore.users, now: AuthClock.system.nowMilliseconds)
            let service = SessionService(
                store: authStore, hasher: hasher, tokens: tokens, throttle: LoginThrottle(), revocations: revocations,
                settings: SessionSettings(refreshTokenLifetime: options.refreshTokenTTL.seconds * 1000), census: census
            )
            let reloadKeys = Reloader.Step(name: "jwt keys") {
                let snapshot = try await keyRing.reload()
                return "\(snapshot.keys.count) key\(snapshot.keys.count == 1 ? "" : "s"), signing with \(snapshot.signingKey.kid)"
            }
            logger.info(
                "auth ready: tokens signed with \(keyRing.snapshot.signingKey.kid), valid \(options.accessTokenTTL) (refresh \(options.refreshTokenTTL)); bcrypt cost \(hasher.cost) on \(hashingThreads) thread\(hashingThreads == 1 ? "" : "s") at nice \(ThreadNiceness.hashing); \(revocations.count) revoked session\(revocations.count == 1 ? "" : "s") loaded",
                metadata: [
                    "keys": "\(keyRing.source.map(String.init(describing:)) ?? "-")", "signing_kid": "\(keyRing.snapshot.signingKey.kid)",
                    "bcrypt_cost": "\(hasher.cost)", "hashing_threads": "\(hashingThreads)", "hashing_nice": "\(ThreadNiceness.hashing)",
                    "access_ttl": "\(options.accessTokenTTL)", "refresh_ttl": "\(options.refreshTokenTTL)",
                    "revoked_sessions": "\(revocations.count)",
                    "hash_costs": "\(census.counts.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ","))",
                ]
            )
            return Running(
                operations: AuthOperations.all(service: service, access: access),
                services: [
                    .init(service: AuthMaintenanceService(service: service, interval: maintenanceInterval, logger: logger), successTerminationBehavior: .ignore),
                    .init(service: RevocationWatchService(watcher: watcher, interval: revocationPollInterval, logger: logger), successTerminationBehavior: .ignore),
                ],
                reloadSteps: [reloadKeys], hashingPool: pool
            )
        } catch {
            try? await pool.shutdownGracefully()
            throw error
        }
    }
}
