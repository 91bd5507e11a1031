import BSONCore
import Foundation

/// Generates a realistic synthetic market: underlying prices along a geometric
/// Brownian motion, option quotes with Black–Scholes prices and greeks for a
/// ladder of strikes around the spot, and chain snapshots with their analytics.
///
/// `deltastorectl seed` sends what it generates through the protocol so a
/// newcomer sees data in seconds; the benchmarks use it for realistic payloads.
/// The same configuration and seed always give the same documents.
public struct MarketSimulator: Sendable {
    /// One underlying product and how it moves.
    public struct Product: Sendable {
        public var name: String
        public var spot: Double
        public var annualVolatility: Double
        public var strikeStep: Double

        public init(name: String, spot: Double, annualVolatility: Double, strikeStep: Double) {
            self.name = name
            self.spot = spot
            self.annualVolatility = annualVolatility
            self.strikeStep = strikeStep
        }

        public static let defaults: [Product] = [
            Product(name: "NIFTY", spot: 21_500, annualVolatility: 0.14, strikeStep: 50),
            Product(name: "BANKNIFTY", spot: 46_000, annualVolatility: 0.18, strikeStep: 100),
            Product(name: "FINNIFTY", spot: 20_500, annualVolatility: 0.16, strikeStep: 50),
        ]
    }

    public struct Configuration: Sendable {
        public var products: [Product]
        /// First tick time, ms since the epoch.
        public var start: Int64
        public var durationMilliseconds: Int64
        public var tickIntervalMilliseconds: Int64
        public var snapshotIntervalMilliseconds: Int64
        /// Strikes on each side of the at-the-money strike.
        public var strikesPerSide: Int
        /// Weekly expiries (Thursdays) after the start date.
        public var expiryCount: Int
        public var seed: UInt64

        public init(products: [Product] = Product.defaults, start: Int64, durationMilliseconds: Int64, tickIntervalMilliseconds: Int64 = 1000, snapshotIntervalMilliseconds: Int64 = 60_000, strikesPerSide: Int = 10, expiryCount: Int = 3, seed: UInt64 = 42) {
            self.products = products
            self.start = start
            self.durationMilliseconds = durationMilliseconds
            self.tickIntervalMilliseconds = tickIntervalMilliseconds
            self.snapshotIntervalMilliseconds = snapshotIntervalMilliseconds
            self.strikesPerSide = strikesPerSide
            self.expiryCount = expiryCount
            self.seed = seed
        }
    }

    /// Everything generated for one instant: the ticks since the previous step,
    /// and (at snapshot times) quotes and chains.
    public struct Step: Sendable {
        public var ticks: [BSONDocument] = []
        public var quotes: [BSONDocument] = []
        public var chains: [BSONDocument] = []
    }

