import NIOCore
@testable import Server
import WireProtocol
import XCTest

/// Every transition of the connection state machine, without a socket.
final class ConnectionStateMachineTests: XCTestCase {
    typealias Machine = ConnectionStateMachine<String>
    let frame = MachineHarness.frameBytes

    // MARK: reading and starting

    func testFramesStartInOrderAndReadingResumesWhenNothingWaits() {
        var h = MachineHarness()
        h.machine.readRequested()
        XCTAssertEqual(h.run().first, .checkReadPermission(large: false))
        XCTAssertTrue(h.actions.contains(.read))
        h.receive(frame(30) + frame(40) + frame(50), as: [.request("a"), .request("b"), .request("c")])
        let actions = h.run()
        XCTAssertEqual(MachineHarness.dispatched(actions).map(\.0), ["a", "b", "c"])
        XCTAssertEqual(MachineHarness.dispatched(actions).map(\.1.bytes), [30 + 256, 40 + 256, 50 + 256])
        XCTAssertFalse(actions.contains(.read), "NIO has not asked again")
        h.machine.readRequested()
        XCTAssertTrue(h.run().contains(.read))
    }

    func testInFlightLimitPausesReadingAndDecodingUntilOneFinishes() {
        var h = MachineHarness(limits: MachineHarness.limits(maxInFlight: 2))
        h.receive(frame(30) + frame(30) + frame(30), as: [.request("a"), .request("b"), .request("c")])
        var actions = h.run()
        let started = MachineHarness.dispatched(actions)
        XCTAssertEqual(started.map(\.0), ["a", "b"], "c waits, undecoded")
        XCTAssertEqual(h.machine.bufferedFrames, 1)
        h.machine.readRequested()
        actions = h.run()
        XCTAssertFalse(actions.contains(.read))
        XCTAssertEqual(h.machine.readPauses, [.inFlight, .waiting])

        h.machine.requestFinished(started[0].1, replyBytes: 40, now: h.now)
        actions = h.run()
        XCTAssertEqual(MachineHarness.dispatched(actions).map(\.0), ["c"])
        XCTAssertEqual(MachineHarness.flushes(actions), [40])
        XCTAssertFalse(actions.contains(.read), "two run again: still at the limit")
        XCTAssertEqual(h.machine.readPauses, [.inFlight])

        h.machine.requestFinished(started[1].1, replyBytes: 40, now: h.now)
        XCTAssertTrue(h.run().contains(.read))
    }

    func testUnsentReplyBudgetPausesStartsAndReadingUntilTheClientDrains() {
        var h = MachineHarness(limits: MachineHarness.limits(maxInFlight: 100, maxUnsentBytes: 1000))
        h.rejectionReplyBytes = 600
        // Requests answered at once (here: envelope errors) count like any reply.
        h.receive(frame(30) + frame(30) + frame(30), as: [.rejected, .rejected, .rejected])
        h.machine.readRequested()
        var actions = h.run()
        XCTAssertEqual(actions.filter { $0 == .decodeNextFrame }.count, 2, "the third waits: 1200 unsent bytes ≥ 1000")
        XCTAssertEqual(MachineHarness.flushes(actions), [1200])
        XCTAssertEqual(h.machine.unsent, 1200)
        XCTAssertFalse(actions.contains(.read))
        XCTAssertEqual(h.machine.readPauses, [.waiting, .unsentReplies])

        h.machine.flushCompleted(batch: 1200, now: h.now)
        actions = h.run()
        XCTAssertEqual(actions.filter { $0 == .decodeNextFrame }.count, 1)
        XCTAssertTrue(actions.contains(.read), "600 unsent, nothing waits: reading resumes")
        h.machine.flushCompleted(batch: 600, now: h.now)
        h.run()
        XCTAssertEqual(h.machine.held, 0)
    }

    func testOneReplyOfAnySizeStillGoesOut() {
        var h = MachineHarness(limits: MachineHarness.limits(maxUnsentBytes: 1000))
        h.receive(frame(30), as: [.request("big")])
        let ticket = MachineHarness.dispatched(h.run())[0].1
        h.machine.requestFinished(ticket, replyBytes: 5_000_000, now: h.now)
        XCTAssertEqual(MachineHarness.flushes(h.run()), [5_000_000])
    }

