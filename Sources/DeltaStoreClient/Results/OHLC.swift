import BSONCore
import Foundation

/// The bar widths `ticks.ohlc` accepts.
public enum OHLCWindow: String, Sendable, CaseIterable {
    case oneMinute = "1m"
    case fiveMinutes = "5m"
    case fifteenMinutes = "15m"
    case oneHour = "1h"
}

/// One open/high/low/close bar: the ticks of one window aligned on the epoch.
public struct OHLCBar: Sendable, Equatable {
    /// The window's start.
    public var start: Date
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    /// The ticks counted.
    public var count: Int

    init(_ document: BSONDocument) throws {
        let reader = ResultReader(document, op: "ticks.ohlc bar")
        start = try reader.date("start")
        open = try reader.double("open")
        high = try reader.double("high")
        low = try reader.double("low")
        close = try reader.double("close")
        count = try reader.int("count")
    }
}

/// The result of `ticks.ohlc`: the newest bars, oldest first.
public struct OHLCSeries: Sendable, Equatable {
    public var product: String
    public var window: String
    public var bars: [OHLCBar]

    init(_ document: BSONDocument) throws {
        let reader = ResultReader(document, op: "ticks.ohlc")
        product = try reader.string("product")
        window = try reader.string("window")
        bars = try reader.documents("bars").map(OHLCBar.init)
    }
}
