import BSONCore
import Logging
import NIOCore
import NIOPosix
import NIOEmbedded
import RequestDispatch
import WireProtocol
import XCTest

/// `Dispatcher`: routing, error mapping and deadlines.
final class DispatcherTests: XCTestCase {
    private struct StoreDown: WireErrorConvertible {
        var wireError: WireError { WireError(.unavailable, "the store is not reachable") }
    }

    private struct SecretFailure: Error, CustomStringConvertible {
        var description: String { "disk /var/lib/deltastore/secret.db: I/O error 5" }
    }

    private static func descriptor(_ name: String) -> OperationDescriptor {
        OperationDescriptor(name: name, group: .admin, summary: "test operation \(name)", result: "{}")
    }

    private static func operation(_ name: String, _ handler: @escaping OperationHandler) -> RequestDispatch.Operation {
        RequestDispatch.Operation(descriptor(name), handler: handler)
    }

    // MARK: - Routing

    func testUnknownOperation() {
        let harness = DispatchHarness()
        XCTAssertEqual(harness.error("ticks.explode", id: .int64(44)), WireError(.unknownOp, "unknown operation 'ticks.explode'"))
    }

    private static let echoDescriptor = OperationDescriptor(
        name: "echo", group: .admin, summary: "test operation echo",
        arguments: [.init("x", "int32|int64", required: true, "echoed")], result: "{got: int64}"
    )

    func testExtraOperationReceivesItsArguments() {
        let echo = RequestDispatch.Operation(Self.echoDescriptor) { arguments, _ in
            .value(["got": .int64(try arguments.integer("x", in: 0...10) ?? -1)])
        }
        let harness = DispatchHarness(extra: [echo])
        XCTAssertEqual(harness.reply("echo", ["x": 1], id: .string("e")), .failure(id: .string("e"), error: WireError(.internalError, "internal error while running 'echo'")),
                       "a handler reading a required argument as optional is the server's bug")
        let fixed = RequestDispatch.Operation(Self.echoDescriptor) { arguments, _ in
            .value(["got": .int64(try arguments.required("x", type: "int32|int64").integerValue ?? -1)])
        }
        let again = DispatchHarness(extra: [fixed])
        XCTAssertEqual(again.reply("echo", ["x": 1], id: .string("e")), .success(id: .string("e"), result: ["got": .int64(1)]))
        XCTAssertEqual(again.error("echo", [:]), .invalidArgument(field: "x", reason: "required"))
    }

    func testArgumentsAreCheckedAgainstTheDescriptorBeforeTheHandlerRuns() {
        let ran = ResultBox<Bool>()
        let echo = RequestDispatch.Operation(Self.echoDescriptor) { _, _ in
            ran.set(.success(true))
            return .value([:])
        }
        let harness = DispatchHarness(extra: [echo])
        XCTAssertEqual(harness.error("echo", ["x": 1, "y": 2]), .invalidArgument(field: "y", reason: "unknown argument (allowed: x)"))
        XCTAssertEqual(harness.error("echo", BSONDocument([("x", 1), ("x", 2)])), .invalidArgument(field: "x", reason: "given more than once"))
        XCTAssertNil(ran.get(), "the handler never ran")
    }

    func testHandlerSeesTheRequestContext() {
        let seen = ResultBox<UInt64>()
        let probe = Self.operation("probe") { _, context in
            seen.set(.success(context.connectionID))
            return .value([:])
        }
        let harness = DispatchHarness(extra: [probe])
        XCTAssertNotNil(harness.result("probe"))
        XCTAssertEqual(try seen.get()?.get(), 7)
    }

    func testDescriptorLookup() {
        let harness = DispatchHarness(extra: [Self.operation("x") { _, _ in .value([:]) }])
        XCTAssertEqual(harness.dispatcher.descriptor(of: "x")?.summary, "test operation x")
        XCTAssertEqual(harness.dispatcher.descriptor(of: "hello")?.name, "hello")
        XCTAssertNil(harness.dispatcher.descriptor(of: "y"))
        XCTAssertEqual(harness.dispatcher.descriptors.map(\.name), ["hello", "ping", "describe", "stats", "x"])
    }

