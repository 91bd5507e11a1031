import DeltaStoreClient
import Foundation
import XCTest

/// Dates and BSON datetimes: a datetime read into a `Date` gives back the
/// same milliseconds, and no `Date` traps on the way out.
final class DateBSONTests: XCTestCase {
    func testEveryMillisecondRoundTrips() {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        var values: [Int64] = [0, 1, -1, 999, 1_796_303_466_123, -62_135_596_800_000, 253_402_300_799_999]
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // Years 1 to 9999, as records may hold.
            values.append(-62_135_596_800_000 + Int64(state % 315_537_897_600_000))
        }
        for milliseconds in values {
            XCTAssertEqual(Date(bsonMilliseconds: milliseconds).bsonMilliseconds, milliseconds)
        }
    }

    func testATimeBetweenTwoMillisecondsBelongsToTheEarlierOne() {
        XCTAssertEqual(Date(timeIntervalSince1970: 1.0006).bsonMilliseconds, 1000)
        XCTAssertEqual(Date(timeIntervalSince1970: -1.0006).bsonMilliseconds, -1001)
    }

    func testInstantsBeyondTheRangeAreClamped() {
        XCTAssertEqual(Date(timeIntervalSince1970: 1e300).bsonMilliseconds, .max)
        XCTAssertEqual(Date(timeIntervalSince1970: -1e300).bsonMilliseconds, .min)
        XCTAssertEqual(Date(timeIntervalSince1970: .infinity).bsonMilliseconds, .max)
        XCTAssertEqual(Date(timeIntervalSince1970: 9.3e15).bsonMilliseconds, .max)
    }
}
