import Domain
import NIOConcurrencyHelpers

/// The session families whose access tokens must fail `auth.verify` with
/// TOKEN_REVOKED, kept in memory so that verification stays a signature
/// check plus a dictionary lookup.
///
/// A revoked family only needs remembering while access tokens issued before
/// its revocation can still be unexpired: `retention` is the access-token
/// lifetime plus the clock leeway (`TokenService` refuses tokens with a longer
/// lifetime, so nothing older can verify anyway). The daemon fills the list
/// from the store at start (`load`), adds to it on every logout and reuse
/// detection before answering, merges what other processes revoked
/// (`load` again, periodically), and prunes it.
public final class RevocationList: Sendable {
    public let retentionMilliseconds: Int64
    private let families = NIOLockedValueBox<[String: Int64]>([:])

    public init(retentionMilliseconds: Int64) {
        self.retentionMilliseconds = retentionMilliseconds
    }

    public func isRevoked(_ familyID: String) -> Bool {
        families.withLockedValue { $0[familyID] != nil }
    }

    public func add(_ familyID: String, at time: Int64) {
        families.withLockedValue { table in
            table[familyID] = max(table[familyID] ?? time, time)
        }
    }

    public func merge(_ revoked: [RevokedFamily]) {
        families.withLockedValue { table in
            for family in revoked {
                table[family.familyID] = max(table[family.familyID] ?? family.revokedAt, family.revokedAt)
            }
        }
    }

    /// Forgets families revoked more than `retention` before `now`.
    public func prune(now: Int64) {
        let horizon = now.saturatingSubtract(retentionMilliseconds)
        families.withLockedValue { table in
            table = table.filter { $0.value >= horizon }
        }
    }

    /// Merges the families the store knows were revoked within the retention.
    public func load(from sessions: any SessionRepository, now: Int64) async throws {
        merge(try await sessions.revokedFamilies(since: now.saturatingSubtract(retentionMilliseconds)))
        prune(now: now)
    }

    public var count: Int { families.withLockedValue { $0.count } }
}