    func testAnOperationNamedLikeACoreOperationDoesNotReplaceIt() throws {
        let impostor = Self.operation("ping") { _, _ in .value(["impostor": true]) }
        let twice = [Self.operation("x") { _, _ in .value(["first": true]) }, Self.operation("x") { _, _ in .value(["second": true]) }]
        let harness = DispatchHarness(extra: [impostor] + twice)
        XCTAssertEqual(harness.result("ping"), ["pong": true], "the first registration wins")
        XCTAssertEqual(harness.result("x"), ["first": true])
        // And hello, describe and the descriptors say the same as the table: each name once.
        XCTAssertEqual(harness.result("hello")?["ops"], ["hello", "ping", "describe", "stats", "x"])
        XCTAssertEqual(harness.dispatcher.descriptors.map(\.name), ["hello", "ping", "describe", "stats", "x"])
        XCTAssertEqual(harness.dispatcher.descriptor(of: "ping")?.summary, harness.dispatcher.descriptors[1].summary)
        let described = try XCTUnwrap(harness.result("describe")?["ops"]?.arrayValue)
        XCTAssertEqual(described.count, 5)
    }

    // MARK: - Errors

    func testHandlerThrowingWireError() {
        let failing = Self.operation("fail") { _, _ in throw WireError(.conflict, "email already registered", details: ["field": "email"]) }
        let harness = DispatchHarness(extra: [failing])
        XCTAssertEqual(harness.error("fail", id: .string("f")), WireError(.conflict, "email already registered", details: ["field": "email"]))
    }

    func testHandlerThrowingWireErrorConvertible() {
        let failing = Self.operation("fail") { _, _ in throw StoreDown() }
        let harness = DispatchHarness(extra: [failing])
        XCTAssertEqual(harness.error("fail"), WireError(.unavailable, "the store is not reachable"))
    }

    func testArbitraryErrorIsInternalWithoutItsText() throws {
        let failing = Self.operation("leaky") { _, _ in throw SecretFailure() }
        let harness = DispatchHarness(extra: [failing])
        let error = try XCTUnwrap(harness.error("leaky"))
        XCTAssertEqual(error, WireError(.internalError, "internal error while running 'leaky'"))
        XCTAssertFalse(error.message.contains("secret"), error.message)
        XCTAssertNil(error.details)
        // The text is for the operator's log, not the client.
        let logged = harness.logs.all.filter { $0.level == .error }
        XCTAssertEqual(logged.count, 1)
        XCTAssertEqual(logged.first?.metadata["op"], "leaky")
        XCTAssertTrue(logged.first?.metadata["error"]?.description.contains("I/O error 5") ?? false, "\(logged)")
    }

    func testFutureFailingWithWireError() throws {
        let failing = Self.operation("later") { _, context in
            .future(context.eventLoop.makeFailedFuture(WireError(.notFound, "no tick")))
        }
        let harness = DispatchHarness(extra: [failing])
        XCTAssertEqual(try pendingReply(harness, "later", id: .int32(5)), .failure(id: .int32(5), error: WireError(.notFound, "no tick")))
    }

    func testFutureFailingWithConvertibleAndArbitraryErrors() throws {
        let convertible = Self.operation("down") { _, context in .future(context.eventLoop.makeFailedFuture(StoreDown())) }
        let arbitrary = Self.operation("broken") { _, context in .future(context.eventLoop.makeFailedFuture(SecretFailure())) }
        let harness = DispatchHarness(extra: [convertible, arbitrary])
        XCTAssertEqual(try pendingReply(harness, "down"), .failure(id: .int32(1), error: WireError(.unavailable, "the store is not reachable")))
        XCTAssertEqual(try pendingReply(harness, "broken"), .failure(id: .int32(1), error: WireError(.internalError, "internal error while running 'broken'")))
    }

