@testable import Auth
import Testing

/// The verified-token cache on its own: generations, expiry, capacity.
@Suite("Verified-token cache")
struct VerifiedTokenCacheTests {
    func entry(_ user: String, expiresAt: Int64 = 2000, generation: UInt64 = 0) -> VerifiedTokenCache.Entry {
        .init(
            verified: VerifiedAccessToken(
                userID: user, email: "e@x", sessionID: "s", tokenID: "t", kid: "k1", expiresAtMilliseconds: expiresAt * 1000
            ),
            issuedAt: 1000, notBefore: nil, expiresAt: expiresAt, generation: generation
        )
    }

    @Test func anEntryIsFoundOnlyUnderItsGenerationAndBeforeItExpires() {
        let cache = VerifiedTokenCache(capacity: 8)
        cache.insert("a", entry("ua"))
        cache.insert("b", entry("ub", expiresAt: 1500))
        #expect(cache.lookup("a", generation: 0, now: 1200)?.verified.userID == "ua")
        #expect(cache.lookup("c", generation: 0, now: 1200) == nil)
        // After a key-ring reload the entry is a miss and is dropped.
        #expect(cache.lookup("a", generation: 1, now: 1200) == nil)
        #expect(cache.lookup("a", generation: 0, now: 1200) == nil)
        // Expired at exactly exp.
        #expect(cache.lookup("b", generation: 0, now: 1500) == nil)
        #expect(cache.count == 0)
    }

    @Test func itNeverHoldsMoreThanItsCapacity() {
        let cache = VerifiedTokenCache(capacity: 3)
        for index in 0..<10 { cache.insert("t\(index)", entry("u\(index)")) }
        #expect(cache.count == 3)
        // Replacing an existing key evicts nothing.
        let kept = (0..<10).map { "t\($0)" }.filter { cache.lookup($0, generation: 0, now: 1200) != nil }
        #expect(kept.count == 3)
        cache.insert(kept[0], entry("again"))
        #expect(cache.count == 3)
        #expect(cache.lookup(kept[0], generation: 0, now: 1200)?.verified.userID == "again")
    }

    @Test func capacityZeroStoresNothing() {
        let cache = VerifiedTokenCache(capacity: 0)
        cache.insert("a", entry("ua"))
        #expect(cache.lookup("a", generation: 0, now: 1200) == nil)
        #expect(cache.count == 0)
    }
}

/// A hit compares the whole token, whatever the hash looks at.
@Suite("Verified-token cache key")
struct VerifiedTokenCacheKeyTests {
    @Test func tokensSharingTheirLastBytesAreStillDifferentKeys() {
        let tail = String(repeating: "s", count: 16)
        let cache = VerifiedTokenCache(capacity: 8)
        let first = VerifiedTokenCacheTests().entry("first")
        cache.insert("header.claimsA." + tail, first)
        #expect(cache.lookup("header.claimsB." + tail, generation: 0, now: 1200) == nil)
        #expect(cache.lookup("header.claimsA." + tail, generation: 0, now: 1200)?.verified.userID == "first")
        // The same by the bytes the server reads in place.
        Array(("header.claimsB." + tail).utf8).withUnsafeBytes { bytes in
            #expect(cache.lookup(bytes: bytes, generation: 0, now: 1200) == nil)
        }
        Array(("header.claimsA." + tail).utf8).withUnsafeBytes { bytes in
            #expect(cache.lookup(bytes: bytes, generation: 0, now: 1200)?.verified.userID == "first")
        }
    }
}
