import BSONCore
import NIOCore
import NIOEmbedded
@testable import RequestDispatch
import TestSupport
import WireProtocol
import XCTest

/// `Dispatcher.answerInline`: the inline answers are the general path's,
/// byte for byte, and every case the inline handler does not take is left to
/// the general path (nothing written).
final class DispatcherInlineTests: XCTestCase {
    private let loop = EmbeddedEventLoop()

    /// The inline reply of `op` with `args`, or nil when it was left to the general path.
    private func inline(_ dispatcher: Dispatcher, _ op: String, _ args: BSONDocument?, id: RequestID = .int64(77), peer: PeerCredentials? = nil) -> [UInt8]? {
        guard let route = dispatcher.route(op) else { return nil }
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        let recorder = dispatcher.statistics.recorder(for: loop)
        // The id element as the server finds it in a request.
        let request = Request(id: id, op: op).document
        let size: Int? = request.withView { frame in
            guard case .success(let envelope) = RequestEnvelope.parse(frame) else { return nil }
            let idElement = envelope.idElement.elementBytes
            guard let args else {
                return dispatcher.answerInline(route, idElement: idElement, args: nil, peer: peer, receivedAt: .now(), recorder: recorder, into: &buffer)
            }
            return args.withView { view in
                dispatcher.answerInline(route, idElement: idElement, args: view, peer: peer, receivedAt: .now(), recorder: recorder, into: &buffer)
            }
        }
        guard let size else {
            XCTAssertEqual(buffer.readableBytes, 0, "\(op): nothing written when declined")
            return nil
        }
        XCTAssertEqual(size, buffer.readableBytes)
        return Array(buffer.readableBytesView)
    }

    /// The reply of the general path, encoded as the server writes it.
    private func general(_ dispatcher: Dispatcher, _ op: String, _ args: BSONDocument, id: RequestID = .int64(77)) -> [UInt8]? {
        let context = RequestContext(eventLoop: loop, logger: .init(label: "test"), connectionID: 1)
        guard case .reply(let reply) = dispatcher.dispatch(Request(id: id, op: op, args: args), context: context) else { return nil }
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        reply.write(into: &buffer)
        return Array(buffer.readableBytesView)
    }

    func testPingAndHelloAnswerAsTheGeneralPathDoes() throws {
        let dispatcher = Dispatcher(info: ServerInfo(storeKind: "sqlite"), operations: [])
        for op in ["ping", "hello"] {
            for id: RequestID in [.int32(1), .int64(1 << 40), .string("a-long-request-identifier")] {
                let expected = try XCTUnwrap(general(dispatcher, op, BSONDocument(), id: id))
                XCTAssertEqual(inline(dispatcher, op, nil, id: id), expected, "\(op) without args")
                XCTAssertEqual(inline(dispatcher, op, BSONDocument(), id: id), expected, "\(op) with empty args")
            }
        }
    }

    func testRoutesAreFoundByNameBytesAndIndexAlike() {
        let dispatcher = Dispatcher(info: ServerInfo(storeKind: "sqlite"), operations: [])
        for name in ["ping", "hello", "describe", "stats"] {
            let route = dispatcher.route(name)
            XCTAssertNotNil(route, name)
            Array(name.utf8).withUnsafeBytes { XCTAssertTrue(dispatcher.route(utf8: $0) === route, name) }
            XCTAssertTrue(route.flatMap { dispatcher.route(at: $0.index) } === route, name)
        }
        for name in ["pin", "pingg", "PING", ""] {
            Array(name.utf8).withUnsafeBytes { XCTAssertNil(dispatcher.route(utf8: $0), name) }
        }
        XCTAssertNil(dispatcher.route(at: -1))
        XCTAssertNil(dispatcher.route(at: 10_000))
    }

    func testArgumentsAreLeftToTheGeneralPath() {
        let dispatcher = Dispatcher(info: ServerInfo(storeKind: "sqlite"), operations: [])
        XCTAssertNil(inline(dispatcher, "ping", ["delay_ms": 5]))
        XCTAssertNil(inline(dispatcher, "ping", ["nonsense": true]))
        XCTAssertNil(inline(dispatcher, "hello", ["client": "me 1.0"]))
        XCTAssertNil(inline(dispatcher, "describe", nil), "no inline handler")
    }

    func testInlineAnswersAreCountedInStats() throws {
        let dispatcher = Dispatcher(info: ServerInfo(storeKind: "sqlite"), operations: [])
        for _ in 0..<3 { XCTAssertNotNil(inline(dispatcher, "ping", nil)) }
        let stats = dispatcher.statistics.document(uptimeSeconds: 0)
        XCTAssertEqual(stats["ops"]?.documentValue?["ping"]?.documentValue?["count"], .int64(3))
    }

    func testAnOperationThePeerMayNotCallIsLeftToTheGeneralPath() {
        let guarded = RequestDispatch.Operation(
            OperationDescriptor(name: "things.count", group: .admin, summary: "", result: "{}"),
            inline: { _, out in out.writeBSONDocument(["n": 1]); return true }
        ) { _, _ in .value(["n": 1]) }
        let access = AccessControl(.defaults(daemonUID: 990, daemonGID: 990))
        let dispatcher = Dispatcher(info: ServerInfo(storeKind: "sqlite"), operations: [guarded], access: access)
        XCTAssertNil(inline(dispatcher, "things.count", nil, peer: PeerCredentials(pid: 1, uid: 1000, gid: 1000, groups: [990])), "members have no admin")
        XCTAssertNil(inline(dispatcher, "things.count", nil, peer: nil), "nor do peers without credentials")
        XCTAssertNotNil(inline(dispatcher, "things.count", nil, peer: PeerCredentials(pid: 1, uid: 990, gid: 990)))
    }
}
