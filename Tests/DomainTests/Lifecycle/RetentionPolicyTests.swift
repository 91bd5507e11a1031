import Domain
import XCTest

final class RetentionPolicyTests: XCTestCase {
    func testSplitNamesTheCollectionAndKeepsTheDurationText() throws {
        let (collection, duration) = try RetentionPolicy.split("quotes=12h")
        XCTAssertEqual(collection, .quotes)
        XCTAssertEqual(duration, "12h")
        XCTAssertEqual(try RetentionPolicy.split("ticks=").1, "", "an empty duration is for the duration parser to refuse")
        XCTAssertThrowsError(try RetentionPolicy.split("ticks")) { XCTAssertEqual(($0 as? FieldError)?.field, "--retain") }
        XCTAssertThrowsError(try RetentionPolicy.split("candles=1d")) { XCTAssertTrue(String(describing: $0).contains("ticks, quotes or chains")) }
        XCTAssertThrowsError(try RetentionPolicy.split("=1d"))
    }

    func testCutoffIsNowMinusTheDurationAndSaturates() {
        var policy = RetentionPolicy()
        XCTAssertTrue(policy.isEmpty)
        XCTAssertNil(policy.cutoff(for: .ticks, now: 1_000_000))
        policy.retain(.ticks, milliseconds: 86_400_000)
        policy.retain(.chains, milliseconds: Int64.max)
        XCTAssertEqual(policy.collections, [.ticks, .chains])
        XCTAssertEqual(policy.cutoff(for: .ticks, now: 100_000_000), 13_600_000)
        XCTAssertNil(policy.cutoff(for: .quotes, now: 100_000_000), "no retention: keep everything")
        XCTAssertEqual(policy.cutoff(for: .chains, now: -10), Int64.min, "a duration beyond the calendar keeps everything, without a trap")
        policy.retain(.ticks, milliseconds: 1000)
        XCTAssertEqual(policy.durations[.ticks], 1000, "a later --retain of the same collection replaces the earlier")
    }
}
