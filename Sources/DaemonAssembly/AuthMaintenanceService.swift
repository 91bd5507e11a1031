import Auth
import Logging
import ServiceLifecycle

/// Every `interval`: merges revocations made by other daemons on the same
/// store into the in-memory revocation list, prunes it and the refresh grace
/// cache, and deletes sessions that expired more than a day ago
/// (`SessionService.maintain`).
struct AuthMaintenanceService: Service {
    let service: SessionService
    let interval: Duration
    let logger: Logger

    func run() async {
        while true {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            await service.maintain(logger: logger)
        }
    }
}

/// Every `interval` (250 ms): `RevocationWatcher.poll`, so that a logout on
/// another daemon on the same store reaches this one's `auth.verify` within
/// a second. A failing store is logged once when it starts failing and once
/// when it recovers, not on every poll.
struct RevocationWatchService: Service {
    let watcher: RevocationWatcher
    let interval: Duration
    let logger: Logger

    func run() async {
        var failing = false
        while true {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            do {
                try await watcher.poll(now: AuthClock.system.nowMilliseconds)
                if failing {
                    logger.notice("auth: the store's revocation sequence can be read again; polling it every \(interval)")
                    failing = false
                }
            } catch {
                if !failing {
                    logger.warning("auth: cannot read the store's revocation sequence (\(error)); revocations made by other daemons are learnt once it can", metadata: ["error": "\(error)"])
                }
                failing = true
            }
        }
    }
}
