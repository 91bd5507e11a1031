import BSONCore
import NIOCore
import NIOPosix
import RequestDispatch
import WireProtocol
import XCTest

/// The built-in operations `hello`, `ping` and `describe`, through the dispatcher.
final class CoreOperationsTests: XCTestCase {
    private let extra = RequestDispatch.Operation(
        OperationDescriptor(name: "things.list", group: .read, summary: "Lists things.", arguments: [.init("limit", "int32|int64", "At most this many.")],
                            result: "{things: [string]}", errors: [.notFound])
    ) { _, _ in .value(["things": []]) }

    // MARK: - hello

    func testHelloResult() throws {
        let harness = DispatchHarness(extra: [extra])
        let result = try XCTUnwrap(harness.result("hello"))
        XCTAssertEqual(result.keys, ["protocol", "server", "version", "store", "limits", "ops"])
        XCTAssertEqual(result["protocol"], .int32(1))
        XCTAssertEqual(result["server"], "deltastored")
        XCTAssertEqual(result["version"], .string(ProtocolVersion.serverVersion))
        XCTAssertEqual(result["store"], "sqlite")
        XCTAssertEqual(result["ops"], ["hello", "ping", "describe", "stats", "things.list"])
    }

    func testHelloLimitsComeFromServerInfo() throws {
        let harness = DispatchHarness()
        let limits = try XCTUnwrap(harness.result("hello")?["limits"]?.documentValue)
        XCTAssertEqual(limits, [
            "max_message_bytes": .int64(1 << 20),
            "max_batch": .int64(500),
            "max_page": .int64(200),
            "max_in_flight": .int64(16),
        ])
    }

    func testHelloWithDefaultLimitsAndMongoStore() throws {
        let harness = DispatchHarness(info: ServerInfo(storeKind: "mongodb"))
        let result = try XCTUnwrap(harness.result("hello"))
        XCTAssertEqual(result["store"], "mongodb")
        XCTAssertEqual(result["limits"]?.documentValue?["max_message_bytes"], .int64(16 * 1024 * 1024))
        XCTAssertEqual(result["limits"]?.documentValue?["max_batch"], .int64(1000))
        XCTAssertEqual(result["limits"]?.documentValue?["max_page"], .int64(1000))
        XCTAssertEqual(result["limits"]?.documentValue?["max_in_flight"], .int64(128))
    }

    func testHelloAcceptsAClientName() throws {
        let harness = DispatchHarness()
        XCTAssertEqual(harness.result("hello", ["client": "deltastorectl 0.1.0"])?["protocol"], .int32(1))
        XCTAssertEqual(harness.result("hello", ["client": .string(String(repeating: "c", count: 128))])?["protocol"], .int32(1))
    }

    func testHelloArgumentErrors() {
        let harness = DispatchHarness()
        XCTAssertEqual(harness.error("hello", ["client": .string(String(repeating: "c", count: 129))]),
                       .invalidArgument(field: "client", reason: "longer than 128 bytes"))
        XCTAssertEqual(harness.error("hello", ["client": 1]), .invalidArgument(field: "client", reason: "must be string, got int32"))
        XCTAssertEqual(harness.error("hello", ["version": 1]), .invalidArgument(field: "version", reason: "unknown argument (allowed: client)"))
    }

    // MARK: - ping

    func testPingAnswersAtOnce() {
        let harness = DispatchHarness()
        XCTAssertEqual(harness.reply("ping", id: .string("p")), .success(id: .string("p"), result: ["pong": true]))
        XCTAssertEqual(harness.result("ping", ["delay_ms": 0]), ["pong": true])
    }

    func testPingWithDelayAnswersAfterTheDelay() throws {
        let harness = DispatchHarness()
        guard case .pending(let future) = harness.dispatch("ping", ["delay_ms": .int64(250)], id: .int64(9)) else {
            return XCTFail("a delayed ping answers later")
        }
        let box = ResultBox<Reply>()
        future.whenComplete { box.set($0) }
        harness.loop.advanceTime(by: .milliseconds(249))
        XCTAssertNil(box.get(), "not before the delay")
        harness.loop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(try box.get()?.get(), .success(id: .int64(9), result: ["pong": true]))
    }

