import BSONCore
import Foundation
import TestSupport
import XCTest

/// The daemon serving over a real socket: the operations, pipelining, and
/// isolation of a bad connection from the others.
final class ServingTests: DaemonTestCase {
    func testHelloAndPing() throws {
        try startDaemon()
        let hello = try roundTrip(RequestBuilder.request(id: 1, op: "hello"))
        XCTAssertEqual(hello["id"], .int32(1))
        XCTAssertEqual(hello["ok"], .bool(true))
        let result = try XCTUnwrap(hello["result"]?.documentValue)
        XCTAssertEqual(result["protocol"], .int32(1))
        XCTAssertEqual(result["server"], .string("deltastored"))
        XCTAssertNotNil(result["version"]?.stringValue)
        XCTAssertEqual(result["limits"]?.documentValue?["max_message_bytes"]?.integerValue, 16 * 1024 * 1024)
        let ops = (result["ops"]?.arrayValue ?? []).compactMap(\.stringValue)
        XCTAssertTrue(ops.contains("ping") && ops.contains("hello") && ops.contains("describe"), "ops: \(ops)")

        let pong = try roundTrip(RequestBuilder.request(id: "p-1", op: "ping"))
        XCTAssertEqual(pong, ["id": "p-1", "ok": true, "result": ["pong": true]])
    }

    func testTenThousandPipelinedPingsAreAllAnsweredAndMatchedByID() throws {
        try startDaemon()
        let socket = try connect()
        let count = 10_000
        var stream = [UInt8]()
        for id in 1...count {
            stream += RequestBuilder.ping(id: Int32(id)).bytes
        }
        // Write from another thread while this one reads, as a pipelining client does.
        let frames = stream
        let writer = Thread { try? socket.send(frames) }
        writer.start()
        var seen = Set<Int32>()
        for _ in 1...count {
            let reply = try XCTUnwrap(try socket.receiveDocument(), "connection closed after \(seen.count) replies")
            XCTAssertEqual(reply["ok"], .bool(true))
            guard case .int32(let id) = reply["id"] else { return XCTFail("reply without int32 id: \(reply)") }
            XCTAssertTrue(seen.insert(id).inserted, "id \(id) answered twice")
        }
        XCTAssertEqual(seen, Set(1...Int32(count)))
    }

    func testRepliesCanOvertakeSlowerRequests() throws {
        try startDaemon()
        let socket = try connect()
        try socket.send(RequestBuilder.ping(id: 1, delayMs: 400).bytes + RequestBuilder.ping(id: 2).bytes)
        let first = try XCTUnwrap(try socket.receiveDocument())
        let second = try XCTUnwrap(try socket.receiveDocument())
        XCTAssertEqual(first["id"], .int32(2), "the fast ping should be answered before the delayed one")
        XCTAssertEqual(second["id"], .int32(1))
    }

    func testBadFrameClosesOnlyItsOwnConnection() throws {
        let daemon = try startDaemon()
        let healthy = try connect()
        try healthy.send(RequestBuilder.ping(id: 1))
        XCTAssertEqual(try healthy.receiveDocument()?["ok"], .bool(true))

        let hostile = try connect()
        try hostile.send([3, 0, 0, 0, 1, 2, 3])
        let reply = try XCTUnwrap(try hostile.receiveDocument())
        XCTAssertNil(reply["id"])
        XCTAssertEqual(reply["ok"], .bool(false))
        XCTAssertEqual(reply["error"]?.documentValue?["code"], .string("BAD_FRAME"))
        XCTAssertTrue(try hostile.isAtEOF(), "the server must close a connection after BAD_FRAME")

        try healthy.send(RequestBuilder.ping(id: 2))
        XCTAssertEqual(try healthy.receiveDocument()?["id"], .int32(2))
        XCTAssertEqual(try roundTrip(RequestBuilder.ping(id: 3))["ok"], .bool(true))
        XCTAssertTrue(daemon.process.isRunning)
        XCTAssertTrue(daemon.log.contains("bad frame"), "the bad frame is logged:\n\(daemon.log)")
    }

    func testBadRequestsKeepTheConnectionOpen() throws {
        try startDaemon()
        let socket = try connect()
        try socket.send(["op": "ping"])  // no id
        let noID = try XCTUnwrap(try socket.receiveDocument())
        XCTAssertNil(noID["id"])
        XCTAssertEqual(noID["error"]?.documentValue?["code"], .string("BAD_REQUEST"))

        try socket.send(["id": 7, "op": "no.such.op"])
        let unknown = try XCTUnwrap(try socket.receiveDocument())
        XCTAssertEqual(unknown["id"], .int32(7))
        XCTAssertEqual(unknown["error"]?.documentValue?["code"], .string("UNKNOWN_OP"))

        try socket.send(["id": 8, "op": "ping", "args": "not a document"])
        XCTAssertEqual(try socket.receiveDocument()?["error"]?.documentValue?["code"], .string("BAD_REQUEST"))

        try socket.send(RequestBuilder.ping(id: 9))
        XCTAssertEqual(try socket.receiveDocument()?["ok"], .bool(true))
    }

    func testOversizedFrameIsRefusedBeforeItsBodyArrives() throws {
        try startDaemon(arguments: ["--max-message-bytes", "4096"])
        let socket = try connect()
        // Only the length prefix: the server must answer without waiting for 1 MiB.
        try socket.send([0x00, 0x00, 0x10, 0x00])
        let reply = try XCTUnwrap(try socket.receiveDocument())
        XCTAssertEqual(reply["error"]?.documentValue?["code"], .string("BAD_FRAME"))
        XCTAssertTrue(try socket.isAtEOF())
    }

    func testTruncatedFrameAtEndOfStream() throws {
        try startDaemon()
        let socket = try connect()
        try socket.send(Array(RequestBuilder.ping(id: 1).bytes.prefix(10)))
        socket.shutdownWrite()
        let reply = try XCTUnwrap(try socket.receiveDocument())
        XCTAssertEqual(reply["error"]?.documentValue?["code"], .string("BAD_FRAME"))
        XCTAssertTrue(try socket.isAtEOF())
    }

    func testHalfCloseStillGetsEveryReply() throws {
        try startDaemon()
        let socket = try connect()
        try socket.send(RequestBuilder.ping(id: 1, delayMs: 200).bytes + RequestBuilder.ping(id: 2).bytes)
        socket.shutdownWrite()
        var ids = Set<Int32>()
        while let reply = try socket.receiveDocument() {
            if case .int32(let id) = reply["id"] { ids.insert(id) }
        }
        XCTAssertEqual(ids, [1, 2])
    }

    func testDeadlineExceeded() throws {
        try startDaemon()
        let reply = try roundTrip(RequestBuilder.request(id: 1, op: "ping", args: ["delay_ms": 1000], deadlineMs: 50))
        XCTAssertEqual(reply["error"]?.documentValue?["code"], .string("DEADLINE_EXCEEDED"))
    }
}
