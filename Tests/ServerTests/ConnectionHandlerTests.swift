import BSONCore
import NIOCore
import NIOEmbedded
import RequestDispatch
@testable import Server
import TestSupport
import WireProtocol
import XCTest

/// `ConnectionHandler` through `EmbeddedChannel`: the state machine's rules
/// as a client sees them, with writes held until the client reads.
final class ConnectionHandlerTests: XCTestCase {
    func testPipelinedPingsAreAnsweredInOneFlush() throws {
        let connection = try EmbeddedConnection()
        try connection.send(RequestBuilder.ping(id: 1), RequestBuilder.ping(id: 2), RequestBuilder.ping(id: 3))
        XCTAssertEqual(connection.socket.flushes, 1)
        XCTAssertEqual(try connection.drainReplies().map(\.replyID), [.int32(1), .int32(2), .int32(3)])
        XCTAssertEqual(connection.socket.reads, 2, "the read after the pings was passed on")
        XCTAssertEqual(connection.budget.used, 0)
    }

    /// Inline answers copy the request's `id` element into the reply; the
    /// general path (an unknown op, `describe`) reads it out of the frame.
    func testEveryKindOfIDComesBackAsSentOnBothPaths() throws {
        let connection = try EmbeddedConnection()
        let ids: [RequestID] = [.int32(-5), .int64(1 << 40), .string("r"), .string("a-request-id-longer-than-fifteen-bytes-" + String(repeating: "x", count: 40))]
        var requests: [BSONDocument] = []
        for id in ids {
            for op in ["ping", "hello", "describe", "no.such.op"] {
                requests.append(RequestBuilder.request(id: id.bsonValue, op: op))
            }
        }
        try connection.send(requests.flatMap(\.bytes))
        let replies = try connection.drainReplies()
        XCTAssertEqual(replies.count, requests.count)
        for (index, id) in ids.enumerated() {
            let mine = replies[(index * 4)..<(index * 4 + 4)]
            XCTAssertEqual(mine.map(\.replyID), Array(repeating: id.bsonValue, count: 4), "\(id)")
            XCTAssertEqual(mine.map { $0["ok"] }, [.bool(true), .bool(true), .bool(true), .bool(false)], "\(id)")
            XCTAssertEqual(mine.last?.errorCode, "UNKNOWN_OP")
        }
    }

    func testInlineRepliesStopAtTheUnsentBudgetUntilTheClientReads() throws {
        let connection = try EmbeddedConnection(limits: EmbeddedConnection.limits(maxUnsentBytes: 20_000))
        let describe = RequestBuilder.request(id: 1, op: "describe")
        try connection.send((0..<200).flatMap { _ in describe.bytes })
        let replySize = connection.socket.pendingBytes / max(1, connection.socket.pendingReplies)
        XCTAssertGreaterThan(replySize, 500)
        XCTAssertGreaterThanOrEqual(connection.socket.pendingBytes, 20_000)
        XCTAssertLessThan(connection.socket.pendingBytes, 20_000 + replySize + 1, "one reply crosses the budget, no more")
        XCTAssertEqual(connection.socket.reads, 1, "nothing more is read while replies wait")

        var answered = try connection.drainReplies().count
        var rounds = 0
        while answered < 200 && rounds < 1000 {
            answered += try connection.drainReplies().count
            rounds += 1
        }
        XCTAssertEqual(answered, 200)
        XCTAssertGreaterThan(rounds, 5, "the replies went out in budget-sized batches")
        XCTAssertEqual(connection.socket.reads, 2, "reading resumed once everything was answered")
    }

