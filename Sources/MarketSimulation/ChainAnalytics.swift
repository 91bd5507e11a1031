/// The analytics DeltaStream computes for an option chain snapshot: put/call
/// ratios, the at-the-money strike and straddle, and max pain.
public struct ChainAnalytics: Sendable, Equatable {
    /// One strike of a chain: open interest, volume and last price per side.
    public struct Strike: Sendable, Equatable {
        public var strike: Double
        public var callOpenInterest: Int
        public var putOpenInterest: Int
        public var callVolume: Int
        public var putVolume: Int
        public var callLast: Double
        public var putLast: Double

        public init(strike: Double, callOpenInterest: Int, putOpenInterest: Int, callVolume: Int, putVolume: Int, callLast: Double, putLast: Double) {
            self.strike = strike
            self.callOpenInterest = callOpenInterest
            self.putOpenInterest = putOpenInterest
            self.callVolume = callVolume
            self.putVolume = putVolume
            self.callLast = callLast
            self.putLast = putLast
        }
    }

    public var pcrOpenInterest: Double
    public var pcrVolume: Double
    public var atmStrike: Double
    public var atmStraddlePrice: Double
    public var maxPainStrike: Double
    public var totalCallOpenInterest: Int
    public var totalPutOpenInterest: Int
    /// Open interest of out-of-the-money calls (strikes above spot).
    public var callBuildupOTM: Int
    /// Open interest of out-of-the-money puts (strikes below spot).
    public var putBuildupOTM: Int

    /// Computes the analytics of `strikes` (any order, at least one) at `spot`.
    public init?(strikes: [Strike], spot: Double) {
        // Nearest strike to spot; on a tie the lower strike.
        let nearest = strikes.min { a, b in
            let da = abs(a.strike - spot), db = abs(b.strike - spot)
            return da < db || (da == db && a.strike < b.strike)
        }
        guard let atm = nearest else { return nil }
        let totalCall = strikes.reduce(0) { $0 + $1.callOpenInterest }
        let totalPut = strikes.reduce(0) { $0 + $1.putOpenInterest }
        let callVolume = strikes.reduce(0) { $0 + $1.callVolume }
        let putVolume = strikes.reduce(0) { $0 + $1.putVolume }
        totalCallOpenInterest = totalCall
        totalPutOpenInterest = totalPut
        pcrOpenInterest = totalCall == 0 ? 0 : Double(totalPut) / Double(totalCall)
        pcrVolume = callVolume == 0 ? 0 : Double(putVolume) / Double(callVolume)
        atmStrike = atm.strike
        atmStraddlePrice = atm.callLast + atm.putLast
        // Max pain: the expiry price (among the strikes) at which option holders
        // would be paid the least in total; on a tie the lower strike.
        var best = (strike: strikes[0].strike, payout: Double.infinity)
        for candidate in strikes.map(\.strike).sorted() {
            var payout = 0.0
            for s in strikes {
                payout += Double(s.callOpenInterest) * max(0, candidate - s.strike)
                payout += Double(s.putOpenInterest) * max(0, s.strike - candidate)
            }
            if payout < best.payout { best = (candidate, payout) }
        }
        maxPainStrike = best.strike
        callBuildupOTM = strikes.filter { $0.strike > spot }.reduce(0) { $0 + $1.callOpenInterest }
        putBuildupOTM = strikes.filter { $0.strike < spot }.reduce(0) { $0 + $1.putOpenInterest }
    }
}