    func testReadsUnboundedRepliesOneAtATimeEachWithItsReservation() {
        var h = MachineHarness(limits: MachineHarness.limits(maxInFlight: 10, maxUnsentBytes: 100_000, maxReplyBytes: 1 << 20))
        h.receive(frame(30) + frame(30) + frame(30), as: [.request("q1", unbounded: true), .request("q2", unbounded: true), .request("ping")])
        var actions = h.run()
        XCTAssertEqual(actions.filter { if case .reserve(1 << 20) = $0 { return true } else { return false } }.count, 1)
        let first = MachineHarness.dispatched(actions)
        XCTAssertEqual(first.map(\.0), ["q1"], "q2 waits for q1; ping waits behind q2 (order is kept)")
        XCTAssertEqual(h.machine.runningUnbounded, 1)

        h.machine.requestFinished(first[0].1, replyBytes: 50_000, now: h.now)
        actions = h.run()
        XCTAssertEqual(MachineHarness.dispatched(actions).map(\.0), ["q2", "ping"])
        XCTAssertTrue(actions.contains(.reserve(1 << 20)))
        XCTAssertEqual(h.machine.held, 50_000 + (30 + 256) * 2 + (1 << 20))
    }

    func testAReadWaitsWhileUnsentBytesReachTheBudgetEvenIfDecoded() {
        var h = MachineHarness(limits: MachineHarness.limits(maxInFlight: 10, maxUnsentBytes: 100_000))
        h.receive(frame(30) + frame(30), as: [.request("q1", unbounded: true), .request("q2", unbounded: true)])
        let first = MachineHarness.dispatched(h.run())
        h.machine.requestFinished(first[0].1, replyBytes: 12_000_000, now: h.now)
        var actions = h.run()
        XCTAssertTrue(MachineHarness.dispatched(actions).isEmpty, "12 MB unsent: q2 may not start")
        h.machine.flushCompleted(batch: 12_000_000, now: h.now)
        actions = h.run()
        XCTAssertEqual(MachineHarness.dispatched(actions).map(\.0), ["q2"])
    }

    // MARK: the daemon budget

    func testARefusedReadPermissionWaitsForTheBudget() {
        var h = MachineHarness()
        h.grantReads = false
        h.machine.readRequested()
        XCTAssertEqual(h.run(), [.checkReadPermission(large: false)])
        XCTAssertEqual(h.machine.readPauses, [.memoryBudget])
        XCTAssertEqual(h.run(), [], "it does not ask again while it waits")
        h.grantWaiting(bytes: 0)
        XCTAssertEqual(h.run(), [.read])
    }

    func testALargeHolderAsksAsOne() {
        var h = MachineHarness(limits: MachineHarness.limits(maxInFlight: 10))
        // Five requests of 20 KiB each run: the connection holds ~100 KiB.
        h.receive((0..<5).flatMap { _ in frame(20_000) }, as: (0..<5).map { .request("w\($0)") })
        h.run()
        h.machine.readRequested()
        XCTAssertEqual(h.run().first, .checkReadPermission(large: true))
    }

    func testALargeFrameReservesItsLengthBeforeItsBodyIsRead() {
        var h = MachineHarness()
        h.grantReservations = false
        let big = frame(200_000)
        h.receive(Array(big.prefix(60_000)))
        h.machine.readRequested()
        XCTAssertEqual(h.run(), [.reserve(200_000)])
        XCTAssertEqual(h.machine.readPauses, [.memoryBudget])
        XCTAssertEqual(h.machine.held, 0, "nothing charged before the reservation is granted")

        h.grantWaiting(bytes: 200_000)
        XCTAssertEqual(h.run().first, .read, "no read permission needed: the frame's room is reserved")
        XCTAssertEqual(h.machine.held, 200_000)
        h.receive(Array(big.dropFirst(60_000)), as: [.request("insert")])
        let actions = h.run()
        XCTAssertEqual(MachineHarness.dispatched(actions).map(\.1.bytes), [200_000 + 256])
        XCTAssertEqual(h.machine.held, 200_256)
        XCTAssertEqual(h.budgetHeld, h.machine.held)
    }

    func testAConnectionThatStopsWhileWaitingLeavesTheBudgetQueue() {
        var h = MachineHarness()
        h.grantReservations = false
        h.receive(Array(frame(200_000).prefix(1000)))
        h.machine.readRequested()
        XCTAssertEqual(h.run(), [.reserve(200_000)])
        XCTAssertEqual(h.machine.awaitedReservation, 200_000)
        h.machine.drain()
        let actions = h.run()
        XCTAssertTrue(actions.contains(.cancelBudgetWait))
        XCTAssertNil(h.machine.awaitedReservation, "a late grant is given back")
        XCTAssertTrue(actions.contains(.close(.finished)))
    }

    func testASmallPartialFrameIsChargedItsDeclaredLength() {
        var h = MachineHarness()
        h.receive(Array(frame(1000).prefix(10)))
        XCTAssertEqual(h.machine.held, 1000)
        h.run()
        XCTAssertEqual(h.budgetHeld, 1000)
    }

