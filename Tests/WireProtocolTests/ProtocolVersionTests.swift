import WireProtocol
import XCTest

final class ProtocolVersionTests: XCTestCase {
    func testValuesHelloReports() {
        // The design fixes `hello` as {protocol: 1, server: "deltastored", version, ...}.
        XCTAssertEqual(ProtocolVersion.current, 1)
        XCTAssertEqual(ProtocolVersion.serverName, "deltastored")
        let parts = ProtocolVersion.serverVersion.split(separator: ".")
        XCTAssertEqual(parts.count, 3, ProtocolVersion.serverVersion)
        XCTAssertTrue(parts.allSatisfy { Int($0) != nil }, ProtocolVersion.serverVersion)
    }
}
