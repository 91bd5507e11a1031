import Foundation

/// European option prices and greeks (Black–Scholes, no dividends), for
/// realistic synthetic quotes.
public struct BlackScholes: Sendable {
    public struct Greeks: Sendable, Equatable {
        public var price: Double
        public var delta: Double
        public var gamma: Double
        /// Per 1 point of volatility (1%).
        public var vega: Double
        /// Per calendar day.
        public var theta: Double
    }

    public var spot: Double
    public var strike: Double
    /// Years to expiry.
    public var years: Double
    public var rate: Double
    public var volatility: Double

    public init(spot: Double, strike: Double, years: Double, rate: Double, volatility: Double) {
        self.spot = spot
        self.strike = strike
        self.years = years
        self.rate = rate
        self.volatility = volatility
    }

    public func greeks(call: Bool) -> Greeks {
        let t = max(years, 1.0 / (365 * 24 * 60))
        let sqrtT = t.squareRoot()
        let d1 = (log(spot / strike) + (rate + volatility * volatility / 2) * t) / (volatility * sqrtT)
        let d2 = d1 - volatility * sqrtT
        let discount = exp(-rate * t)
        let pdf = Self.normalPDF(d1)
        let gamma = pdf / (spot * volatility * sqrtT)
        let vega = spot * pdf * sqrtT / 100
        if call {
            let price = spot * Self.normalCDF(d1) - strike * discount * Self.normalCDF(d2)
            let theta = (-spot * pdf * volatility / (2 * sqrtT) - rate * strike * discount * Self.normalCDF(d2)) / 365
            return Greeks(price: max(price, 0), delta: Self.normalCDF(d1), gamma: gamma, vega: vega, theta: theta)
        }
        let price = strike * discount * Self.normalCDF(-d2) - spot * Self.normalCDF(-d1)
        let theta = (-spot * pdf * volatility / (2 * sqrtT) + rate * strike * discount * Self.normalCDF(-d2)) / 365
        return Greeks(price: max(price, 0), delta: Self.normalCDF(d1) - 1, gamma: gamma, vega: vega, theta: theta)
    }

    public static func normalCDF(_ x: Double) -> Double {
        0.5 * erfc(-x / 2.0.squareRoot())
    }

    public static func normalPDF(_ x: Double) -> Double {
        exp(-x * x / 2) / (2 * Double.pi).squareRoot()
    }
}