    func testEverythingHeldIsGivenBackOnceAnswered() {
        var h = MachineHarness(limits: MachineHarness.limits(maxInFlight: 10, maxUnsentBytes: 1 << 30))
        h.receive(frame(300) + frame(500) + Array(frame(90_000).prefix(100)), as: [.request("a"), .request("q", unbounded: true)])
        var tickets = MachineHarness.dispatched(h.run()).map(\.1)
        h.machine.readRequested()
        h.run()
        h.receive(Array(frame(90_000).dropFirst(100)), as: [.request("c")])
        tickets += MachineHarness.dispatched(h.run()).map(\.1)
        XCTAssertEqual(tickets.count, 3)
        for (index, ticket) in tickets.enumerated() {
            h.machine.requestFinished(ticket, replyBytes: 100 * (index + 1), now: h.now)
        }
        let flushed = MachineHarness.flushes(h.run())
        for batch in flushed { h.machine.flushCompleted(batch: batch, now: h.now) }
        h.run()
        XCTAssertEqual(h.machine.held, 0)
        XCTAssertEqual(h.budgetHeld, 0, "every byte reserved or adjusted was given back")
    }

    func testClosingKeepsRunningRequestsChargedUntilTheyFinish() {
        var h = MachineHarness()
        h.receive(frame(300), as: [.request("a", unbounded: true)])
        let tickets = MachineHarness.dispatched(h.run()).map(\.1)
        XCTAssertEqual(tickets.count, 1)
        h.machine.channelClosed()
        h.run()
        XCTAssertEqual(h.budgetHeld, tickets[0].bytes + (1 << 20), "the running read still holds its frame and its reply's room")
        h.machine.requestFinished(tickets[0], replyBytes: 0, now: h.now)
        h.run()
        XCTAssertEqual(h.budgetHeld, 0)
    }

    // MARK: draining and closing

    func testDrainAnswersWhatWasReadThenClosesAfterTheLastWrite() {
        var h = MachineHarness(limits: MachineHarness.limits(maxInFlight: 1))
        h.receive(frame(30) + frame(30) + Array(frame(30).prefix(7)), as: [.request("a"), .request("b")])
        let a = MachineHarness.dispatched(h.run())
        h.machine.drain()
        var actions = h.run()
        XCTAssertEqual(actions.first, .discardInput(keeping: 30), "the partial frame is dropped; b stays")
        XCTAssertFalse(actions.contains { if case .close = $0 { return true } else { return false } })

        h.machine.requestFinished(a[0].1, replyBytes: 40, now: h.now)
        actions = h.run()
        let b = MachineHarness.dispatched(actions)
        XCTAssertEqual(b.map(\.0), ["b"], "a request waiting when the drain began still runs")
        XCTAssertEqual(MachineHarness.flushes(actions), [40])
        h.machine.requestFinished(b[0].1, replyBytes: 40, now: h.now)
        actions = h.run()
        XCTAssertEqual(MachineHarness.flushes(actions), [40])
        XCTAssertFalse(actions.contains(.close(.finished)), "replies pending: not yet")
        h.machine.flushCompleted(batch: 40, now: h.now)
        XCTAssertFalse(h.run().contains(.close(.finished)), "one batch still unwritten")
        h.machine.flushCompleted(batch: 40, now: h.now)
        XCTAssertEqual(h.run().first, .close(.finished))
        h.machine.readRequested()
        XCTAssertFalse(h.run().contains(.read))
    }

    func testIdleTimeoutClosesOnlyAnIdleConnection() {
        var h = MachineHarness()
        h.receive(frame(30), as: [.request("slow")])
        let slow = MachineHarness.dispatched(h.run())
        XCTAssertFalse(h.machine.drain(idleOnly: true))
        XCTAssertFalse(h.machine.isEnding)
        h.machine.requestFinished(slow[0].1, replyBytes: 40, now: h.now)
        XCTAssertEqual(MachineHarness.flushes(h.run()), [40])
        h.machine.flushCompleted(batch: 40, now: h.now)
        h.run()
        XCTAssertTrue(h.machine.drain(idleOnly: true))
        XCTAssertTrue(h.run().contains(.close(.finished)))
    }

    func testHalfCloseAnswersEveryRequestThenCloses() {
        var h = MachineHarness()
        h.receive(frame(30) + frame(30), as: [.request("a"), .request("b")])
        let tickets = MachineHarness.dispatched(h.run()).map(\.1)
        h.machine.inputClosed()
        XCTAssertFalse(h.run().contains(.close(.finished)))
        for ticket in tickets { h.machine.requestFinished(ticket, replyBytes: 40, now: h.now) }
        h.run()
        h.machine.flushCompleted(batch: 80, now: h.now)
        XCTAssertEqual(h.run().first, .close(.finished))
    }

