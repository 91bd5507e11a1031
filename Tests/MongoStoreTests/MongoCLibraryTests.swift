#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import MongoStore
import XCTest

/// libmongoc's process set-up leaves nothing behind in /dev/shm.
final class MongoCLibraryTests: XCTestCase {
    func testInitializingLibmongocCreatesNoSharedMemorySegment() {
        MongoCLibrary.initialize()
        let segment = "/dev/shm/mongoc-\(getpid())"
        XCTAssertFalse(FileManager.default.fileExists(atPath: segment), "\(segment) was created: its counters are not used and outlive a killed daemon")
    }
}
