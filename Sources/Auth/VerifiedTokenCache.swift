#if canImport(Glibc)
import Glibc
#endif
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
/// - Only tokens that passed the full check are stored, and a hit compares
///   the whole token: a changed byte is a miss and takes the full path.
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

    /// A stored token: its bytes (compared whole on every hit) and its entry.
    private struct Slot {
        let token: [UInt8]
        let entry: Entry
    }

    let capacity: Int
    /// Slots by `key(of:)` of their token. Two tokens of one key share the
    /// slot (the later replaces the earlier): a cache may forget.
    private let slots = NIOLockedValueBox<[UInt64: Slot]>([:])

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// The key of a token: its last 16 bytes and its length, hashed with the
    /// process's seeded `Hasher`. Those bytes are the end of the HMAC
    /// signature, random for every token this server signs, and only tokens
    /// that passed the full check are ever stored, so nothing is lost by not
    /// hashing the 300 bytes before them.
    private static func key(of token: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: token.suffix(16)))
        hasher.combine(token.count)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    /// The entry of `token` checked under `generation`, if any. An entry of
    /// another generation or already expired at `now` is dropped.
    func lookup(_ token: String, generation: UInt64, now: Int64) -> Entry? {
        Self.withBytes(of: token) { lookup(bytes: $0, generation: generation, now: now) }
    }

    /// `lookup` of a token given as its UTF-8 bytes where they are (the
    /// request's argument in the server's input): allocates nothing.
    func lookup(bytes token: UnsafeRawBufferPointer, generation: UInt64, now: Int64) -> Entry? {
        guard capacity > 0 else { return nil }
        let key = Self.key(of: token)
        return slots.withLockedValue { table in
            guard let slot = table[key], Self.equal(slot.token, token) else { return nil }
            guard slot.entry.generation == generation, now < slot.entry.expiresAt else {
                table[key] = nil
                return nil
            }
            return slot.entry
        }
    }

    func insert(_ token: String, _ entry: Entry) {
        guard capacity > 0 else { return }
        let bytes = Array(token.utf8)
        let key = bytes.withUnsafeBytes { Self.key(of: $0) }
        slots.withLockedValue { table in
            if table[key] == nil, table.count >= capacity {
                table.remove(at: table.startIndex)
            }
            table[key] = Slot(token: bytes, entry: entry)
        }
    }

    var count: Int { slots.withLockedValue { $0.count } }

    private static func equal(_ stored: [UInt8], _ token: UnsafeRawBufferPointer) -> Bool {
        guard stored.count == token.count else { return false }
        guard let other = token.baseAddress else { return stored.isEmpty }
        return stored.withUnsafeBytes { mine in mine.baseAddress.map { memcmp($0, other, token.count) == 0 } ?? false }
    }

    private static func withBytes<R>(of text: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return result }
        return Array(text.utf8).withUnsafeBytes(body)
    }
}
