import BSONCore
import Domain
import Testing

/// Products, expiries, and the latest tick and chain.
@Suite("Contract: catalog and latest")
struct CatalogAndLatestTests {
    @Test(arguments: StoreUnderTest.allCases)
    func productsAndExpiriesAreSortedAndDistinct(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            #expect(try await store.catalog.products() == [])
            #expect(try await store.catalog.expiries(product: "NIFTY") == [])

            _ = try await store.ticks.insert(try [
                Make.tick("NIFTY", at: marketOpen), Make.tick("BANKNIFTY", at: marketOpen), Make.tick("NIFTY", at: marketOpen + 1),
            ])
            _ = try await store.ticks.insert(try [Make.tick("NIFTY", at: marketOpen + 2)])
            _ = try await store.quotes.insert(try [
                Make.quote("FINNIFTY", strike: 20000, expiry: "2024-04-30", .call, at: marketOpen),
                Make.quote("FINNIFTY", strike: 20000, expiry: "2024-03-26", .put, at: marketOpen),
                Make.quote("FINNIFTY", strike: 20100, expiry: "2024-04-30", .put, at: marketOpen),
                Make.quote("NIFTY", strike: 22000, expiry: "2024-04-25", .call, at: marketOpen),
            ])
            _ = try await store.chains.insert(try [
                Make.chain("NIFTY", expiry: "2024-03-28", at: marketOpen),
                Make.chain("NIFTY", expiry: "2024-04-25", at: marketOpen),
                Make.chain("MIDCPNIFTY", expiry: "2025-01-30", at: marketOpen),
            ])

            #expect(try await store.catalog.products() == ["BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTY"])
            #expect(try await store.catalog.expiries(product: "NIFTY") == ["2024-03-28", "2024-04-25"])
            #expect(try await store.catalog.expiries(product: "FINNIFTY") == ["2024-03-26", "2024-04-30"])
            #expect(try await store.catalog.expiries(product: "MIDCPNIFTY") == ["2025-01-30"])
            #expect(try await store.catalog.expiries(product: "BANKNIFTY") == [], "ticks have no expiry")
            #expect(try await store.catalog.expiries(product: "SENSEX") == [])
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func catalogOrderIsByteOrderOfRandomNames(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            var generator = SeededGenerator(seed: 3)
            let alphabet = Array("ABCXYZabcxyz019._-")
            let names = (0..<40).map { _ in String((0..<Int.random(in: 1...6, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }) }
            _ = try await store.ticks.insert(try names.map { try Make.tick($0, at: marketOpen) })
            let expected = Array(Set(names)).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            #expect(try await store.catalog.products() == expected)

            let days = (0..<30).map { _ in String(format2: 2024, Int.random(in: 1...12, using: &generator), Int.random(in: 1...28, using: &generator)) }
            _ = try await store.quotes.insert(try days.enumerated().map { try Make.quote("NIFTY", strike: 100 + Double($0.offset), expiry: $0.element, .call, at: marketOpen) })
            #expect(try await store.catalog.expiries(product: "NIFTY") == Array(Set(days)).sorted())
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func latestTickIsTheNewest(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            #expect(try await store.ticks.latest(product: "NIFTY") == nil)
            let ticks = try [
                Make.tick("NIFTY", at: marketOpen + 5, price: 1),
                Make.tick("NIFTY", at: marketOpen + 9, price: 2),
                Make.tick("NIFTY", at: marketOpen + 1, price: 3),
                Make.tick("BANKNIFTY", at: marketOpen + 50, price: 4),
            ]
            _ = try await store.ticks.insert(ticks)
            #expect(try await store.ticks.latest(product: "NIFTY") == ticks[1])
            #expect(try await store.ticks.latest(product: "BANKNIFTY") == ticks[3])
            #expect(try await store.ticks.latest(product: "SENSEX") == nil)
            // An older tick arriving late does not change the latest; an equal timestamp inserted later wins.
            _ = try await store.ticks.insert([try Make.tick("NIFTY", at: marketOpen, price: 5)])
            #expect(try await store.ticks.latest(product: "NIFTY") == ticks[1])
            let tie = try Make.tick("NIFTY", at: marketOpen + 9, price: 6)
            _ = try await store.ticks.insert([tie])
            #expect(try await store.ticks.latest(product: "NIFTY") == tie)
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func latestChainIsTheNewestOfItsExpiry(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            #expect(try await store.chains.latest(product: "NIFTY", expiry: "2024-03-28") == nil)
            let chains = try [
                Make.chain("NIFTY", expiry: "2024-03-28", at: marketOpen + 120_000),
                Make.chain("NIFTY", expiry: "2024-03-28", at: marketOpen + 180_000),
                Make.chain("NIFTY", expiry: "2024-03-28", at: marketOpen + 60_000),
                Make.chain("NIFTY", expiry: "2024-04-25", at: marketOpen + 240_000),
            ]
            _ = try await store.chains.insert(chains)
            #expect(try await store.chains.latest(product: "NIFTY", expiry: "2024-03-28") == chains[1])
            #expect(try await store.chains.latest(product: "NIFTY", expiry: "2024-04-25") == chains[3])
            #expect(try await store.chains.latest(product: "NIFTY", expiry: "2024-05-30") == nil)
            #expect(try await store.chains.latest(product: "BANKNIFTY", expiry: "2024-03-28") == nil)
        }
    }

    @Test(arguments: StoreUnderTest.allCases)
    func pingAnswersAndKindNamesTheStore(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            try await store.ping()
            #expect(store.kind == kind.rawValue)
        }
    }
}

extension String {
    /// `YYYY-MM-DD`.
    init(format2 year: Int, _ month: Int, _ day: Int) {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        self = "\(year)-\(two(month))-\(two(day))"
    }
}
