/// Candle widths for `ticks.ohlc`.
public enum BarWindow: String, Sendable, CaseIterable {
    case oneMinute = "1m"
    case fiveMinutes = "5m"
    case fifteenMinutes = "15m"
    case oneHour = "1h"

    public var milliseconds: Int64 {
        switch self {
        case .oneMinute: return 60_000
        case .fiveMinutes: return 300_000
        case .fifteenMinutes: return 900_000
        case .oneHour: return 3_600_000
        }
    }

    /// The start of the window holding `timestamp`: windows are aligned to the
    /// Unix epoch (UTC), so 5-minute bars start at :00, :05, :10, …
    ///
    /// Total: nil when that start is not an Int64 (a timestamp within a window
    /// of Int64.min, e.g. −2^63 itself, whose window starts below it). Records
    /// are refused outside `RecordTime.range`, where every window start exists.
    public func bucketStart(_ timestamp: Int64) -> Int64? {
        let width = milliseconds
        let quotient = timestamp / width
        let floored = (timestamp % width != 0 && timestamp < 0) ? quotient - 1 : quotient
        let (start, overflow) = floored.multipliedReportingOverflow(by: width)
        return overflow ? nil : start
    }
}

/// One candle: the first, highest, lowest and last price of the ticks in
/// `[start, start + window)`, and how many there were.
public struct Bar: Sendable, Equatable {
    public var start: Int64
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var count: Int

    public init(start: Int64, open: Double, high: Double, low: Double, close: Double, count: Int) {
        self.start = start
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.count = count
    }
}

/// `ticks.ohlc`: bars of one product's ticks.
public struct BarQuery: Sendable, Equatable {
    public var product: String
    public var window: BarWindow
    public var range: TimeRange
    /// The newest `limit` bars (windows that have ticks) in the range are
    /// returned, oldest first.
    public var limit: Int

    public init(product: String, window: BarWindow, range: TimeRange = TimeRange(), limit: Int) {
        self.product = product
        self.window = window
        self.range = range
        self.limit = limit
    }
}

/// Folds ticks into bars, keeping only the newest `limit` bars.
///
/// Stores read a product's ticks newest first (the order their index gives
/// cheaply) and feed them here until `add` returns false: at that point the
/// newest `limit` bars are complete and no older tick can change them. Both
/// stores compute bars with this one type, so they can never disagree on a
/// candle.
public struct BarBuilder: Sendable {
    public let window: BarWindow
    public let limit: Int
    /// Bars newest first while building.
    private var newestFirst: [Bar] = []

    public init(window: BarWindow, limit: Int) {
        self.window = window
        self.limit = limit
    }

    /// Adds a tick older than (or as old as, inserted earlier than) every tick
    /// added before. Returns false, without adding it, once the tick would
    /// start bar number `limit + 1`: the caller stops reading.
    ///
    /// A tick outside `RecordTime.range` (only a store written before that
    /// rule can hold one) or whose price is not a finite number is skipped:
    /// it is not counted in any bar, and reading goes on.
    @discardableResult
    public mutating func add(timestamp: Int64, price: Double) -> Bool {
        guard RecordTime.contains(timestamp), price.isFinite, let start = window.bucketStart(timestamp) else { return true }
        if let current = newestFirst.last, current.start == start {
            var bar = current
            bar.high = max(bar.high, price)
            bar.low = min(bar.low, price)
            bar.open = price
            bar.count += 1
            newestFirst[newestFirst.count - 1] = bar
            return true
        }
        guard newestFirst.count < limit else { return false }
        newestFirst.append(Bar(start: start, open: price, high: price, low: price, close: price, count: 1))
        return true
    }

    /// The bars, oldest first.
    public var bars: [Bar] { newestFirst.reversed() }
}
