import Domain
import XCTest

final class StoreLocationTests: XCTestCase {
    func testParsing() throws {
        XCTAssertEqual(try StoreLocation(parsing: nil, stateDirectory: "/var/lib/deltastore"), .sqlite(path: "/var/lib/deltastore/deltastore.db"))
        XCTAssertEqual(try StoreLocation(parsing: "sqlite", stateDirectory: "./data"), .sqlite(path: "./data/deltastore.db"))
        XCTAssertEqual(try StoreLocation(parsing: "sqlite:/tmp/x.db", stateDirectory: "./data"), .sqlite(path: "/tmp/x.db"))
        XCTAssertEqual(try StoreLocation(parsing: "mongodb://h:27017/db", stateDirectory: "."), .mongodb(uri: "mongodb://h:27017/db"))
        XCTAssertEqual(try StoreLocation(parsing: "mongodb+srv://c.example/db", stateDirectory: ".").kind, "mongodb")
        XCTAssertThrowsError(try StoreLocation(parsing: "sqlite:", stateDirectory: "."))
        XCTAssertThrowsError(try StoreLocation(parsing: "postgres://x", stateDirectory: "."))
    }

    func testRedactionHidesCredentialsAndOptions() {
        let location = StoreLocation.mongodb(uri: "mongodb://app:s3cret@db1:27017,db2:27017/deltastream?replicaSet=rs0&tlsCertificateKeyFilePassword=pw")
        XCTAssertEqual(location.redacted, "mongodb://***@db1:27017,db2:27017/deltastream")
        XCTAssertFalse(location.redacted.contains("s3cret"))
        XCTAssertFalse(location.redacted.contains("pw"))
        XCTAssertEqual(StoreLocation.sqlite(path: "/a.db").redacted, "sqlite:/a.db")
    }
}