    func testEventLoopShutdownIsUnavailable() throws {
        let stopping = Self.operation("stopping") { _, context in .future(context.eventLoop.makeFailedFuture(EventLoopError.shutdown)) }
        let harness = DispatchHarness(extra: [stopping])
        XCTAssertEqual(try pendingReply(harness, "stopping"), .failure(id: .int32(1), error: WireError(.unavailable, "the server is shutting down")))
    }

    func testSuccessfulFuture() throws {
        let later = Self.operation("later") { _, context in .future(context.eventLoop.makeSucceededFuture(["done": true])) }
        let harness = DispatchHarness(extra: [later])
        XCTAssertEqual(try pendingReply(harness, "later", id: .string("l")), .success(id: .string("l"), result: ["done": true]))
    }

    // MARK: - Deadlines

    /// A handler whose result the test completes by hand.
    private final class Slow: @unchecked Sendable {
        var promise: EventLoopPromise<BSONDocument>?
        var operation: RequestDispatch.Operation {
            DispatcherTests.operation("slow") { _, context in
                let promise = context.eventLoop.makePromise(of: BSONDocument.self)
                self.promise = promise
                return .future(promise.futureResult)
            }
        }
    }

    func testSlowFutureAnswersDeadlineExceeded() throws {
        let slow = Slow()
        let harness = DispatchHarness(extra: [slow.operation])
        guard case .pending(let future) = harness.dispatch("slow", id: .int32(11), deadline: .milliseconds(100)) else {
            return XCTFail("expected a pending reply")
        }
        let box = ResultBox<Reply>()
        future.whenComplete { box.set($0) }
        harness.loop.advanceTime(by: .milliseconds(99))
        XCTAssertNil(box.get(), "not before the deadline")
        harness.loop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(try box.get()?.get(), .failure(id: .int32(11), error: WireError(.deadlineExceeded, "deadline passed before the operation completed")))

        // The work finishing later changes nothing and breaks nothing.
        slow.promise?.succeed(["late": true])
        harness.loop.run()
        XCTAssertEqual(try box.get()?.get(), .failure(id: .int32(11), error: WireError(.deadlineExceeded, "deadline passed before the operation completed")))
    }

    func testSlowFutureFailingAfterTheDeadline() throws {
        let slow = Slow()
        let harness = DispatchHarness(extra: [slow.operation])
        guard case .pending(let future) = harness.dispatch("slow", deadline: .milliseconds(10)) else {
            return XCTFail("expected a pending reply")
        }
        let box = ResultBox<Reply>()
        future.whenComplete { box.set($0) }
        harness.loop.advanceTime(by: .milliseconds(10))
        slow.promise?.fail(WireError(.unavailable, "too late anyway"))
        harness.loop.run()
        XCTAssertEqual(try box.get()?.get().error?.code, .deadlineExceeded)
    }

    func testFastFutureWithADeadlineAnswersNormally() throws {
        let slow = Slow()
        let harness = DispatchHarness(extra: [slow.operation])
        guard case .pending(let future) = harness.dispatch("slow", id: .int32(12), deadline: .milliseconds(100)) else {
            return XCTFail("expected a pending reply")
        }
        let box = ResultBox<Reply>()
        future.whenComplete { box.set($0) }
        harness.loop.advanceTime(by: .milliseconds(40))
        slow.promise?.succeed(["fast": true])
        harness.loop.run()
        XCTAssertEqual(try box.get()?.get(), .success(id: .int32(12), result: ["fast": true]))
        // The deadline passing afterwards changes nothing.
        harness.loop.advanceTime(by: .seconds(1))
        XCTAssertEqual(try box.get()?.get(), .success(id: .int32(12), result: ["fast": true]))
    }

