import MarketSimulation
import XCTest

final class ChainAnalyticsTests: XCTestCase {
    func testHandComputedExample() throws {
        let strikes = [
            ChainAnalytics.Strike(strike: 90, callOpenInterest: 10, putOpenInterest: 100, callVolume: 1, putVolume: 5, callLast: 11, putLast: 1),
            ChainAnalytics.Strike(strike: 100, callOpenInterest: 50, putOpenInterest: 50, callVolume: 4, putVolume: 4, callLast: 4, putLast: 3),
            ChainAnalytics.Strike(strike: 110, callOpenInterest: 100, putOpenInterest: 10, callVolume: 5, putVolume: 1, callLast: 1, putLast: 10),
        ]
        let analytics = try XCTUnwrap(ChainAnalytics(strikes: strikes, spot: 98))
        XCTAssertEqual(analytics.totalCallOpenInterest, 160)
        XCTAssertEqual(analytics.totalPutOpenInterest, 160)
        XCTAssertEqual(analytics.pcrOpenInterest, 1)
        XCTAssertEqual(analytics.pcrVolume, 1)
        XCTAssertEqual(analytics.atmStrike, 100)
        XCTAssertEqual(analytics.atmStraddlePrice, 7)
        // Payouts at 90: calls 0, puts 50*10 + 10*20 = 700; at 100: calls 10*10 = 100, puts 10*10 = 100 → 200;
        // at 110: calls 10*20 + 50*10 = 700, puts 0 → 700. Max pain is 100.
        XCTAssertEqual(analytics.maxPainStrike, 100)
        XCTAssertEqual(analytics.callBuildupOTM, 150)
        XCTAssertEqual(analytics.putBuildupOTM, 100)
    }

    func testEmptyChainHasNoAnalytics() {
        XCTAssertNil(ChainAnalytics(strikes: [], spot: 100))
    }

    func testBlackScholesPutCallParity() {
        let model = BlackScholes(spot: 100, strike: 105, years: 0.25, rate: 0.05, volatility: 0.2)
        let call = model.greeks(call: true)
        let put = model.greeks(call: false)
        XCTAssertEqual(call.price - put.price, 100 - 105 * exp(-0.05 * 0.25), accuracy: 1e-9)
        XCTAssertEqual(call.delta - put.delta, 1, accuracy: 1e-12)
        XCTAssertEqual(call.gamma, put.gamma, accuracy: 1e-12)
        XCTAssertEqual(call.price, 2.4779, accuracy: 0.001, "textbook value for S=100 K=105 T=0.25 r=5% σ=20%")
    }
}
