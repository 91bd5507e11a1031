import Domain
import Testing

/// OHLC bars against bars computed independently here.
@Suite("Contract: OHLC bars")
struct BarTests {
    /// Plain grouping: bucket = floor(ts / width) * width; open is the first
    /// tick by (timestamp, insertion), close the last.
    static func expectedBars(_ ticks: [(ts: Int64, price: Double)], width: Int64, range: TimeRange, limit: Int) -> [Bar] {
        var groups: [Int64: [(ts: Int64, order: Int, price: Double)]] = [:]
        for (order, tick) in ticks.enumerated() where range.contains(tick.ts) {
            let bucket = Int64((Double(tick.ts) / Double(width)).rounded(.down)) * width
            groups[bucket, default: []].append((tick.ts, order, tick.price))
        }
        let bars = groups.keys.sorted().map { start -> Bar in
            let members = groups[start]!.sorted { ($0.ts, $0.order) < ($1.ts, $1.order) }
            let prices = members.map(\.price)
            return Bar(start: start, open: prices.first!, high: prices.max()!, low: prices.min()!, close: prices.last!, count: prices.count)
        }
        return Array(bars.suffix(limit))
    }

    @Test(arguments: StoreUnderTest.allCases)
    func barsMatchIndependentlyComputedBars(_ kind: StoreUnderTest) async throws {
        try await kind.withStore { (store: any MarketStore) in
            var generator = SeededGenerator(seed: 42)
            // About five hours of ticks with gaps (some windows empty), repeated
            // timestamps, arriving out of order across batches.
            var generated: [(ts: Int64, price: Double)] = []
            var price = 22_000.0
            for _ in 0..<2_500 {
                let minute = Int64.random(in: 0..<300, using: &generator)
                // Leave whole windows empty: some minutes, and a 20-minute gap.
                guard minute % 37 != 5, !(120..<140).contains(minute) else { continue }
                let ts = marketOpen + minute * 60_000 + Int64.random(in: 0..<4, using: &generator) * 15_000
                price = max(1, price + Double(Int.random(in: -20...20, using: &generator)) / 4)
                generated.append((ts, price))
            }
            for chunk in stride(from: 0, to: generated.count, by: 100) {
                let batch = try generated[chunk..<min(chunk + 100, generated.count)].map { try Make.tick("NIFTY", at: $0.ts, price: $0.price) }
                _ = try await store.ticks.insert(batch)
            }
            _ = try await store.ticks.insert([try Make.tick("BANKNIFTY", at: marketOpen + 30_000, price: 1)])

            let ranges = [
                TimeRange(),
                TimeRange(start: marketOpen + 17 * 60_000 + 15_000, end: marketOpen + 240 * 60_000),
                TimeRange(start: marketOpen + 105 * 60_000),
                TimeRange(end: marketOpen + 200 * 60_000 - 1),
            ]
            for window in BarWindow.allCases {
                for range in ranges {
                    let all = Self.expectedBars(generated, width: window.milliseconds, range: range, limit: .max)
                    #expect(all.count >= 3, "enough bars to cut: \(window) \(range)")
                    for limit in [1, all.count / 2, all.count - 1, all.count + 5] where limit >= 1 {
                        let expected = Self.expectedBars(generated, width: window.milliseconds, range: range, limit: limit)
                        let bars = try await store.ticks.bars(BarQuery(product: "NIFTY", window: window, range: range, limit: limit))
                        #expect(bars == expected, "\(window) \(range) limit \(limit)")
                        #expect(bars.count == min(limit, all.count))
                    }
                }
            }
            #expect(try await store.ticks.bars(BarQuery(product: "SENSEX", window: .oneMinute, limit: 10)) == [])
            let single = try await store.ticks.bars(BarQuery(product: "BANKNIFTY", window: .fiveMinutes, limit: 10))
            #expect(single == [Bar(start: marketOpen, open: 1, high: 1, low: 1, close: 1, count: 1)])
        }
    }
}