    func testFastFailureWithADeadlineAnswersTheFailure() throws {
        let slow = Slow()
        let harness = DispatchHarness(extra: [slow.operation])
        guard case .pending(let future) = harness.dispatch("slow", deadline: .milliseconds(100)) else {
            return XCTFail("expected a pending reply")
        }
        let box = ResultBox<Reply>()
        future.whenComplete { box.set($0) }
        slow.promise?.fail(WireError(.notFound, "none"))
        harness.loop.run()
        XCTAssertEqual(try box.get()?.get(), .failure(id: .int32(1), error: WireError(.notFound, "none")))
    }

    func testImmediateResultIgnoresTheDeadline() {
        let harness = DispatchHarness()
        guard case .reply(let reply) = harness.dispatch("ping", deadline: .milliseconds(1)) else {
            return XCTFail("an immediate result needs no timer")
        }
        XCTAssertEqual(reply, .success(id: .int32(1), result: ["pong": true]))
    }

    func testDelayedPingPastItsDeadline() throws {
        let harness = DispatchHarness()
        guard case .pending(let future) = harness.dispatch("ping", ["delay_ms": 500], deadline: .milliseconds(50)) else {
            return XCTFail("expected a pending reply")
        }
        let box = ResultBox<Reply>()
        future.whenComplete { box.set($0) }
        harness.loop.advanceTime(by: .milliseconds(50))
        XCTAssertEqual(try box.get()?.get().error?.code, .deadlineExceeded)
        harness.loop.advanceTime(by: .milliseconds(500))
        XCTAssertEqual(try box.get()?.get().error?.code, .deadlineExceeded)
    }

    func testDeadlinesOnARealEventLoop() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        // One slow (1 s) and one fast (immediate) future-returning operation.
        let slowDone = loop.makePromise(of: Void.self)
        let slow = Self.operation("slow") { _, context in
            .future(context.eventLoop.scheduleTask(in: .seconds(1)) {
                slowDone.succeed()
                return ["slow": true] as BSONDocument
            }.futureResult)
        }
        let fast = Self.operation("fast") { _, context in .future(context.eventLoop.makeSucceededFuture(["fast": true])) }
        let dispatcher = Dispatcher(info: ServerInfo(storeKind: "sqlite"), operations: [slow, fast])
        let logger = DispatchHarness().logger

        func call(_ op: String, deadline: TimeAmount) throws -> Reply {
            try loop.flatSubmit { () -> EventLoopFuture<Reply> in
                let context = RequestContext(eventLoop: loop, logger: logger, connectionID: 1, deadline: .now() + deadline)
                switch dispatcher.dispatch(Request(id: .string(op), op: op), context: context) {
                case .reply(let reply): return loop.makeSucceededFuture(reply)
                case .pending(let future): return future
                }
            }.wait()
        }

        let started = NIODeadline.now()
        XCTAssertEqual(try call("slow", deadline: .milliseconds(30)).error?.code, .deadlineExceeded)
        XCTAssertLessThan(NIODeadline.now() - started, .milliseconds(800), "answered at the deadline, not when the work ended")
        XCTAssertEqual(try call("fast", deadline: .milliseconds(30)), .success(id: .string("fast"), result: ["fast": true]))
        // The slow work still completes on the loop afterwards without trouble.
        XCTAssertNoThrow(try slowDone.futureResult.wait())
        XCTAssertEqual(try call("fast", deadline: .seconds(1)), .success(id: .string("fast"), result: ["fast": true]))
    }

    // MARK: - Helpers

    private func pendingReply(_ harness: DispatchHarness, _ op: String, id: RequestID = .int32(1),
                              file: StaticString = #filePath, line: UInt = #line) throws -> Reply? {
        guard case .pending(let future) = harness.dispatch(op, id: id) else {
            XCTFail("expected a pending reply", file: file, line: line)
            return nil
        }
        let box = ResultBox<Reply>()
        future.whenComplete { box.set($0) }
        harness.loop.run()
        return try box.get()?.get()
    }
}

extension Reply {
    var error: WireError? {
        if case .failure(_, let error) = self { return error }
        return nil
    }
}
