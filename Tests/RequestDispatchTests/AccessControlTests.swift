import BSONCore
import Logging
import NIOEmbedded
import NIOCore
@testable import RequestDispatch
import WireProtocol
import XCTest

final class AccessControlTests: XCTestCase {
    func testDispatcherRefusesOperationsOutsideThePeersGroups() throws {
        let write = Operation(OperationDescriptor(name: "things.insert", group: .write, summary: "", result: "{}")) { _, _ in .value(["ok": true]) }
        let admin = Operation(OperationDescriptor(name: "things.admin", group: .admin, summary: "", result: "{}")) { _, _ in .value(["ok": true]) }
        let access = AccessControl(.defaults(daemonUID: 990, daemonGID: 990))
        let dispatcher = Dispatcher(info: ServerInfo(storeKind: "sqlite"), operations: [write, admin], access: access)
        let loop = EmbeddedEventLoop()
        func reply(_ op: String, _ peer: PeerCredentials?) -> Reply? {
            let context = RequestContext(eventLoop: loop, logger: Logger(label: "test"), connectionID: 1, peer: peer)
            guard case .reply(let reply) = dispatcher.dispatch(Request(id: .int32(1), op: op), context: context) else { return nil }
            return reply
        }
        let member = PeerCredentials(pid: 1, uid: 1000, gid: 1000, groups: [990])
        let stranger = PeerCredentials(pid: 2, uid: 65534, gid: 65534)
        XCTAssertEqual(reply("things.insert", member), .success(id: .int32(1), result: ["ok": true]))
        guard case .failure(_, let denied)? = reply("things.admin", member) else { return XCTFail("admin must be refused") }
        XCTAssertEqual(denied.code, .permissionDenied)
        XCTAssertTrue(denied.message.contains("uid 1000"), denied.message)
        guard case .failure(_, let strangerError)? = reply("things.insert", stranger) else { return XCTFail("stranger must be refused") }
        XCTAssertEqual(strangerError.code, .permissionDenied)
        guard case .success? = reply("ping", stranger) else { return XCTFail("public operations are open to anyone") }
        guard case .failure(_, let anonymous)? = reply("things.insert", nil) else { return XCTFail("no credentials, no write") }
        XCTAssertEqual(anonymous.code, .permissionDenied)

        access.replace(with: AccessPolicy(rules: [.init(.uid(65534), [.write])], source: "reloaded"))
        guard case .success? = reply("things.insert", stranger) else { return XCTFail("the new policy applies to the next request") }
        guard case .failure? = reply("things.insert", member) else { return XCTFail("and the old grant is gone") }
    }
}
