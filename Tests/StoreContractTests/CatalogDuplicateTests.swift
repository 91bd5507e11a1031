import BSONCore
import Domain
import Testing

/// The catalog names only products and expiries that have records.
@Suite("Contract: catalog and conflicts")
struct CatalogDuplicateTests {
    @Test(arguments: StoreUnderTest.allCases)
    func aConflictNamingAnotherProductDoesNotEnterTheCatalog(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            let symbol = "NIFTY-2025-01-30-22000-CALL"
            let first = try await store.quotes.insert([try Make.quote(symbol: symbol, "NIFTY", strike: 22000, expiry: "2025-01-30", .call, at: marketOpen)])
            #expect(first == InsertOutcome(inserted: 1, duplicates: 0))
            // Same (symbol, timestamp) with another product and expiry: a conflict, not stored.
            let ghost = try await store.quotes.insert([try Make.quote(symbol: symbol, "GHOST", strike: 22000, expiry: "2025-12-31", .call, at: marketOpen)])
            #expect(ghost == InsertOutcome(inserted: 0, duplicates: 0, conflicts: [0]))

            #expect(try await store.catalog.products() == ["NIFTY"])
            #expect(try await store.catalog.expiries(product: "NIFTY") == ["2025-01-30"])
            #expect(try await store.catalog.expiries(product: "GHOST") == [])
        }
    }
}
