import BSONCore
import Foundation
import TestSupport
import XCTest

/// Retention, `stats`' store fields and `backup` on the MongoDB store, end to
/// end through the stand-in.
final class MongoLifecycleTests: DaemonTestCase {
    private var standIn: MongoStandInProcess!

    override func tearDown() {
        super.tearDown()
        standIn?.remove()
    }

    var now: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    func tick(at timestamp: Int64, id: String) -> BSONValue {
        .document(["product": "NIFTY", "price": 101.5, "timestamp": .datetime(timestamp), "tick_id": .string(id)])
    }

    func testRetainedTicksOlderThanADayAreGoneAndNewerOnesStayAndBackupNamesMongodump() throws {
        standIn = try MongoStandInProcess()
        try standIn.start()
        let day: Int64 = 86_400_000
        try startDaemon(arguments: ["--store", standIn.uri(database: "lifecycle"), "--retain", "ticks=1d", "--retention-interval", "1"])
        let session = RequestSession(try connect())
        defer { session.close() }
        let old = (0..<12).map { tick(at: now - 2 * day - Int64($0) * 1000, id: "old\($0)") }
        let kept = (0..<12).map { tick(at: now - day + 3_600_000 - Int64($0) * 1000, id: "new\($0)") }
        XCTAssertEqual(try session.result("ticks.insert", ["ticks": .array(old + kept)])["inserted"], .int32(24))
        let began = Date()
        var left = 0
        repeat {
            left = Int(try session.result("ticks.query", ["product": "NIFTY", "limit": 100])["count"]?.integerValue ?? -1)
            if left != kept.count { usleep(200_000) }
        } while left != kept.count && Date().timeIntervalSince(began) < 60
        XCTAssertEqual(left, kept.count, "the two-day-old ticks are gone within 60 s")
        let stored = try session.result("ticks.query", ["product": "NIFTY", "limit": 100, "order": "asc"])["ticks"]?.arrayValue
        XCTAssertEqual(stored, kept.reversed(), "every newer tick is there, as sent")

        let held = try XCTUnwrap(try session.result("stats")["store"]?.documentValue)
        XCTAssertEqual(held["kind"], "mongodb")
        XCTAssertGreaterThan(held["bytes"]?.integerValue ?? 0, 0)
        let ticks = try XCTUnwrap(held["collections"]?.documentValue?["ticks"]?.documentValue)
        XCTAssertEqual(ticks["count"], .int64(12))
        XCTAssertEqual(ticks["oldest"], kept[11].documentValue?["timestamp"])
        XCTAssertEqual(ticks["newest"], kept[0].documentValue?["timestamp"])
        XCTAssertEqual(ticks["retain_s"], .int64(86_400))

        let backup = try session.error("backup")
        XCTAssertEqual(backup["code"], "UNKNOWN_OP")
        XCTAssertTrue(backup["message"]?.stringValue?.contains("mongodump") ?? false, "\(backup)")
        XCTAssertFalse(try session.result("hello")["ops"]?.arrayValue?.contains("backup") ?? true, "not offered, so not listed")
        let ctl = try CommandRunner.run("deltastorectl", ["backup", "--socket", socketPath])
        XCTAssertEqual(ctl.status, 1)
        XCTAssertTrue(ctl.stderr.hasPrefix("UNKNOWN_OP: ") && ctl.stderr.contains("mongodump"), ctl.stderr)
        let daemon = try XCTUnwrap(runningDaemons.first)
        let logged = Date().addingTimeInterval(10)
        while !daemon.log.contains("retention purge: deleted 12 ticks") && Date() < logged { usleep(100_000) }
        XCTAssertTrue(daemon.log.contains("retention purge: deleted 12 ticks"), daemon.log)

        // MongoDB unreachable: stats still answers, saying the store cannot be read.
        standIn.kill()
        let during = try session.result("stats")
        XCTAssertEqual(during["store"]?.documentValue, ["kind": "mongodb", "error": "UNAVAILABLE"])
        XCTAssertNotNil(during["ops"]?.documentValue?["ticks.insert"], "the daemon's own figures are there")
        let printed = try CommandRunner.run("deltastorectl", ["stats", "--socket", socketPath])
        XCTAssertEqual(printed.status, 0, printed.stderr)
        XCTAssertTrue(printed.stdout.contains("store mongodb: cannot be read now (UNAVAILABLE)"), printed.stdout)
    }
}