    func testPingDelayAcceptsInt32() throws {
        let harness = DispatchHarness()
        guard case .pending(let future) = harness.dispatch("ping", ["delay_ms": .int32(10_000)]) else {
            return XCTFail("a delayed ping answers later")
        }
        let box = ResultBox<Reply>()
        future.whenComplete { box.set($0) }
        harness.loop.advanceTime(by: .seconds(10))
        XCTAssertEqual(try box.get()?.get(), .success(id: .int32(1), result: ["pong": true]))
    }

    func testPingArgumentErrors() {
        let harness = DispatchHarness()
        XCTAssertEqual(harness.error("ping", ["delay_ms": -1]), .invalidArgument(field: "delay_ms", reason: "must be between 0 and 10000, got -1"))
        XCTAssertEqual(harness.error("ping", ["delay_ms": 10_001]), .invalidArgument(field: "delay_ms", reason: "must be between 0 and 10000, got 10001"))
        XCTAssertEqual(harness.error("ping", ["delay_ms": 1.0]), .invalidArgument(field: "delay_ms", reason: "must be int32 or int64, got double"))
        XCTAssertEqual(harness.error("ping", ["delay": 1]), .invalidArgument(field: "delay", reason: "unknown argument (allowed: delay_ms)"))
        XCTAssertEqual(harness.error("ping", ["$delay_ms": 1]), .invalidArgument(field: "$delay_ms", reason: "keys may not start with '$'"))
    }

    func testPingOnARealEventLoop() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let dispatcher = Dispatcher(info: ServerInfo(storeKind: "sqlite"), operations: [])
        let logger = DispatchHarness().logger
        let started = NIODeadline.now()
        let reply = try loop.flatSubmit { () -> EventLoopFuture<Reply> in
            let context = RequestContext(eventLoop: loop, logger: logger, connectionID: 1)
            switch dispatcher.dispatch(Request(id: .int32(3), op: "ping", args: ["delay_ms": 30]), context: context) {
            case .reply(let reply): return loop.makeSucceededFuture(reply)
            case .pending(let future): return future
            }
        }.wait()
        XCTAssertEqual(reply, .success(id: .int32(3), result: ["pong": true]))
        XCTAssertGreaterThanOrEqual(NIODeadline.now() - started, .milliseconds(30))
    }

    // MARK: - describe

    func testDescribeAll() throws {
        let harness = DispatchHarness(extra: [extra])
        let ops = try XCTUnwrap(harness.result("describe")?["ops"]?.arrayValue)
        XCTAssertEqual(ops.compactMap { $0.documentValue?["name"]?.stringValue }, ["hello", "ping", "describe", "stats", "things.list"])
        XCTAssertEqual(ops.last, .document(extra.descriptor.document))
        XCTAssertEqual(ops, harness.dispatcher.descriptors.map { .document($0.document) })
    }

    func testDescribeOne() throws {
        let harness = DispatchHarness(extra: [extra])
        XCTAssertEqual(harness.result("describe", ["op": "things.list"]), ["ops": [.document(extra.descriptor.document)]])
        let ping = try XCTUnwrap(harness.result("describe", ["op": "ping"])?["ops"]?.arrayValue?.first?.documentValue)
        XCTAssertEqual(ping["name"], "ping")
        XCTAssertEqual(ping["group"], "public")
        XCTAssertEqual(ping["args"]?.arrayValue?.first?.documentValue?["name"], "delay_ms")
        XCTAssertEqual(ping["result"], "{pong: true}")
    }

    func testDescribeOfDescribeListsNotFound() throws {
        let harness = DispatchHarness()
        let describe = try XCTUnwrap(harness.result("describe", ["op": "describe"])?["ops"]?.arrayValue?.first?.documentValue)
        XCTAssertEqual(describe["errors"], ["NOT_FOUND"])
    }

    func testDescribeUnknownOperation() {
        let harness = DispatchHarness()
        XCTAssertEqual(harness.error("describe", ["op": "nope"], id: .string("d")), WireError(.notFound, "no operation named 'nope'"))
    }

    func testDescribeArgumentErrors() {
        let harness = DispatchHarness()
        XCTAssertEqual(harness.error("describe", ["op": 1]), .invalidArgument(field: "op", reason: "must be string, got int32"))
        XCTAssertEqual(harness.error("describe", ["op": .string(String(repeating: "o", count: 65))]), .invalidArgument(field: "op", reason: "longer than 64 bytes"))
        XCTAssertEqual(harness.error("describe", ["name": "ping"]), .invalidArgument(field: "name", reason: "unknown argument (allowed: op)"))
    }
}