    // MARK: framing errors

    func testABadFrameBehindPipelinedRequestsComesLastAfterTheirReplies() {
        var h = MachineHarness(limits: MachineHarness.limits(maxInFlight: 1))
        let bad: [UInt8] = [4, 0, 0, 0, 9, 9]
        h.receive(frame(30) + frame(30) + frame(30) + bad, as: [.request("a"), .request("b"), .request("c")])
        XCTAssertEqual(h.keptBytes, 90, "the bad frame's bytes are not kept")
        var actions = h.run()
        let a = MachineHarness.dispatched(actions)
        XCTAssertEqual(a.map(\.0), ["a"])
        XCTAssertFalse(actions.contains { if case .writeFinalError = $0 { return true } else { return false } })

        h.machine.requestFinished(a[0].1, replyBytes: 40, now: h.now)
        let b = MachineHarness.dispatched(h.run())
        h.machine.requestFinished(b[0].1, replyBytes: 40, now: h.now)
        let c = MachineHarness.dispatched(h.run())
        XCTAssertEqual(c.map(\.0), ["c"], "every request before the bad frame runs, waiting ones included")
        h.machine.requestFinished(c[0].1, replyBytes: 40, now: h.now)
        actions = h.run()
        XCTAssertEqual(actions.first { if case .writeFinalError = $0 { return true } else { return false } },
                       .writeFinalError(.badFrame(.lengthTooSmall(4))))
        XCTAssertEqual(MachineHarness.flushes(actions), [130], "the last reply and BAD_FRAME in one batch")
        h.machine.flushCompleted(batch: 40, now: h.now)
        h.machine.flushCompleted(batch: 40, now: h.now)
        h.machine.flushCompleted(batch: 130, now: h.now)
        XCTAssertEqual(h.run().first, .close(.finished))
    }

    func testAnInvalidDocumentStopsEverythingAfterIt() {
        var h = MachineHarness()
        h.receive(frame(30) + frame(30) + frame(30), as: [.request("a"), .invalid(.invalidDocument("bad")), .request("never")])
        let actions = h.run()
        XCTAssertEqual(MachineHarness.dispatched(actions).map(\.0), ["a"])
        XCTAssertTrue(actions.contains(.discardInput(keeping: 0)))
        XCTAssertEqual(h.machine.bufferedFrames, 0)
        XCTAssertEqual(h.frames.count, 1, "the frame after the bad one was never decoded")
    }

    func testAFrameOverTheConnectionLimitSaysWhy() {
        var h = MachineHarness()
        h.machine = Machine(limits: MachineHarness.limits(), maximumFrameBytes: 65_536, frameLimitReason: "uid 7 may call no write operation", now: h.now)
        h.receive(Array(frame(100_000).prefix(8)))
        XCTAssertEqual(h.run().first { if case .writeFinalError = $0 { return true } else { return false } },
                       .writeFinalError(.badFrame(.lengthAboveConnectionLimit(length: 100_000, maximum: 65_536, reason: "uid 7 may call no write operation"))))
    }

    func testEndOfInputInsideAFrameIsATruncatedFrameAfterTheReplies() {
        var h = MachineHarness()
        h.receive(frame(30) + Array(frame(50).prefix(10)), as: [.request("a")])
        let a = MachineHarness.dispatched(h.run())
        h.machine.inputClosed()
        XCTAssertFalse(h.run().contains { if case .writeFinalError = $0 { return true } else { return false } })
        h.machine.requestFinished(a[0].1, replyBytes: 40, now: h.now)
        XCTAssertTrue(h.run().contains(.writeFinalError(.badFrame(.truncated(received: 10, expected: 50)))))
    }

    // MARK: the frame timer

