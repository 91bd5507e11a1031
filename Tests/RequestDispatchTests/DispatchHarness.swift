import BSONCore
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import RequestDispatch
import TestSupport
import WireProtocol
import XCTest

/// Shared set-up for the dispatcher tests (not a test file): a dispatcher, an
/// embedded event loop whose clock the test moves, and a logger whose records
/// the test can read.
final class DispatchHarness {
    let loop = EmbeddedEventLoop()
    let logs = LogRecords()
    let dispatcher: Dispatcher
    let info: ServerInfo

    init(
        extra: [RequestDispatch.Operation] = [],
        info: ServerInfo = ServerInfo(storeKind: "sqlite", limits: .init(maxMessageBytes: 1 << 20, maxBatch: 500, maxPage: 200, maxInFlight: 16))
    ) {
        self.info = info
        self.dispatcher = Dispatcher(info: info, operations: extra)
    }

    deinit {
        try? loop.syncShutdownGracefully()
    }

    var logger: Logger {
        let records = logs
        var logger = Logger(label: "dispatch-tests") { _ in CapturingLogHandler(records: records) }
        logger.logLevel = .trace
        return logger
    }

    /// `deadline` is relative to the embedded loop's clock.
    func dispatch(_ op: String, _ args: BSONDocument = BSONDocument(), id: RequestID = .int32(1), deadline: TimeAmount? = nil) -> Dispatcher.Outcome {
        let context = RequestContext(
            eventLoop: loop, logger: logger, connectionID: 7,
            receivedAt: loop.now, deadline: deadline.map { loop.now + $0 }
        )
        return dispatcher.dispatch(Request(id: id, op: op, args: args), context: context)
    }

    /// The reply of an operation that answers at once.
    func reply(_ op: String, _ args: BSONDocument = BSONDocument(), id: RequestID = .int32(1),
               file: StaticString = #filePath, line: UInt = #line) -> Reply? {
        switch dispatch(op, args, id: id) {
        case .reply(let reply):
            return reply
        case .pending(let future):
            loop.run()
            let box = ResultBox<Reply>()
            future.whenComplete { box.set($0) }
            XCTFail("\(op) answered later, expected at once", file: file, line: line)
            return try? box.get()?.get()
        }
    }

    /// The result document of a successful immediate reply.
    func result(_ op: String, _ args: BSONDocument = BSONDocument(), file: StaticString = #filePath, line: UInt = #line) -> BSONDocument? {
        switch reply(op, args, file: file, line: line) {
        case .success(let id, let result)?:
            XCTAssertEqual(id, .int32(1), file: file, line: line)
            return result
        case let other:
            XCTFail("expected success, got \(String(describing: other))", file: file, line: line)
            return nil
        }
    }

    /// The error of a failed immediate reply, checking it echoes `id`.
    func error(_ op: String, _ args: BSONDocument = BSONDocument(), id: RequestID = .int32(1),
               file: StaticString = #filePath, line: UInt = #line) -> WireError? {
        switch reply(op, args, id: id, file: file, line: line) {
        case .failure(let replyID, let error)?:
            XCTAssertEqual(replyID, id, "the failure echoes the request id", file: file, line: line)
            return error
        case let other:
            XCTFail("expected failure, got \(String(describing: other))", file: file, line: line)
            return nil
        }
    }
}

/// A result delivered on an event loop, read from the test.
final class ResultBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<Value, any Error>?

    func set(_ result: Result<Value, any Error>) {
        lock.lock(); defer { lock.unlock() }
        value = result
    }

    func get() -> Result<Value, any Error>? {
        lock.lock(); defer { lock.unlock() }
        return value
    }
}
