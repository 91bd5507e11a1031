import Logging
@testable import Systemd
import XCTest

final class JournalLogHandlerTests: XCTestCase {
    func testPrioritiesFollowSyslog() {
        XCTAssertEqual(JournalLogHandler.priority(.critical), 2)
        XCTAssertEqual(JournalLogHandler.priority(.error), 3)
        XCTAssertEqual(JournalLogHandler.priority(.warning), 4)
        XCTAssertEqual(JournalLogHandler.priority(.notice), 5)
        XCTAssertEqual(JournalLogHandler.priority(.info), 6)
        XCTAssertEqual(JournalLogHandler.priority(.debug), 7)
        XCTAssertEqual(JournalLogHandler.priority(.trace), 7)
    }

    func testFieldNames() {
        XCTAssertEqual(JournalLogHandler.fieldName("peer_uid"), "PEER_UID")
        XCTAssertEqual(JournalLogHandler.fieldName("op"), "OP")
        XCTAssertEqual(JournalLogHandler.fieldName("_private"), "PRIVATE", "a leading underscore marks trusted fields: never produce one")
        XCTAssertEqual(JournalLogHandler.fieldName("9lives"), "LIVES")
        XCTAssertEqual(JournalLogHandler.fieldName("a.b-c"), "A_B_C")
        XCTAssertEqual(JournalLogHandler.fieldName("__"), "FIELD")
    }

    func testJournalStreamMustMatchStderr() throws {
        XCTAssertFalse(JournalLogHandler.stderrIsJournal(environment: nil))
        XCTAssertFalse(JournalLogHandler.stderrIsJournal(environment: "garbage"))
        var info = stat()
        XCTAssertEqual(fstat(2, &info), 0)
        XCTAssertTrue(JournalLogHandler.stderrIsJournal(environment: "\(info.st_dev):\(info.st_ino)"))
        XCTAssertFalse(JournalLogHandler.stderrIsJournal(environment: "\(info.st_dev):\(info.st_ino + 1)"))
    }
}
