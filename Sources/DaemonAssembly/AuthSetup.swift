import Auth
import Domain
import Foundation
import Logging
import NIOCore
import NIOPosix
import RequestDispatch
import ServiceLifecycle

/// Builds auth for the daemon: the key ring, the password hasher and its
/// thread pool, the token and session services, the `auth.*` operations, the
/// key-ring reload step (run on SIGHUP by `ReloadService`, between its
/// RELOADING=1 and READY=1) and the housekeeping service.
///
/// Auth is offered only when the store keeps users and sessions (conforms to
/// `AuthStore`: both the SQLite and the MongoDB store do). Otherwise the daemon serves without
/// the `auth.*` operations and says so in its log.
enum AuthSetup {
    /// What `DaemonAssembly` wires in.
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
        options: AuthConfiguration, store: any MarketStore, stateDirectory: String, access: AccessControl, logger: Logger
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

        let source = KeySource.resolve(explicitPath: options.jwtKeysPath, environment: options.credentialsDirectory.map { ["CREDENTIALS_DIRECTORY": $0] } ?? [:], stateDirectory: stateDirectory)
        let keyRing = try KeyRing.open(source, logger: logger)

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
            let tokenSettings = TokenSettings(accessTokenLifetime: options.accessTokenLifetimeSeconds)
            let tokens = TokenService(keyRing: keyRing, settings: tokenSettings)
            let revocations = RevocationList(retentionMilliseconds: (tokenSettings.accessTokenLifetime + tokenSettings.leeway) * 1000 + 60_000)
            let watcher = RevocationWatcher(sessions: authStore.sessions, revocations: revocations)
            try await watcher.poll(now: AuthClock.system.nowMilliseconds)
            let census = HashCostCensus(configuredCost: hasher.cost)
            try await census.refresh(from: authStore.users, now: AuthClock.system.nowMilliseconds)
            let service = SessionService(
                store: authStore, hasher: hasher, tokens: tokens, throttle: LoginThrottle(), revocations: revocations,
                settings: SessionSettings(refreshTokenLifetime: options.refreshTokenLifetimeSeconds * 1000), census: census
            )
            let reloadKeys = Reloader.Step(name: "jwt keys") {
                let snapshot = try keyRing.reload()
                return "\(snapshot.keys.count) key\(snapshot.keys.count == 1 ? "" : "s"), signing with \(snapshot.signingKey.kid)"
            }
            logger.info(
                "auth ready: tokens signed with \(keyRing.snapshot.signingKey.kid), valid \(DurationText.compact(seconds: options.accessTokenLifetimeSeconds)) (refresh \(DurationText.compact(seconds: options.refreshTokenLifetimeSeconds))); bcrypt cost \(hasher.cost) on \(hashingThreads) thread\(hashingThreads == 1 ? "" : "s") at nice \(ThreadNiceness.hashing); \(revocations.count) revoked session\(revocations.count == 1 ? "" : "s") loaded",
                metadata: [
                    "keys": "\(keyRing.source.map(String.init(describing:)) ?? "-")", "signing_kid": "\(keyRing.snapshot.signingKey.kid)",
                    "bcrypt_cost": "\(hasher.cost)", "hashing_threads": "\(hashingThreads)", "hashing_nice": "\(ThreadNiceness.hashing)",
                    "access_ttl": "\(DurationText.compact(seconds: options.accessTokenLifetimeSeconds))", "refresh_ttl": "\(DurationText.compact(seconds: options.refreshTokenLifetimeSeconds))",
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
