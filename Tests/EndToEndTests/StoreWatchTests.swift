import BSONCore
import Foundation
import TestSupport
import XCTest

/// The daemon on a SQLite file that is removed, replaced or corrupted: writes
/// get UNAVAILABLE, `health` says `failed` naming the file, the watchdog stops
/// its keep-alives (so systemd restarts the daemon), and at the next start a
/// missing store is refused unless `--new-store` asks for one, and a corrupt
/// file is refused.
final class StoreWatchTests: DaemonTestCase {
    var storePath: String { directory.file("watched.db") }
    var storeArguments: [String] { ["--store", "sqlite:" + storePath] }

    private func insert(_ session: RequestSession, id: String, at offset: Int64) throws -> BSONDocument {
        try session.call("ticks.insert", ["ticks": [MarketFixtures.tick(offset, id: id)]])
    }

    private func expectFailed(_ session: RequestSession, containing text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let refused = try insert(session, id: "after", at: 99_000)
        XCTAssertEqual(refused["error"]?.documentValue?["code"], "UNAVAILABLE", "\(refused)", file: file, line: line)
        XCTAssertTrue(refused["error"]?.documentValue?["message"]?.stringValue?.contains(text) ?? false, "\(refused)", file: file, line: line)
        let health = try session.result("health", file: file, line: line)
        XCTAssertEqual(health["status"], "failed", "\(health)", file: file, line: line)
        let store = health["store"]?.documentValue ?? [:]
        XCTAssertEqual(store["ok"], .bool(false), file: file, line: line)
        XCTAssertEqual(store["error"], "UNAVAILABLE", file: file, line: line)
        let reason = store["reason"]?.stringValue ?? ""
        XCTAssertTrue(reason.contains(text) && reason.contains(storePath), reason, file: file, line: line)
    }

    /// Keep-alives before, none after the file is removed (from one interval on).
    func testARemovedStoreFileFailsWritesHealthAndTheWatchdog() throws {
        let notify = try DatagramListener(path: directory.file("notify.sock"))
        let daemon = try startDaemon(arguments: storeArguments, environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"], waitForListening: false)
        _ = notify.collect(until: { $0.contains("READY=1") }, timeout: 20)
        let session = RequestSession(try connect())
        defer { session.close() }
        XCTAssertEqual(try insert(session, id: "before", at: 0)["ok"], .bool(true))
        XCTAssertEqual(notify.collect(until: { $0 == "WATCHDOG=1" }, timeout: 5).last, "WATCHDOG=1", "keep-alives while healthy")

        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: storePath + suffix) }
        try expectFailed(session, containing: "was removed")
        // Drain what was sent before the failure was seen, then listen.
        _ = notify.collect(until: { _ in false }, timeout: 0.5)
        let after = notify.collect(until: { $0 == "WATCHDOG=1" }, timeout: 2)
        XCTAssertFalse(after.contains("WATCHDOG=1"), "the watchdog stopped: \(after)")
        XCTAssertTrue(daemon.process.isRunning, "the daemon itself stays up for systemd to restart")
        XCTAssertTrue(daemon.log.contains("SQLite store failed: the database file \(storePath) was removed"), daemon.log)
        XCTAssertTrue(daemon.log.contains("health check failed"), daemon.log)
    }

    func testAReplacedStoreFileFailsWritesAndHealth() throws {
        try startDaemon(arguments: storeArguments)
        let session = RequestSession(try connect())
        defer { session.close() }
        XCTAssertEqual(try insert(session, id: "before", at: 0)["ok"], .bool(true))
        let other = directory.file("other.db")
        FileManager.default.createFile(atPath: other, contents: nil)
        XCTAssertEqual(rename(other, storePath), 0)
        try expectFailed(session, containing: "was replaced")
    }

    /// After the file vanished, a restart refuses to create an empty store in
    /// its place, saying why; `--new-store` asks for one.
    func testARestartRefusesAMissingStoreUnlessANewOneIsAskedFor() throws {
        let first = try startDaemon(arguments: storeArguments)
        let session = RequestSession(try connect())
        XCTAssertEqual(try insert(session, id: "before", at: 0)["ok"], .bool(true))
        session.close()
        first.stop()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: storePath + suffix) }

        let refused = try startDaemon(arguments: storeArguments, waitForListening: false)
        XCTAssertEqual(refused.waitForExit(), 1, refused.log)
        XCTAssertTrue(refused.log.contains("the SQLite store \(storePath) is missing"), refused.log)
        XCTAssertTrue(refused.log.contains("--new-store"), refused.log)
        XCTAssertFalse(FileManager.default.fileExists(atPath: storePath), "no empty store was made")

        try startDaemon(arguments: storeArguments + ["--new-store"])
        let fresh = RequestSession(try connect())
        defer { fresh.close() }
        XCTAssertEqual(try fresh.result("ticks.query", ["product": "NIFTY"])["count"], 0)
        XCTAssertEqual(try fresh.result("health")["status"], "ok")
    }

    func testACorruptStoreFileIsRefusedAtStart() throws {
        let first = try startDaemon(arguments: storeArguments)
        let session = RequestSession(try connect())
        let ticks: [BSONValue] = (0..<2000).map { MarketFixtures.tick(Int64($0), id: "c\($0)") }
        XCTAssertEqual(try session.call("ticks.insert", ["ticks": .array(Array(ticks.prefix(1000)))])["ok"], .bool(true))
        XCTAssertEqual(try session.call("ticks.insert", ["ticks": .array(Array(ticks.suffix(1000)))])["ok"], .bool(true))
        session.close()
        first.stop()

        // Every page from the third on overwritten.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: storePath))
        let size = Int(try handle.seekToEnd())
        XCTAssertGreaterThan(size, 3 * 4096)
        try handle.seek(toOffset: 2 * 4096)
        try handle.write(contentsOf: Data(repeating: 0xFF, count: size - 2 * 4096))
        try handle.close()

        let refused = try startDaemon(arguments: storeArguments, waitForListening: false)
        XCTAssertEqual(refused.waitForExit(), 1, refused.log)
        XCTAssertTrue(refused.log.contains("the SQLite database \(storePath) is corrupt"), refused.log)
        XCTAssertTrue(refused.log.contains("does not start on it"), refused.log)
    }
}
