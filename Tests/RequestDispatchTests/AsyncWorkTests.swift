import BSONCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
@testable import RequestDispatch
import WireProtocol
import XCTest

/// `AsyncWork.run` runs a handler's work on the connection's event loop,
/// before and after the work it awaits on a thread pool (two thread
/// hand-offs per request, not four), and still refuses work whose deadline
/// has passed.
final class AsyncWorkTests: XCTestCase {
    func testTheBodyRunsOnTheConnectionsLoopBeforeAndAfterThePoolsWork() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        defer {
            try? pool.syncShutdownGracefully()
            try? group.syncShutdownGracefully()
        }
        for loop in [group.next(), group.next()] {
            let context = RequestContext(eventLoop: loop, logger: Logger(label: "test"), connectionID: 1)
            guard case .future(let future) = AsyncWork.run(context, {
                let before = loop.inEventLoop
                let onPool = try await pool.runIfActive { !loop.inEventLoop }
                let after = loop.inEventLoop
                return ["before": .bool(before), "on_pool": .bool(onPool), "after": .bool(after)]
            }) else { return XCTFail("AsyncWork gives a future") }
            let result = try future.wait()
            XCTAssertEqual(result["before"], .bool(true), "the task starts on the connection's loop")
            XCTAssertEqual(result["on_pool"], .bool(true), "the awaited work runs off the loop")
            XCTAssertEqual(result["after"], .bool(true), "the task resumes on the connection's loop")
        }
    }

    func testWorkPastItsDeadlineIsNotStarted() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let ran = NIOLockedValueBox(false)
        let context = RequestContext(
            eventLoop: group.next(), logger: Logger(label: "test"), connectionID: 1, deadline: .now() - .milliseconds(1)
        )
        guard case .future(let future) = AsyncWork.run(context, {
            ran.withLockedValue { $0 = true }
            return [:]
        }) else { return XCTFail("AsyncWork gives a future") }
        XCTAssertThrowsError(try future.wait()) { error in
            XCTAssertEqual((error as? WireError)?.code, .deadlineExceeded)
        }
        XCTAssertFalse(ran.withLockedValue { $0 })
    }
}
