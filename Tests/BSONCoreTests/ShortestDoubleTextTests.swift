@testable import BSONCore
import XCTest

/// Relaxed extended JSON and table cells print doubles in shortest
/// round-trip form, and nothing else changes.
final class ShortestDoubleTextTests: XCTestCase {
    func testDoublesPrintAsTheirShortestRoundTripText() {
        let document: BSONDocument = ["spot_price": .double(21526.35), "pcr_oi": .double(0.9623), "whole": .double(21500), "tiny": .double(1e-7), "huge": .double(1e300), "negative_zero": .double(-0.0)]
        XCTAssertEqual(
            document.relaxedExtendedJSON,
            #"{ "spot_price" : 21526.35, "pcr_oi" : 0.9623, "whole" : 21500.0, "tiny" : 1e-07, "huge" : 1e+300, "negative_zero" : -0.0 }"#
        )
    }

    func testIntegersStringsAndSpecialValuesAreLeftAsLibbsonWritesThem() {
        let document: BSONDocument = [
            "int32": .int32(-12), "int64": .int64(Int64.max), "text": .string("1.25000000000000000000 e5 \"2.5\""),
            "key.with.1.5e3": .bool(true), "nan": .double(.nan), "inf": .double(-.infinity), "when": .datetime(1_738_228_500_000),
        ]
        let json = document.relaxedExtendedJSON
        XCTAssertTrue(json.contains(#""int32" : -12"#), json)
        XCTAssertTrue(json.contains(#""int64" : 9223372036854775807"#), json)
        XCTAssertTrue(json.contains(#""1.25000000000000000000 e5 \"2.5\"""#), json)
        XCTAssertTrue(json.contains(#""key.with.1.5e3" : true"#), json)
        XCTAssertTrue(json.contains(#""nan" : { "$numberDouble" : "NaN" }"#), json)
        XCTAssertTrue(json.contains(#""inf" : { "$numberDouble" : "-Infinity" }"#), json)
        XCTAssertTrue(json.contains(#""$date" : "2025-01-30T09:15:00Z""#), json)
    }

    /// Any finite double, written and read back, is the same bits.
    func testEveryDoubleRoundTripsThroughTheShortText() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var checked = 0
        let edges: [Double] = [.leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0.1, 1.0 / 3.0, 123_456_789.123_456_789]
        var values = edges
        while values.count < 5000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let value = Double(bitPattern: state)
            if value.isFinite { values.append(value) }
        }
        for value in values {
            let json = BSONDocument([("d", .double(value))]).relaxedExtendedJSON
            let parsed = try BSONDocument(extendedJSON: json)
            guard case .double(let back)? = parsed["d"] else { XCTFail("\(json) did not parse to a double"); continue }
            XCTAssertEqual(back.bitPattern, value.bitPattern, json)
            checked += 1
        }
        XCTAssertEqual(checked, values.count)
    }

    func testTableCells() {
        XCTAssertEqual(ShortestDoubleText.cell(21526.35), "21526.35")
        XCTAssertEqual(ShortestDoubleText.cell(21500), "21500")
        XCTAssertEqual(ShortestDoubleText.cell(-3), "-3")
        XCTAssertEqual(ShortestDoubleText.cell(0.9623), "0.9623")
        XCTAssertEqual(ShortestDoubleText.cell(1e20), "1e+20")
        XCTAssertEqual(ShortestDoubleText.cell(.nan), "nan")
    }
}
