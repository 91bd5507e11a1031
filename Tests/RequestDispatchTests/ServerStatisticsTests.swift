import BSONCore
import NIOCore
@testable import RequestDispatch
import XCTest

final class ServerStatisticsTests: XCTestCase {
    func testCountsErrorsAndPercentilesPerOperation() throws {
        let statistics = ServerStatistics(operationNames: ["ping", "ticks.query", "never.called"])
        let now = NIODeadline.now()
        for index in 0..<100 {
            // Started 1..100 ms ago: the median is near 50 ms, p99 near 99 ms.
            statistics.record(op: "ticks.query", failed: index % 10 == 0, since: now - .milliseconds(Int64(index + 1)))
        }
        statistics.record(op: "ping", failed: false, since: NIODeadline.now())
        statistics.record(op: "not.registered", failed: true, since: now)

        let document = statistics.document(uptimeSeconds: 7)
        XCTAssertEqual(document["uptime_s"], .int64(7))
        let ops = try XCTUnwrap(document["ops"]?.documentValue)
        XCTAssertEqual(ops.keys, ["ping", "ticks.query"], "operations never called are left out; unknown names are not recorded")
        let query = try XCTUnwrap(ops["ticks.query"]?.documentValue)
        XCTAssertEqual(query["count"], .int64(100))
        XCTAssertEqual(query["errors"], .int64(10))
        let p50 = try XCTUnwrap(query["p50_us"]?.integerValue)
        let p99 = try XCTUnwrap(query["p99_us"]?.integerValue)
        XCTAssertTrue((45_000...60_000).contains(p50), "p50 \(p50)")
        XCTAssertTrue((95_000...110_000).contains(p99), "p99 \(p99)")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(query["max_us"]?.integerValue), p99)
    }

    func testConnectionsAndClients() throws {
        let statistics = ServerStatistics(operationNames: [])
        statistics.connectionOpened(id: 1, peer: PeerCredentials(pid: 10, uid: 1000, gid: 1000))
        statistics.connectionOpened(id: 2, peer: nil)
        statistics.connectionOpened(id: 3, peer: PeerCredentials(pid: 30, uid: 0, gid: 0))
        statistics.connectionClosed(id: 1)
        statistics.badFrame()
        statistics.badRequest()
        statistics.badRequest()
        statistics.unknownOp()
        let document = statistics.document(uptimeSeconds: 0)
        XCTAssertEqual(statistics.openConnections, 2)
        XCTAssertEqual(document["connections"], .int64(2))
        XCTAssertEqual(document["connections_total"], .int64(3))
        XCTAssertEqual(document["protocol_errors"], ["bad_frames": .int64(1), "bad_requests": .int64(2), "unknown_ops": .int64(1)])
        XCTAssertEqual(document["clients"], [["conn": .int64(3), "uid": .int64(0), "gid": .int64(0), "pid": .int32(30)]])
    }
}
