import BSONCore
import Domain
@_spi(Fuzzing) import RequestDispatch
import WireProtocol
import XCTest

/// Of several argument errors, the one answered is the first in the order
/// PROTOCOL.md §14 gives for the operation ("Checked in this order"), though
/// the names are checked against the descriptor before the handler runs: a
/// missing required argument or a wrong type is reported when the handler
/// reads that argument, not before the value rules of the arguments the spec
/// checks first.
final class ArgumentOrderTests: XCTestCase {
    private let key = CursorKey(secret: Array(repeating: 7, count: CursorKey.secretBytes))!

    /// The field of the INVALID_ARGUMENT that `parse` throws.
    private func field(_ parse: () throws -> Any, file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            _ = try parse()
            XCTFail("accepted", file: file, line: line)
            return nil
        } catch {
            let wire = (error as? WireError) ?? (error as? any WireErrorConvertible)?.wireError
            XCTAssertEqual(wire?.code, .invalidArgument, "\(error)", file: file, line: line)
            return wire?.details?["field"]?.stringValue
        }
    }

    func testTicksQueryReportsTheProductBeforeTheRangesType() {
        // §14.2.8: product, start, end, start ≤ end, limit, order, cursor.
        XCTAssertEqual(field { try ArgumentParsing.tickQuery(["product": "bad name!", "start": "2025-01-30"], maxPage: 1000, cursorKey: self.key) }, "product")
        XCTAssertEqual(field { try ArgumentParsing.tickQuery(["limit": 0, "start": "2025-01-30"], maxPage: 1000, cursorKey: self.key) }, "product")
        XCTAssertEqual(field { try ArgumentParsing.tickQuery(["product": "NIFTY", "limit": 0, "start": "x"], maxPage: 1000, cursorKey: self.key) }, "start")
    }

    func testTicksOHLCReportsABadProductBeforeAMissingWindow() {
        // §14.2.10: product, window, start, end, start ≤ end, limit.
        XCTAssertEqual(field { try ArgumentParsing.barQuery(["product": "bad name!"], maxPage: 1000) }, "product")
        XCTAssertEqual(field { try ArgumentParsing.barQuery(["product": "NIFTY", "limit": "x"], maxPage: 1000) }, "window")
    }

    func testQuotesQueryReportsTheMissingSymbolOrProductBeforeTheExpiry() {
        // §14.2.12: symbol, product, one of them, option_type, strikes, expiry, …
        XCTAssertEqual(field { try ArgumentParsing.quoteQuery(["expiry": "2025-02-30"], maxPage: 1000, cursorKey: self.key) }, "symbol")
        XCTAssertEqual(field { try ArgumentParsing.quoteQuery(["product": "NIFTY", "expiry": 5, "option_type": "X"], maxPage: 1000, cursorKey: self.key) }, "option_type")
    }

    func testChainsQueryReportsTheFieldsBeforeTheCursor() {
        // §14.2.14: product, expiry, start, end, start ≤ end, limit, order, fields, cursor.
        XCTAssertEqual(field { try ArgumentParsing.chainQuery(["product": "NIFTY", "cursor": 5, "fields": []], maxPage: 1000, cursorKey: self.key) }, "fields")
        XCTAssertEqual(field { try ArgumentParsing.chainQuery(["product": "NIFTY", "fields": 5, "order": "up"], maxPage: 1000, cursorKey: self.key) }, "order")
    }
}
