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
        let access = AccessControl(AccessPolicy(rules: AccessPolicy.defaults(daemonUID: 990, daemonGID: 990).rules, source: "/etc/deltastore/access.conf"))
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
        XCTAssertEqual(denied.message, "uid 1000 may not call 'things.admin' (group 'admin')", "the operation and the group, no path")
        guard case .failure(_, let strangerError)? = reply("things.insert", stranger) else { return XCTFail("stranger must be refused") }
        XCTAssertEqual(strangerError.code, .permissionDenied)
        guard case .success? = reply("ping", stranger) else { return XCTFail("public operations are open to anyone") }
        guard case .failure(_, let anonymous)? = reply("things.insert", nil) else { return XCTFail("no credentials, no write") }
        XCTAssertEqual(anonymous.code, .permissionDenied)

        access.replace(with: AccessPolicy(rules: [.init(.uid(65534), [.write])], source: "reloaded"))
        guard case .success? = reply("things.insert", stranger) else { return XCTFail("the new policy applies to the next request") }
        guard case .failure? = reply("things.insert", member) else { return XCTFail("and the old grant is gone") }
    }

    func testForwardIsAPermissionOfItsOwn() {
        let access = AccessControl(AccessPolicy(rules: [.init(.uid(80), [.auth, .forward]), .init(.uid(81), [.auth])], source: "test"))
        let front = PeerCredentials(pid: 1, uid: 80, gid: 80)
        let service = PeerCredentials(pid: 2, uid: 81, gid: 81)
        XCTAssertTrue(access.allows(front, .forward))
        XCTAssertFalse(access.allows(service, .forward))
        XCTAssertFalse(access.allows(nil, .forward), "no credentials: only what * grants")
        let denied = access.check(service, op: "'auth.login' with 'client'", group: .forward, logger: Logger(label: "test"))
        XCTAssertEqual(denied?.code, .permissionDenied)
        XCTAssertEqual(denied?.message, "uid 81 may not call 'auth.login' with 'client' (group 'forward')")
    }
}

final class AccessRulesOwnershipTests: XCTestCase {
    func testOnlyItsOwnerMayWriteItAndTheOwnerIsRootOrTheDaemon() {
        XCTAssertNil(AccessRulesFile.ownershipProblem(mode: 0o100644, owner: 0, daemonUID: 990), "readable by all is fine")
        XCTAssertNil(AccessRulesFile.ownershipProblem(mode: 0o100600, owner: 990, daemonUID: 990))
        XCTAssertNil(AccessRulesFile.ownershipProblem(mode: 0o100400, owner: 0, daemonUID: 0))
        XCTAssertEqual(AccessRulesFile.ownershipProblem(mode: 0o100664, owner: 0, daemonUID: 990), "writable by group (mode 0664); make it writable by its owner only (chmod go-w)")
        XCTAssertEqual(AccessRulesFile.ownershipProblem(mode: 0o100646, owner: 0, daemonUID: 990), "writable by others (mode 0646); make it writable by its owner only (chmod go-w)")
        XCTAssertEqual(AccessRulesFile.ownershipProblem(mode: 0o100666, owner: 0, daemonUID: 990), "writable by group and others (mode 0666); make it writable by its owner only (chmod go-w)")
        XCTAssertEqual(AccessRulesFile.ownershipProblem(mode: 0o100620, owner: 0, daemonUID: 990)?.hasPrefix("writable by group (mode 0620)"), true)
        XCTAssertEqual(
            AccessRulesFile.ownershipProblem(mode: 0o100644, owner: 1001, daemonUID: 990),
            "owned by uid 1001, neither root nor the daemon's user (uid 990); chown it to one of them"
        )
    }
}