    func testReadOperationsRunOneAtATime() throws {
        let connection = try EmbeddedConnection()
        let query = { (id: Int32) in RequestBuilder.request(id: .int32(id), op: "test.query", args: ["bytes": 100_000, "delay_ms": 10]) }
        try connection.send(query(1), query(2), query(3), RequestBuilder.ping(id: 4))
        XCTAssertEqual(connection.queriesStarted.withLockedValue { $0 }, 1)
        XCTAssertGreaterThanOrEqual(connection.budget.used, 16 << 20, "the running read holds room for the largest reply")
        connection.advance(by: .milliseconds(10))
        XCTAssertEqual(connection.queriesStarted.withLockedValue { $0 }, 2)
        connection.advance(by: .milliseconds(10))
        connection.advance(by: .milliseconds(10))
        let ids = try connection.drainReplies().map(\.replyID)
        XCTAssertEqual(ids, [.int32(1), .int32(2), .int32(4), .int32(3)], "the ping waited its turn: it started with the third read, not before")
        XCTAssertEqual(connection.budget.used, 0)
    }

    func testABadFrameBehindPipelinedRequestsIsTheLastReply() throws {
        let connection = try EmbeddedConnection()
        connection.socket.draining = true
        try connection.send(RequestBuilder.ping(id: 1, delayMs: 50).bytes + RequestBuilder.ping(id: 2).bytes + [4, 0, 0, 0, 1])
        XCTAssertEqual(try connection.replies().map(\.replyID), [.int32(2)])
        XCTAssertTrue(connection.isOpen)
        connection.advance(by: .milliseconds(50))
        let last = try connection.replies()
        XCTAssertEqual(last.map(\.replyID), [.int32(1), nil])
        XCTAssertEqual(last.last?.errorCode, "BAD_FRAME")
        XCTAssertFalse(connection.isOpen, "closed after the last write")
        XCTAssertTrue(connection.logs.all.contains { $0.message.hasPrefix("bad frame (conn 7, uid 1001): frame length 4 is below the minimum") }, "\(connection.logs.all.map(\.message))")
    }

    func testTheFrameTimerStopsWhileTheServerIsNotReading() throws {
        let connection = try EmbeddedConnection(limits: EmbeddedConnection.limits(maxInFlight: 1, frameTimeout: .seconds(2)))
        connection.socket.draining = true
        try connection.send(RequestBuilder.ping(id: 1, delayMs: 4000).bytes + Array(RequestBuilder.ping(id: 2).bytes.prefix(5)))
        XCTAssertEqual(connection.socket.reads, 1, "at the in-flight limit: not reading")
        connection.advance(by: .seconds(3))
        XCTAssertTrue(try connection.replies().isEmpty, "3 s paused do not count")
        connection.advance(by: .seconds(1))
        XCTAssertEqual(try connection.replies().map(\.replyID), [.int32(1)])
        XCTAssertEqual(connection.socket.reads, 2, "reading again: the clock runs")
        connection.advance(by: .milliseconds(1900))
        XCTAssertTrue(try connection.replies().isEmpty)
        connection.advance(by: .milliseconds(100))
        let reply = try XCTUnwrap(try connection.replies().first)
        XCTAssertEqual(reply.errorCode, "BAD_FRAME")
        XCTAssertTrue(reply["error"]?.documentValue?["message"]?.stringValue?.contains("not completed within 2000 ms") ?? false)
        XCTAssertFalse(connection.isOpen)
    }

    func testAFrameTimeoutAnswersTheRequestsReadBeforeIt() throws {
        let connection = try EmbeddedConnection(limits: EmbeddedConnection.limits(frameTimeout: .seconds(2)))
        connection.socket.draining = true
        try connection.send(RequestBuilder.ping(id: 1, delayMs: 4000).bytes + Array(RequestBuilder.ping(id: 2).bytes.prefix(5)))
        connection.advance(by: .seconds(2))
        XCTAssertTrue(try connection.replies().isEmpty, "timed out, but the ping still runs")
        XCTAssertTrue(connection.isOpen)
        connection.advance(by: .seconds(2))
        let replies = try connection.replies()
        XCTAssertEqual(replies.map(\.replyID), [.int32(1), nil], "the pong, then BAD_FRAME")
        XCTAssertEqual(replies.last?.errorCode, "BAD_FRAME")
        XCTAssertFalse(connection.isOpen)
    }

