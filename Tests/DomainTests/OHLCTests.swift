import Domain
import XCTest

final class OHLCTests: XCTestCase {
    func testBucketsAreAlignedToTheEpoch() {
        XCTAssertEqual(BarWindow.fiveMinutes.bucketStart(0), 0)
        XCTAssertEqual(BarWindow.fiveMinutes.bucketStart(299_999), 0)
        XCTAssertEqual(BarWindow.fiveMinutes.bucketStart(300_000), 300_000)
        XCTAssertEqual(BarWindow.oneMinute.bucketStart(-1), -60_000)
        XCTAssertEqual(BarWindow.oneHour.bucketStart(1_738_228_512_345), 1_738_227_600_000)
        XCTAssertEqual(BarWindow.allCases.map(\.rawValue), ["1m", "5m", "15m", "1h"])
    }

    func testBuilderFoldsNewestFirstTicksIntoBars() {
        // Ticks in ascending order; the builder receives them newest first.
        let ticks: [(Int64, Double)] = [(0, 10), (10_000, 12), (50_000, 9), (59_999, 11), (60_000, 20), (61_000, 19), (185_000, 30)]
        var builder = BarBuilder(window: .oneMinute, limit: 10)
        for (time, price) in ticks.reversed() { XCTAssertTrue(builder.add(timestamp: time, price: price)) }
        XCTAssertEqual(builder.bars, [
            Bar(start: 0, open: 10, high: 12, low: 9, close: 11, count: 4),
            Bar(start: 60_000, open: 20, high: 20, low: 19, close: 19, count: 2),
            Bar(start: 180_000, open: 30, high: 30, low: 30, close: 30, count: 1),
        ])
    }

    /// The window start of every Int64 is computed without trapping: nil where
    /// it would lie below Int64.min, exact everywhere else.
    func testBucketStartIsTotalOverInt64() {
        for window in BarWindow.allCases {
            let width = window.milliseconds
            XCTAssertNil(window.bucketStart(.min), "\(window): the window of -2^63 starts below Int64.min")
            XCTAssertNil(window.bucketStart(.min + 1))
            XCTAssertEqual(window.bucketStart(.max), Int64.max - Int64.max % width)
            XCTAssertEqual(window.bucketStart(RecordTime.earliest), RecordTime.earliest, "year 1 starts on a whole hour")
            XCTAssertEqual(window.bucketStart(RecordTime.latest), RecordTime.latest + 1 - width)
            // The smallest timestamp whose window start exists.
            let firstWhole = Int64.min + (width - Int64.min % width) % width
            XCTAssertEqual(window.bucketStart(firstWhole), firstWhole)
            XCTAssertNil(window.bucketStart(firstWhole - 1))
        }
    }

    /// Ticks outside the record range (only an old store can hold them) and
    /// non-finite prices are skipped, never folded or trapped on.
    func testBuilderSkipsTicksOutsideTheRecordRange() {
        var builder = BarBuilder(window: .oneMinute, limit: 10)
        XCTAssertTrue(builder.add(timestamp: .max, price: 5))
        XCTAssertTrue(builder.add(timestamp: RecordTime.latest, price: 4))
        XCTAssertTrue(builder.add(timestamp: 0, price: .nan))
        XCTAssertTrue(builder.add(timestamp: 0, price: 3))
        XCTAssertTrue(builder.add(timestamp: RecordTime.earliest, price: 2))
        XCTAssertTrue(builder.add(timestamp: RecordTime.earliest - 1, price: 1))
        XCTAssertTrue(builder.add(timestamp: .min, price: 1))
        XCTAssertEqual(builder.bars, [
            Bar(start: RecordTime.earliest, open: 2, high: 2, low: 2, close: 2, count: 1),
            Bar(start: 0, open: 3, high: 3, low: 3, close: 3, count: 1),
            Bar(start: RecordTime.latest + 1 - 60_000, open: 4, high: 4, low: 4, close: 4, count: 1),
        ])
    }

    func testBuilderStopsAfterLimitBars() {
        var builder = BarBuilder(window: .oneMinute, limit: 2)
        XCTAssertTrue(builder.add(timestamp: 125_000, price: 3))
        XCTAssertTrue(builder.add(timestamp: 70_000, price: 2))
        XCTAssertTrue(builder.add(timestamp: 65_000, price: 2.5))
        XCTAssertFalse(builder.add(timestamp: 5_000, price: 1), "a third bar is refused")
        XCTAssertEqual(builder.bars.map(\.start), [60_000, 120_000])
        XCTAssertEqual(builder.bars.first?.open, 2.5)
        XCTAssertEqual(builder.bars.first?.close, 2)
    }
}
