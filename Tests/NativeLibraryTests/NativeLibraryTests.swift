import Auth
import BSONCore
import Foundation
import MongoStore
import SQLiteStore
import Systemd
import XCTest

/// The five native libraries link and answer: the set-up every store, the auth
/// code and the systemd integration stand on.
final class NativeLibraryTests: XCTestCase {
    func testLibbsonAndLibmongocAreTheExpectedSeries() {
        XCTAssertTrue(BSONLibrary.version.hasPrefix("1."), BSONLibrary.version)
        XCTAssertTrue(MongoCLibrary.version.hasPrefix("1."), MongoCLibrary.version)
    }

    func testSQLiteIsVersion3AndThreadSafe() {
        XCTAssertTrue(SQLiteLibrary.version.hasPrefix("3."), SQLiteLibrary.version)
        XCTAssertTrue(SQLiteLibrary.isThreadSafe)
    }

    func testLibxcryptCanMakeBcryptSalts() {
        XCTAssertTrue(CryptLibrary.supportsBcrypt)
    }

    func testLibsystemdBootDetectionMatchesItsDefinition() {
        // sd_booted() is defined as: /run/systemd/system/ exists.
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: "/run/systemd/system", isDirectory: &isDirectory) && isDirectory.boolValue
        XCTAssertEqual(SystemdLibrary.bootedWithSystemd, exists)
    }
}
