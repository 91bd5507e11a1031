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