    func testTheFrameTimerRunsOnlyWhileTheServerReads() {
        var h = MachineHarness(limits: MachineHarness.limits(maxInFlight: 1, frameTimeout: .seconds(2)))
        h.receive(frame(30) + Array(frame(30).prefix(5)), as: [.request("slow")])
        let slow = MachineHarness.dispatched(h.run())
        h.machine.readRequested()
        XCTAssertFalse(h.run().contains(.read), "at the in-flight limit: paused")
        XCTAssertEqual(h.machine.readPauses, [.inFlight])

        // 10 s paused: the server's doing, not the client's.
        h.advance(.seconds(10))
        h.machine.timerFired(now: h.now, underPressure: false)
        XCTAssertFalse(h.run().contains { if case .writeFinalError = $0 { return true } else { return false } })
        XCTAssertEqual(h.machine.frameClock(now: h.now), .zero)

        h.machine.requestFinished(slow[0].1, replyBytes: 40, now: h.now)
        var actions = h.run()
        XCTAssertTrue(actions.contains(.read))
        let deadlines = actions.compactMap { if case .scheduleTimer(let at) = $0 { return at } else { return nil } }
        XCTAssertEqual(deadlines.last, h.now + .seconds(2), "the clock starts when reading does")
        h.advance(.milliseconds(1999))
        h.machine.timerFired(now: h.now, underPressure: false)
        XCTAssertFalse(h.run().contains { if case .writeFinalError = $0 { return true } else { return false } })
        h.advance(.milliseconds(1))
        h.machine.timerFired(now: h.now, underPressure: false)
        actions = h.run()
        XCTAssertTrue(actions.contains(.writeFinalError(.badFrame(.timedOut(milliseconds: 2000)))))
        XCTAssertTrue(actions.contains(.discardInput(keeping: 0)))
    }

    func testWhenTheTimerFiresRequestsAlreadyReadAreAnsweredFirst() {
        var h = MachineHarness(limits: MachineHarness.limits(frameTimeout: .seconds(2)))
        // ping delay_ms 4000, then 5 bytes of the next frame.
        h.receive(frame(40) + Array(frame(30).prefix(5)), as: [.request("ping-4s")])
        let ping = MachineHarness.dispatched(h.run())
        h.machine.readRequested()
        XCTAssertTrue(h.run().contains(.read))
        h.advance(.seconds(2))
        h.machine.timerFired(now: h.now, underPressure: false)
        var actions = h.run()
        XCTAssertFalse(actions.contains { if case .writeFinalError = $0 { return true } else { return false } }, "the ping runs")
        XCTAssertFalse(actions.contains(.close(.finished)))
        h.advance(.seconds(2))
        h.machine.requestFinished(ping[0].1, replyBytes: 38, now: h.now)
        actions = h.run()
        XCTAssertEqual(actions.first, .writeFinalError(.badFrame(.timedOut(milliseconds: 2000))), "the pong, then BAD_FRAME")
    }

    func testAPartialPrefixStartsTheClockToo() {
        var h = MachineHarness(limits: MachineHarness.limits(frameTimeout: .seconds(2)))
        h.receive([26, 0])
        h.machine.readRequested()
        let actions = h.run()
        XCTAssertTrue(actions.contains(.scheduleTimer(h.now + .seconds(2))))
    }

    // MARK: stalls under memory pressure

    func testAClientHoldingAReservedFrameWithoutProgressIsClosedOnlyUnderPressure() {
        var h = MachineHarness(limits: MachineHarness.limits(frameTimeout: .seconds(30), stallTimeout: .seconds(1)))
        h.receive(Array(frame(16 << 20).prefix(60_000)))
        h.machine.readRequested()
        XCTAssertEqual(h.run().first, .reserve(16 << 20))
        h.machine.readRequested()
        h.receive(Array(frame(16 << 20)[60_000..<200_000]))
        h.machine.readRequested()
        h.run()
        h.advance(.seconds(1))
        h.machine.timerFired(now: h.now, underPressure: false)
        XCTAssertFalse(h.run().contains { if case .writeFinalError = $0 { return true } else { return false } }, "no pressure: only the frame timer applies")
        h.advance(.seconds(1))
        h.machine.timerFired(now: h.now, underPressure: true)
        let actions = h.run()
        XCTAssertTrue(actions.contains(.writeFinalError(.stalled(heldBytes: 200_000))))
        XCTAssertEqual(h.machine.held, h.finalErrorBytes, "its reservation is given back at once")
        XCTAssertEqual(h.budgetHeld, h.machine.held)
    }

    func testAClientThatReadsNoneOfItsRepliesIsClosedUnderPressure() {
        var h = MachineHarness(limits: MachineHarness.limits(maxUnsentBytes: 1 << 20, stallTimeout: .seconds(1)))
        h.receive(frame(30), as: [.request("q")])
        let q = MachineHarness.dispatched(h.run())
        h.machine.requestFinished(q[0].1, replyBytes: 500_000, now: h.now)
        let actions = h.run()
        XCTAssertTrue(actions.contains(.scheduleTimer(h.now + .seconds(1))))
        h.advance(.seconds(1))
        h.machine.timerFired(now: h.now, underPressure: true)
        XCTAssertEqual(h.run().first, .close(.stalledReplies(unsentBytes: 500_000)))
    }
}