    func testTextWithANULIsAnsweredPerRequestAndTheConnectionGoesOn() throws {
        let connection = try EmbeddedConnection()
        connection.socket.draining = true
        // The BSON corpus's "Embedded nulls" string, as a request argument and as a whole frame.
        let nulInArgs = RawBSON.document(
            RawBSON.element(0x10, "id", RawBSON.int32(5)),
            RawBSON.element(0x02, "op", RawBSON.string(Array("describe".utf8))),
            RawBSON.element(0x03, "args", RawBSON.document(RawBSON.element(0x02, "op", RawBSON.string(Array("ab\0bab\0babab".utf8)))))
        )
        let corpus: [UInt8] = [0x19, 0, 0, 0, 0x02, 0x61, 0, 0x0D, 0, 0, 0, 0x61, 0x62, 0, 0x62, 0x61, 0x62, 0, 0x62, 0x61, 0x62, 0x61, 0x62, 0, 0]
        try connection.send(nulInArgs + corpus + RequestBuilder.ping(id: 6).bytes)
        let replies = try connection.replies()
        XCTAssertEqual(replies.count, 3)
        XCTAssertEqual(replies[0].replyID, .int32(5))
        XCTAssertEqual(replies[0].errorCode, "INVALID_ARGUMENT")
        XCTAssertEqual(replies[0]["error"]?.documentValue?["details"]?.documentValue?["field"], "op")
        XCTAssertNil(replies[1].replyID)
        XCTAssertEqual(replies[1].errorCode, "BAD_REQUEST", "a corpus document is a frame, just not a request")
        XCTAssertEqual(replies[2].replyID, .int32(6))
        XCTAssertEqual(replies[2]["ok"], .bool(true))
        XCTAssertTrue(connection.isOpen)
    }

    func testAPeerWithoutWriteAccessIsHeldToSmallFrames() throws {
        let connection = try EmbeddedConnection(maximumFrameBytes: 65_536, frameLimitReason: "uid 1001 may call no write operation")
        connection.socket.draining = true
        try connection.send([0xa0, 0x86, 0x01, 0x00])
        let reply = try XCTUnwrap(try connection.replies().first)
        XCTAssertEqual(reply.errorCode, "BAD_FRAME")
        XCTAssertEqual(
            reply["error"]?.documentValue?["message"]?.stringValue,
            "frame length 100000 exceeds this connection's maximum of 65536 bytes (uid 1001 may call no write operation)"
        )
        XCTAssertFalse(connection.isOpen)
    }

    func testADrainAnswersWhatWasReadAndClosesOnlyOnceTheRepliesAreWritten() throws {
        let connection = try EmbeddedConnection(limits: EmbeddedConnection.limits(maxInFlight: 1))
        try connection.send(RequestBuilder.ping(id: 1, delayMs: 100).bytes + RequestBuilder.ping(id: 2).bytes + Array(RequestBuilder.ping(id: 3).bytes.prefix(9)))
        connection.channel.pipeline.fireUserInboundEventTriggered(DrainEvent())
        XCTAssertTrue(connection.isOpen, "a request runs and another waits")
        connection.advance(by: .milliseconds(100))
        XCTAssertGreaterThan(connection.socket.pendingBytes, 0)
        XCTAssertTrue(connection.isOpen, "the replies are not written yet: the client has not read them")
        let replies = try connection.drainReplies()
        XCTAssertEqual(replies.map(\.replyID), [.int32(1), .int32(2)], "the waiting request ran too; the partial frame was dropped")
        XCTAssertFalse(connection.isOpen)
        XCTAssertEqual(connection.budget.used, 0)
    }

