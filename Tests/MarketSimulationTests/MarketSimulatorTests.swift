import BSONCore
import Domain
import MarketSimulation
import XCTest

final class MarketSimulatorTests: XCTestCase {
    let configuration = MarketSimulator.Configuration(
        products: Array(MarketSimulator.Product.defaults.prefix(2)), start: 1_738_200_000_000, durationMilliseconds: 300_000,
        tickIntervalMilliseconds: 1000, snapshotIntervalMilliseconds: 60_000, strikesPerSide: 3, expiryCount: 2, seed: 7
    )

    func testEveryGeneratedDocumentPassesTheStoreRules() throws {
        let simulator = MarketSimulator(configuration: configuration)
        var counts = (ticks: 0, quotes: 0, chains: 0)
        try simulator.run { step in
            for tick in step.ticks { _ = try Tick(document: tick) }
            for quote in step.quotes { _ = try Quote(document: quote) }
            for chain in step.chains { _ = try Chain(document: chain) }
            counts.ticks += step.ticks.count
            counts.quotes += step.quotes.count
            counts.chains += step.chains.count
        }
        let totals = simulator.totals
        XCTAssertEqual(counts.ticks, totals.ticks)
        XCTAssertEqual(counts.quotes, totals.quotes)
        XCTAssertEqual(counts.chains, totals.chains)
        XCTAssertEqual(counts.ticks, 301 * 2)
        XCTAssertEqual(counts.chains, 6 * 2 * 2)
    }

    /// Prices are whole ticks and print as such: no `141.60000000000002`.
    func testPremiumsAreOnTheTickAndPrintShort() {
        var checked = 0
        MarketSimulator(configuration: configuration).run { step in
            let chainPrices = step.chains.compactMap { $0["atm_straddle_price"]?.doubleValue }
            let quotePrices = step.quotes.flatMap { quote in ["bid", "ask", "last"].compactMap { quote[$0]?.doubleValue } }
            for price in chainPrices + quotePrices {
                XCTAssertEqual((price * 20).rounded(), price * 20, "\(price) is not a multiple of 0.05")
                let decimals = price.description.split(separator: ".").last?.count ?? 0
                XCTAssertLessThanOrEqual(decimals, 2, "\(price) prints with \(decimals) decimals")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 100)
    }

    func testSameSeedSameMarketOtherSeedOtherMarket() {
        func prices(_ seed: UInt64) -> [BSONValue?] {
            var c = configuration
            c.seed = seed
            var out: [BSONValue?] = []
            MarketSimulator(configuration: c).run { step in out += step.ticks.map { $0["price"] } }
            return out
        }
        XCTAssertEqual(prices(7), prices(7))
        XCTAssertNotEqual(prices(7), prices(8))
    }

    func testPricesStayPositiveAndMoveLikeTheirVolatility() {
        var c = configuration
        c.products = [MarketSimulator.Product(name: "X", spot: 100_000, annualVolatility: 0.2, strikeStep: 1_000)]
        c.durationMilliseconds = 3_600_000 * 6
        c.snapshotIntervalMilliseconds = 3_600_000 * 6
        var prices: [Double] = []
        MarketSimulator(configuration: c).run { step in prices += step.ticks.compactMap { $0["price"]?.doubleValue } }
        XCTAssertTrue(prices.allSatisfy { $0 > 0 })
        // Realized volatility of 1-second log returns, annualized, near 20%.
        let returns = zip(prices.dropFirst(), prices).map { log($0 / $1) }
        let mean = returns.reduce(0, +) / Double(returns.count)
        let variance = returns.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(returns.count - 1)
        let annualized = (variance * 365 * 24 * 3600).squareRoot()
        XCTAssertEqual(annualized, 0.2, accuracy: 0.03)
    }

    func testWeeklyExpiriesAreThursdaysAfterTheStartDay() {
        // 2025-01-30 is a Thursday.
        let start: Int64 = 1_738_195_200_000 // 2025-01-30T00:00:00Z
        XCTAssertEqual(MarketSimulator.weeklyExpiries(after: start, count: 2), ["2025-02-06", "2025-02-13"])
        XCTAssertEqual(MarketSimulator.weeklyExpiries(after: start - 86_400_000, count: 1), ["2025-01-30"])
    }

    func testSymbols() {
        XCTAssertEqual(MarketSimulator.symbol(product: "NIFTY", expiry: "2025-01-30", strike: 21_500, call: true), "NIFTY25013021500CE")
        XCTAssertEqual(MarketSimulator.symbol(product: "X", expiry: "2025-01-30", strike: 12.5, call: false), "X25013012_5PE")
        XCTAssertTrue(FieldRules.isName(MarketSimulator.symbol(product: "BANKNIFTY", expiry: "2025-01-30", strike: 46_000, call: false)))
    }
}