    public let configuration: Configuration
    public let expiries: [String]

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.expiries = Self.weeklyExpiries(after: configuration.start, count: configuration.expiryCount)
    }

    /// The number of ticks, quotes and chains `run` produces.
    public var totals: (ticks: Int, quotes: Int, chains: Int) {
        let c = configuration
        let steps = Int(c.durationMilliseconds / c.tickIntervalMilliseconds) + 1
        let snapshots = Int(c.durationMilliseconds / c.snapshotIntervalMilliseconds) + 1
        let perChain = (2 * c.strikesPerSide + 1) * 2
        return (steps * c.products.count, snapshots * c.products.count * expiries.count * perChain, snapshots * c.products.count * expiries.count)
    }

    /// The steps of the simulated time, in order, generated lazily.
    public func makeSteps() -> Steps {
        Steps(simulator: self)
    }

    /// Walks the simulated time and calls `body` for each step, in time order.
    public func run(_ body: (Step) throws -> Void) rethrows {
        var steps = makeSteps()
        while let step = steps.next() { try body(step) }
    }

    /// A lazy sequence of steps; holds the random state and the spot prices.
    public struct Steps: IteratorProtocol, Sequence, Sendable {
        let simulator: MarketSimulator
        var random: SeededGenerator
        var spots: [Double]
        var time: Int64
        var nextSnapshot: Int64

        init(simulator: MarketSimulator) {
            self.simulator = simulator
            let c = simulator.configuration
            random = SeededGenerator(seed: c.seed)
            spots = c.products.map(\.spot)
            time = c.start
            nextSnapshot = c.start
        }

        public mutating func next() -> Step? {
            let c = simulator.configuration
            guard time <= c.start + c.durationMilliseconds else { return nil }
            let yearsPerTick = Double(c.tickIntervalMilliseconds) / (365.0 * 24 * 3_600_000)
            var step = Step()
            for (index, product) in c.products.enumerated() {
                if time > c.start {
                    let sigma = product.annualVolatility
                    let shock = random.nextGaussian()
                    spots[index] *= exp(-0.5 * sigma * sigma * yearsPerTick + sigma * yearsPerTick.squareRoot() * shock)
                }
                let price = (spots[index] * 100).rounded() / 100
                step.ticks.append([
                    "product": .string(product.name),
                    "price": .double(price),
                    "timestamp": .datetime(time),
                    "tick_id": .string("\(product.name)-\(time)"),
                    "processed_at": .datetime(time + 5),
                ])
                if time >= nextSnapshot {
                    for expiry in simulator.expiries {
                        let (quotes, chain) = simulator.snapshot(product: product, spot: price, expiry: expiry, time: time, random: &random)
                        step.quotes += quotes
                        step.chains.append(chain)
                    }
                }
            }
            if time >= nextSnapshot { nextSnapshot += c.snapshotIntervalMilliseconds }
            time += c.tickIntervalMilliseconds
            return step
        }
    }

    func snapshot(product: Product, spot: Double, expiry: String, time: Int64, random: inout SeededGenerator) -> ([BSONDocument], BSONDocument) {
        let atm = (spot / product.strikeStep).rounded() * product.strikeStep
        let years = max(Double(Self.expiryMilliseconds(expiry) - time) / (365.0 * 24 * 3_600_000), 1.0 / (365 * 24))
        var calls: [BSONDocument] = []
        var puts: [BSONDocument] = []
        var strikes: [ChainAnalytics.Strike] = []
        for offset in -configuration.strikesPerSide...configuration.strikesPerSide {
            let strike = atm + Double(offset) * product.strikeStep
            guard strike > 0 else { continue }
            // A volatility smile: further from the money, higher implied volatility.
            let moneyness = abs(log(strike / spot))
            let iv = product.annualVolatility * (1 + 2.5 * moneyness) * (1 + 0.02 * random.nextGaussian())
            let model = BlackScholes(spot: spot, strike: strike, years: years, rate: 0.065, volatility: iv)
            var row = ChainAnalytics.Strike(strike: strike, callOpenInterest: 0, putOpenInterest: 0, callVolume: 0, putVolume: 0, callLast: 0, putLast: 0)
            for call in [true, false] {
                let greeks = model.greeks(call: call)
                let last = max(0.05, Self.tickRounded(greeks.price))
                let spread = max(0.05, Self.tickRounded(last * 0.004))
                let nearness = exp(-pow(Double(offset) / Double(max(configuration.strikesPerSide, 1)) * 2, 2))
                let openInterest = Int(Double(50_000 + Int.random(in: 0..<50_000, using: &random)) * (0.3 + nearness))
                let volume = Int(Double(openInterest) * Double.random(in: 0.05..<0.4, using: &random))
                let quote: BSONDocument = [
                    "symbol": .string(Self.symbol(product: product.name, expiry: expiry, strike: strike, call: call)),
                    "product": .string(product.name),
                    "strike": .double(strike),
                    "expiry": .string(expiry),
                    "option_type": .string(call ? "CALL" : "PUT"),
                    "bid": .double(max(0.05, Self.tickRounded(last - spread))),
                    "ask": .double(Self.tickRounded(last + spread)),
                    "last": .double(last),
                    "volume": .int64(Int64(volume)),
                    "open_interest": .int64(Int64(openInterest)),
                    "delta": .double((greeks.delta * 10_000).rounded() / 10_000),
                    "gamma": .double((greeks.gamma * 1_000_000).rounded() / 1_000_000),
                    "vega": .double((greeks.vega * 100).rounded() / 100),
                    "theta": .double((greeks.theta * 100).rounded() / 100),
                    "iv": .double((iv * 10_000).rounded() / 10_000),
                    "timestamp": .datetime(time),
                ]
                if call {
                    calls.append(quote)
                    row.callOpenInterest = openInterest
                    row.callVolume = volume
                    row.callLast = last
                } else {
                    puts.append(quote)
                    row.putOpenInterest = openInterest
                    row.putVolume = volume
                    row.putLast = last
                }
            }
            strikes.append(row)
        }
        var chain: [(String, BSONValue)] = [
            ("product", .string(product.name)), ("expiry", .string(expiry)), ("spot_price", .double(spot)),
        ]
        if let analytics = ChainAnalytics(strikes: strikes, spot: spot) {
            chain += [
                ("pcr_oi", .double((analytics.pcrOpenInterest * 10_000).rounded() / 10_000)),
                ("pcr_volume", .double((analytics.pcrVolume * 10_000).rounded() / 10_000)),
                ("atm_strike", .double(analytics.atmStrike)),
                ("atm_straddle_price", .double(Self.tickRounded(analytics.atmStraddlePrice))),
                ("max_pain_strike", .double(analytics.maxPainStrike)),
                ("total_call_oi", .int64(Int64(analytics.totalCallOpenInterest))),
                ("total_put_oi", .int64(Int64(analytics.totalPutOpenInterest))),
                ("call_buildup_otm", .int64(Int64(analytics.callBuildupOTM))),
                ("put_buildup_otm", .int64(Int64(analytics.putBuildupOTM))),
            ]
        }
        chain += [("calls", .array(calls.map { .document($0) })), ("puts", .array(puts.map { .document($0) })), ("timestamp", .datetime(time))]
        return (calls + puts, BSONDocument(chain))
    }

    /// A premium on the exchange's 0.05 tick, as the double nearest to it
    /// (`141.6`, never the `141.60000000000002` a sum of ticks can give).
    static func tickRounded(_ price: Double) -> Double {
        (price * 20).rounded() / 20
    }

    /// `NIFTY25013021500CE`: product, expiry as YYMMDD, strike, CE/PE.
    public static func symbol(product: String, expiry: String, strike: Double, call: Bool) -> String {
        let digits = expiry.replacingOccurrences(of: "-", with: "").dropFirst(2)
        let strikeText = strike == strike.rounded() ? String(Int64(strike)) : String(strike).replacingOccurrences(of: ".", with: "_")
        return product + digits + strikeText + (call ? "CE" : "PE")
    }

    /// The next `count` Thursdays strictly after the day of `start` (UTC), as YYYY-MM-DD.
    public static func weeklyExpiries(after start: Int64, count: Int) -> [String] {
        let day: Int64 = 86_400_000
        var date = (start / day + 1) * day
        var out: [String] = []
        while out.count < count {
            // 1970-01-01 was a Thursday.
            if (date / day) % 7 == 0 { out.append(Self.dateText(date)) }
            date += day
        }
        return out
    }

    /// Expiry instant: 15:30 IST (10:00 UTC) on the expiry date.
    static func expiryMilliseconds(_ expiry: String) -> Int64 {
        let parts = expiry.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return 0 }
        var components = DateComponents()
        components.year = parts[0]
        components.month = parts[1]
        components.day = parts[2]
        components.hour = 10
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        guard let date = calendar.date(from: components) else { return 0 }
        return Int64(date.timeIntervalSince1970 * 1000)
    }

    static func dateText(_ milliseconds: Int64) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        return String(format: "%04d-%02d-%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    }
}