    func testTheDaemonBudgetPausesALargeFrameUntilAnotherConnectionGivesBack() throws {
        let budget = MemoryBudget(limit: 4 << 20)
        let first = try EmbeddedConnection(budget: budget)
        let second = try EmbeddedConnection(budget: budget)
        let big = RequestBuilder.request(id: 1, op: "nope", args: ["pad": .binary(subtype: 0, data: [UInt8](repeating: 1, count: 3 << 20))]).bytes
        try first.send(Array(big.prefix(60_000)))
        XCTAssertEqual(first.socket.reads, 2, "room for 3 MiB reserved: reading goes on")
        try second.send(Array(big.prefix(60_000)))
        XCTAssertEqual(second.socket.reads, 1, "no room for a second: it waits, not reading")
        XCTAssertTrue(budget.isUnderPressure)

        first.socket.draining = true
        try first.send(Array(big.dropFirst(60_000)))
        XCTAssertEqual(try first.replies().first?.errorCode, "UNKNOWN_OP")
        second.loop.run()
        XCTAssertEqual(second.socket.reads, 2, "woken once the first gave its room back")
        XCTAssertFalse(budget.isUnderPressure)
    }

    func testAClosedConnectionGivesBackEverythingOnceItsRequestsEnd() throws {
        let connection = try EmbeddedConnection()
        try connection.send(RequestBuilder.request(id: 1, op: "test.query", args: ["bytes": 10, "delay_ms": 100]), RequestBuilder.ping(id: 2))
        XCTAssertGreaterThan(connection.budget.used, 16 << 20)
        try connection.channel.close().wait()
        XCTAssertGreaterThanOrEqual(connection.budget.used, 16 << 20, "the running read's memory is real until it ends")
        connection.advance(by: .milliseconds(100))
        XCTAssertEqual(connection.budget.used, 0)
    }

    func testLogLinesNameTheOperationTheCodeAndThePeer() throws {
        let connection = try EmbeddedConnection()
        try connection.send(RequestBuilder.request(id: 3, op: "describe", args: ["op": "no.such.op"]), ["op": "ping"])
        let lines = connection.logs.all.map(\.message)
        XCTAssertTrue(lines.contains("request failed: describe NOT_FOUND (conn 7, uid 1001)"), "\(lines)")
        XCTAssertTrue(lines.contains("request refused: BAD_REQUEST (conn 7, uid 1001): envelope has no 'id'"), "\(lines)")
        let failed = try XCTUnwrap(connection.logs.all.first { $0.message.hasPrefix("request failed") })
        XCTAssertEqual(failed.metadata["op"], "describe")
        XCTAssertEqual(failed.metadata["code"], "NOT_FOUND")
        XCTAssertEqual(failed.metadata["id"], "3")
        XCTAssertEqual(failed.metadata["peer_uid"], "1001")
        XCTAssertEqual(failed.metadata["conn"], "7")
    }

    func testTheSmallFrameLimitIsDecidedByTheWriteGroup() {
        let policy = AccessPolicy(rules: [.init(.uid(10), [.read, .write]), .init(.uid(11), [.read, .auth])], source: "test")
        let writer = PeerCredentials(pid: 1, uid: 10, gid: 10)
        let reader = PeerCredentials(pid: 1, uid: 11, gid: 11)
        XCTAssertEqual(PeerFrameLimit.decide(peer: writer, policy: policy, maxMessageBytes: 16 << 20, smallPeerMaxFrameBytes: 65_536).maximumFrameBytes, 16 << 20)
        let small = PeerFrameLimit.decide(peer: reader, policy: policy, maxMessageBytes: 16 << 20, smallPeerMaxFrameBytes: 65_536)
        XCTAssertEqual(small.maximumFrameBytes, 65_536)
        XCTAssertEqual(small.reason, "uid 11 may call no write operation, and no other operation takes a request that large")
        XCTAssertEqual(PeerFrameLimit.decide(peer: reader, policy: policy, maxMessageBytes: 4096, smallPeerMaxFrameBytes: 65_536).maximumFrameBytes, 4096)
        XCTAssertEqual(PeerFrameLimit.decide(peer: nil, policy: .allowAll, maxMessageBytes: 16 << 20, smallPeerMaxFrameBytes: 65_536).maximumFrameBytes, 16 << 20)
    }
}
