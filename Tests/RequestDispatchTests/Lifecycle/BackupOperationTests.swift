import BSONCore
import Domain
import Foundation
import Logging
import NIOEmbedded
import RequestDispatch
import WireProtocol
import XCTest

/// `backup` through the dispatcher: its access group, its arguments, and the
/// answer on a store without backups. (The backup itself is tested against
/// SQLite in SQLiteStoreTests and end to end.)
final class BackupOperationTests: XCTestCase {
    /// Records the backups it was asked for; writes nothing.
    final class RecordingStore: LifecycleStore, BackupStore, @unchecked Sendable {
        let lock = NSLock()
        var asked: [String] = []

        func purge(_ collection: RecordCollection, before cutoff: Int64, limit: Int) async throws -> Int { 0 }
        func reclaimSpace(pages: Int) async throws -> Bool { false }
        func checkpoint() async throws {}
        func holdings() async throws -> StoreHoldings { StoreHoldings(collections: [:], bytes: 0) }
        func backup(directory: String, name: String, progress: @escaping @Sendable (BackupProgress) -> Void) async throws -> BackupOutcome {
            lock.withLock { asked.append(name) }
            return BackupOutcome(path: directory + "/" + name + ".db", bytes: 1, records: BackupOutcome.recordKinds.map { ($0, 0) })
        }
    }

    let logger = Logger(label: "backup-op-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    func dispatch(_ dispatcher: Dispatcher, _ op: String, _ args: BSONDocument = [:], peer: PeerCredentials?) throws -> Reply {
        let loop = EmbeddedEventLoop()
        defer { try? loop.syncShutdownGracefully() }
        let context = RequestContext(eventLoop: loop, logger: logger, connectionID: 1, peer: peer)
        switch dispatcher.dispatch(Request(id: .int32(1), op: op, args: args), context: context) {
        case .reply(let reply):
            return reply
        case .pending(let future):
            let deadline = Date().addingTimeInterval(10)
            var result: Reply?
            future.whenSuccess { result = $0 }
            while result == nil && Date() < deadline {
                loop.run()
                usleep(1000)
            }
            return try XCTUnwrap(result)
        }
    }

    func testBackupIsAdminOnlyAndNothingIsAskedOfTheStoreForARefusedPeer() throws {
        let store = RecordingStore()
        let lifecycle = DataLifecycle(kind: "sqlite", store: store, backups: store, retention: RetentionPolicy(), backupDirectory: "/backups")
        let dispatcher = Dispatcher(
            info: ServerInfo(storeKind: "sqlite"), operations: LifecycleOperations.all(lifecycle),
            access: AccessControl(.defaults(daemonUID: 990, daemonGID: 990))
        )
        XCTAssertEqual(dispatcher.descriptor(of: "backup")?.group, .admin)
        let member = PeerCredentials(pid: 1, uid: 1000, gid: 990)
        guard case .failure(_, let denied) = try dispatch(dispatcher, "backup", ["name": "x"], peer: member) else { return XCTFail("allowed to a member") }
        XCTAssertEqual(denied.code, .permissionDenied)
        XCTAssertEqual(store.asked, [])

        let daemonUser = PeerCredentials(pid: 2, uid: 990, gid: 990)
        guard case .success(_, let result) = try dispatch(dispatcher, "backup", ["name": "x"], peer: daemonUser) else { return XCTFail("refused to the daemon's user") }
        XCTAssertEqual(result["path"], "/backups/x.db")
        XCTAssertEqual(store.asked, ["x"])
        guard case .success(_, let unnamed) = try dispatch(dispatcher, "backup", peer: daemonUser) else { return XCTFail("no default name") }
        XCTAssertNotNil(try XCTUnwrap(unnamed["path"]?.stringValue).range(of: #"^/backups/\d{8}T\d{6}\.\d{3}Z\.db$"#, options: .regularExpression))
    }

    func testAStoreWithoutBackupsAnswersUnknownOpNamingMongodump() throws {
        let store = RecordingStore()
        let lifecycle = DataLifecycle(kind: "mongodb", store: store, backups: nil, retention: RetentionPolicy(), backupDirectory: "/backups")
        let dispatcher = Dispatcher(
            info: ServerInfo(storeKind: "mongodb"), operations: LifecycleOperations.all(lifecycle),
            absentOperations: LifecycleOperations.absent(lifecycle)
        )
        XCTAssertNil(dispatcher.descriptor(of: "backup"))
        guard case .failure(_, let error) = try dispatch(dispatcher, "backup", peer: nil) else { return XCTFail("answered") }
        XCTAssertEqual(error.code, .unknownOp)
        XCTAssertTrue(error.message.contains("mongodump"), error.message)
        guard case .failure(_, let other) = try dispatch(dispatcher, "nope", peer: nil) else { return XCTFail("answered") }
        XCTAssertEqual(other.message, "unknown operation 'nope'")
    }
}
