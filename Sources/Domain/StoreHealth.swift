/// What `health` and the watchdog learn of a store.
public enum StoreHealth: Sendable, Equatable {
    /// The store answers.
    case ok
    /// The store does not answer now but may again (e.g. MongoDB unreachable):
    /// the daemon keeps serving what it can.
    case degraded(StoreError)
    /// The store cannot be used by this process any more: its file was
    /// removed or replaced while the daemon ran, or it is corrupt. Writes are
    /// refused with UNAVAILABLE; the daemon must be restarted (and, for a
    /// corrupt file, the file repaired or restored). The text says which file
    /// and what happened.
    case failed(String)
}

extension MarketStore {
    /// A store whose only check is `ping` (MongoDB): ok or degraded.
    public func pingHealth() async -> StoreHealth {
        do {
            try await ping()
            return .ok
        } catch let error as StoreError {
            return .degraded(error)
        } catch {
            return .degraded(.failure(String(describing: error)))
        }
    }

    /// Throws unless `health()` is `ok`: the watchdog's check of the store.
    public func requireHealthy() async throws {
        switch await health() {
        case .ok: return
        case .degraded(let error): throw error
        case .failed(let reason): throw StoreError.unavailable(reason)
        }
    }
}
