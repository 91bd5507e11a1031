import Domain
import NIOConcurrencyHelpers

/// Brings revocations made by other daemons on the same store into this
/// daemon's `RevocationList` within a fraction of a second, without a store
/// read per `auth.verify`.
///
/// Every `pollInterval` (the daemon: 250 ms) `poll` reads the store's
/// revocation sequence (`SessionRepository.revocationSequence`: one small
/// row or document). Only when it changed does it read the revoked families,
/// those revoked since its previous reload less `overlap`, and merge them. The
/// sequence is read first and a revocation advances it only after writing
/// its sessions, so whatever a change announced is there to read. A logout on
/// another daemon is therefore seen here within one poll interval plus two
/// small reads. The `overlap` absorbs clock differences between daemons
/// (revocation times are the revoking daemon's clock): it assumes their
/// clocks agree within it (NTP). `SessionService.maintain` still reloads the
/// whole retention window every minute.
public final class RevocationWatcher: Sendable {
    public let sessions: any SessionRepository
    public let revocations: RevocationList
    public let overlapMilliseconds: Int64

    struct State {
        var sequence: Int64?
        var loadedAt: Int64?
    }

    private let state = NIOLockedValueBox(State())

    public init(sessions: any SessionRepository, revocations: RevocationList, overlapMilliseconds: Int64 = 60_000) {
        self.sessions = sessions
        self.revocations = revocations
        self.overlapMilliseconds = overlapMilliseconds
    }

    /// One poll; true when the sequence had changed and revocations were merged.
    /// The first poll always loads (it has no sequence to compare with).
    @discardableResult
    public func poll(now: Int64) async throws -> Bool {
        let sequence = try await sessions.revocationSequence()
        let previous = state.withLockedValue { $0 }
        guard previous.sequence != sequence else { return false }
        let window = now.saturatingSubtract(revocations.retentionMilliseconds)
        let since = max(window, (previous.loadedAt ?? window).saturatingSubtract(overlapMilliseconds))
        revocations.merge(try await sessions.revokedFamilies(since: since))
        state.withLockedValue { $0 = State(sequence: sequence, loadedAt: now) }
        return true
    }
}
