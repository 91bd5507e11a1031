import NIOConcurrencyHelpers

/// Access tokens that passed every time-independent check of
/// `TokenService.verify`, so that the next presentation of the same token
/// skips the JSON decoding and the HMAC.
///
/// A gateway presents the same token on every request of a user for its
/// whole lifetime, so almost every `auth.verify` is a repeat; JWT gateways
/// (Envoy's `jwt_authn`, for one) keep such a cache for the same reason.
///
/// What stays safe:
/// - Only tokens that passed the full check are stored, keyed by the whole
///   token text: a changed byte is a different key and takes the full path.
///   Invalid tokens are never stored, so they cannot fill the cache.
/// - Each entry remembers the key-ring generation it was checked under; a
///   reload (a key removed or replaced) makes every older entry a miss.
/// - The time rules (`iat`, `nbf`, `exp`) are checked again on every hit, and
///   revocation is checked by the caller after every verify, hit or not.
/// - At most `capacity` entries; when full, an arbitrary entry makes room
///   (expired ones first go on lookup). `capacity` 0 disables the cache.
final class VerifiedTokenCache: Sendable {
    /// What a hit needs: the result and the times to check again.
    struct Entry: Sendable {
        var verified: VerifiedAccessToken
        var issuedAt: Int64
        var notBefore: Int64?
        var expiresAt: Int64
        var generation: UInt64
    }

    /// A token as a key: equal when the whole text is equal, hashed on its
    /// last 16 bytes only. Those are the end of the HMAC signature, random for
    /// every token this server signs, and only tokens that passed the full
    /// check are ever stored, so nothing is lost by not hashing the 300 bytes
    /// before them (and `Hasher` is seeded per process all the same).
    struct Key: Hashable {
        let text: String

        func hash(into hasher: inout Hasher) {
            let hashed: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
                hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes.suffix(16))))
            }
            if hashed == nil { hasher.combine(text) }
        }

        static func == (lhs: Key, rhs: Key) -> Bool { lhs.text == rhs.text }
    }

    let capacity: Int
    private let entries = NIOLockedValueBox<[Key: Entry]>([:])

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// The entry of `token` checked under `generation`, if any. An entry of
    /// another generation or already expired at `now` is dropped.
    func lookup(_ token: String, generation: UInt64, now: Int64) -> Entry? {
        guard capacity > 0 else { return nil }
        let key = Key(text: token)
        return entries.withLockedValue { table in
            guard let entry = table[key] else { return nil }
            guard entry.generation == generation, now < entry.expiresAt else {
                table[key] = nil
                return nil
            }
            return entry
        }
    }

    func insert(_ token: String, _ entry: Entry) {
        guard capacity > 0 else { return }
        let key = Key(text: token)
        entries.withLockedValue { table in
            if table[key] == nil, table.count >= capacity {
                table.remove(at: table.startIndex)
            }
            table[key] = entry
        }
    }

    var count: Int { entries.withLockedValue { $0.count } }
}
