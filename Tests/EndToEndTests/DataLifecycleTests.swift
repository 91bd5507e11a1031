import BSONCore
import Foundation
import TestSupport
import XCTest

/// Retention, `stats`' store fields, `backup` and `verify-backup` on the
/// SQLite store, end to end: the built daemon and CLI over a real socket.
final class DataLifecycleTests: DaemonTestCase {
    static let day: Int64 = 86_400_000

    var now: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    func tick(at timestamp: Int64, product: String = "NIFTY", id: String? = nil) -> BSONValue {
        var pairs: [(String, BSONValue)] = [("product", .string(product)), ("price", 101.5), ("timestamp", .datetime(timestamp))]
        if let id { pairs.append(("tick_id", .string(id))) }
        return .document(BSONDocument(pairs))
    }

    func quote(at timestamp: Int64, strike: Double) -> BSONValue {
        .document([
            "symbol": .string("NIFTY25013\(Int(strike))CE"), "product": "NIFTY", "strike": .double(strike), "expiry": "2025-01-30",
            "option_type": "CALL", "bid": 1.5, "ask": 2.0, "timestamp": .datetime(timestamp),
        ])
    }

    func waitFor(_ what: String, timeout: TimeInterval, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            usleep(100_000)
        }
        XCTFail("not within \(timeout) s: \(what)")
    }

    /// With `--retain ticks=1d` (and `quotes=12h`), at the default interval:
    /// two-day-old ticks are gone within 60 s of start, every newer one is
    /// there, the purge is logged with its counts, and `stats` shows it.
    func testRetainedTicksOlderThanADayAreGoneWithin60sOfStartAndNewerOnesStay() throws {
        let store = "sqlite:" + directory.file("retain.db")
        let first = try startDaemon(arguments: ["--store", store])
        let session = RequestSession(try connect())
        let old = (0..<30).map { tick(at: now - 2 * Self.day - Int64($0) * 60_000, id: "old\($0)") }
        let kept = (0..<30).map { tick(at: now - Self.day + 3_600_000 - Int64($0) * 60_000, id: "new\($0)") } + [tick(at: now, id: "now")]
        XCTAssertEqual(try session.result("ticks.insert", ["ticks": .array(old + kept)])["inserted"], .int32(61))
        try session.result("quotes.insert", ["quotes": [quote(at: now - Self.day, strike: 21_000), quote(at: now - 3_600_000, strike: 21_100)]])
        session.close()
        first.stop()

        let started = Date()
        let daemon = try startDaemon(arguments: ["--store", store, "--retain", "ticks=1d", "--retain", "quotes=12h"])
        try waitFor("the two-day-old ticks purged", timeout: 60) { try storedTicks(product: "NIFTY") == kept.count }
        XCTAssertLessThan(Date().timeIntervalSince(started), 60)
        let again = RequestSession(try connect())
        defer { again.close() }
        let stored = try again.result("ticks.query", ["product": "NIFTY", "limit": 1000, "order": "asc"])["ticks"]?.arrayValue ?? []
        XCTAssertEqual(stored, Array(kept[0..<30].reversed()) + [kept[30]], "every tick newer than a day is there, as sent")
        // The pass logs once every retained collection is done (ticks first).
        try waitFor("the purge's log line", timeout: 10) { daemon.log.contains("retention purge: deleted 30 ticks, 1 quotes") }
        XCTAssertEqual(try again.result("quotes.query", ["product": "NIFTY"])["count"], .int32(1), "quotes keep 12 h")
        XCTAssertTrue(daemon.log.contains("retention: ticks 1d, quotes 12h, purged every 60 s"), daemon.log)

        let stats = try again.result("stats")
        let held = try XCTUnwrap(stats["store"]?.documentValue)
        XCTAssertEqual(held["kind"], "sqlite")
        XCTAssertGreaterThan(held["bytes"]?.integerValue ?? 0, 0)
        let ticks = try XCTUnwrap(held["collections"]?.documentValue?["ticks"]?.documentValue)
        XCTAssertEqual(ticks["count"], .int64(Int64(kept.count)))
        XCTAssertEqual(ticks["oldest"], kept[29].documentValue?["timestamp"])
        XCTAssertEqual(ticks["newest"], kept[30].documentValue?["timestamp"])
        XCTAssertEqual(ticks["retain_s"], .int64(86_400))
        let chains = try XCTUnwrap(held["collections"]?.documentValue?["chains"]?.documentValue)
        XCTAssertEqual(chains, ["count": .int64(0)], "no times for an empty collection, no retention: keeps all")

        let ctl = try CommandRunner.run("deltastorectl", ["stats", "--socket", socketPath])
        XCTAssertEqual(ctl.status, 0, ctl.stderr)
        XCTAssertTrue(ctl.stdout.contains("store sqlite: "), ctl.stdout)
        let row = ctl.stdout.split(separator: "\n").first { $0.hasPrefix("ticks ") }.map(String.init) ?? ""
        XCTAssertTrue(row.contains(" 31 ") && row.hasSuffix("1d"), ctl.stdout)
        XCTAssertTrue(ctl.stdout.split(separator: "\n").contains { $0.hasPrefix("chains ") && $0.hasSuffix("all") }, ctl.stdout)
    }

    func testRetainRefusesWhatItCannotMean() throws {
        for bad in ["ticks", "candles=1d", "ticks=0", "ticks=1w", "ticks=-1d"] {
            let result = try CommandRunner.run("deltastored", ["--socket", socketPath, "--retain", bad])
            XCTAssertEqual(result.status, 64, "--retain \(bad): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("--retain"), result.stderr)
        }
        let interval = try CommandRunner.run("deltastored", ["--socket", socketPath, "--retention-interval", "61"])
        XCTAssertEqual(interval.status, 64, interval.stderr)
    }

    /// 500,000 ticks older than the retention are purged while a client keeps
    /// inserting; the inserts' p99 latency during the purge stays within 3×
    /// their p99 once the purge is over, both measured here on the same daemon.
    func testAPurgeOf500000TicksKeepsInsertLatencyWithin3TimesIdle() throws {
        let store = "sqlite:" + directory.file("big.db")
        let seeder = try startDaemon(arguments: ["--store", store, "--max-batch", "10000"])
        let seeding = RequestSession(try connect())
        let oldest = now - 10 * Self.day
        for batch in 0..<50 {
            let ticks = (0..<10_000).map { tick(at: oldest + Int64(batch * 10_000 + $0) * 100, product: "OLD") }
            XCTAssertEqual(try seeding.result("ticks.insert", ["ticks": .array(ticks)])["inserted"], .int32(10_000))
        }
        seeding.close()
        seeder.stop()

        let daemon = try startDaemon(arguments: ["--store", store, "--retain", "ticks=1d"])
        let session = RequestSession(try connect())
        defer { session.close() }
        var sequence: Int64 = 0
        func timedInsert() throws -> Double {
            sequence += 1
            let began = DispatchTime.now().uptimeNanoseconds
            XCTAssertEqual(try session.result("ticks.insert", ["ticks": [tick(at: now, product: "LIVE", id: "t\(sequence)")]])["inserted"], .int32(1))
            return Double(DispatchTime.now().uptimeNanoseconds - began) / 1000
        }
        let done = "retention purge: deleted 500000 ticks"
        var loaded: [Double] = []
        let deadline = Date().addingTimeInterval(240)
        while !daemon.log.contains(done) && Date() < deadline {
            loaded.append(try timedInsert())
        }
        XCTAssertTrue(daemon.log.contains(done), "the purge finished:\n\(daemon.log)")
        var idle: [Double] = []
        for _ in 0..<max(1000, loaded.count) { idle.append(try timedInsert()) }
        XCTAssertGreaterThanOrEqual(loaded.count, 200, "enough inserts ran during the purge to have a p99")
        let loadedP99 = Self.percentile(loaded, 0.99)
        let idleP99 = Self.percentile(idle, 0.99)
        print("insert p99 during a 500,000-tick purge: \(Int(loadedP99)) µs over \(loaded.count) inserts; idle: \(Int(idleP99)) µs over \(idle.count)")
        XCTAssertLessThanOrEqual(loadedP99, 3 * idleP99, "p99 during the purge \(loadedP99) µs, idle \(idleP99) µs")
        XCTAssertEqual(try storedTicks(product: "OLD"), 0)
        XCTAssertEqual(try storedTicks(product: "LIVE"), Int(sequence))
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
    }

    /// `backup` while a client inserts without pause: the file passes
    /// `integrity_check`, holds every tick acknowledged before the backup
    /// began, `verify-backup` reports its counts, and a daemon started on it
    /// serves them.
    func testABackupDuringContinuousInsertsHoldsEveryAcknowledgedTickAndADaemonServesIt() throws {
        let daemon = try startDaemon(arguments: ["--store", "sqlite:" + directory.file("live.db"), "--max-batch", "10000"])
        let seeding = RequestSession(try connect())
        for batch in 0..<10 {
            let ticks = (0..<10_000).map { tick(at: now - Int64($0) * 10, product: "SEED", id: "s\(batch)-\($0)") }
            XCTAssertEqual(try seeding.result("ticks.insert", ["ticks": .array(ticks)])["inserted"], .int32(10_000))
        }
        seeding.close()

        let acknowledged = AcknowledgedTicks()
        let writer = Thread { [socketPath] in
            guard let socket = try? RawSocket(connectingTo: socketPath) else { return }
            let session = RequestSession(socket)
            var n = 0
            while !acknowledged.stopped {
                n += 1
                let id = "w\(n)"
                let document: BSONValue = .document(["product": "LIVE", "price": 1.5, "timestamp": .datetime(Int64(Date().timeIntervalSince1970 * 1000)), "tick_id": .string(id)])
                if (try? session.result("ticks.insert", ["ticks": [document]])["inserted"]) == .int32(1) { acknowledged.add(id) }
            }
            session.close()
        }
        writer.start()
        try waitFor("the writer inserted", timeout: 10) { acknowledged.count > 20 }
        let before = acknowledged.snapshot()
        let backup = try CommandRunner.run("deltastorectl", ["backup", "live", "--socket", socketPath, "--json"], timeout: 120)
        let during = acknowledged.count - before.count
        acknowledged.stop()
        while !writer.isFinished { usleep(10_000) }
        XCTAssertEqual(backup.status, 0, backup.stderr + daemon.log)
        let result = try BSONDocument(extendedJSON: backup.stdout)
        let path = try XCTUnwrap(result["path"]?.stringValue)
        XCTAssertEqual(path, directory.file("data/backups/live.db"), "the default directory: backups/ in the state directory")
        XCTAssertGreaterThan(during, 0, "inserts went on during the backup")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let backedUpTicks = try XCTUnwrap(result["records"]?.documentValue?["ticks"]?.integerValue)
        XCTAssertGreaterThanOrEqual(backedUpTicks, Int64(100_000 + before.count))
        XCTAssertTrue(daemon.log.contains("backup live written: \(path)"), daemon.log)

        let verify = try CommandRunner.run("deltastorectl", ["verify-backup", path])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertTrue(verify.stdout.contains("integrity_check ok"), verify.stdout)
        XCTAssertTrue(verify.stdout.contains("\(backedUpTicks) ticks, 0 quotes, 0 chains, 0 users, 0 sessions"), verify.stdout)

        let restoredSocket = directory.file("restored.sock")
        try startDaemon(socket: restoredSocket, arguments: ["--store", "sqlite:" + path])
        let restored = RequestSession(try connect(restoredSocket))
        defer { restored.close() }
        let served = Set(try allTicks(restored, product: "LIVE").compactMap { $0.documentValue?["tick_id"]?.stringValue })
        XCTAssertTrue(before.isSubset(of: served), "\(before.subtracting(served).count) acknowledged ticks missing from the backup")
        let seeds = try allTicks(restored, product: "SEED").count
        XCTAssertEqual(seeds, 100_000)
    }

    /// Every tick of `product`, page after page.
    func allTicks(_ session: RequestSession, product: String) throws -> [BSONValue] {
        var ticks: [BSONValue] = []
        var cursor: String?
        repeat {
            var args: BSONDocument = ["product": .string(product), "limit": 1000]
            if let cursor { args = args.appending("cursor", .string(cursor)) }
            let page = try session.result("ticks.query", args)
            ticks += page["ticks"]?.arrayValue ?? []
            cursor = page["next"]?.stringValue
        } while cursor != nil
        return ticks
    }

    func testBackupNamesAndConflicts() throws {
        try startDaemon(arguments: ["--store", "sqlite:" + directory.file("names.db"), "--backup-dir", directory.file("elsewhere/b")])
        let session = RequestSession(try connect())
        defer { session.close() }
        try session.result("ticks.insert", ["ticks": [tick(at: now)]])
        for bad: BSONValue in ["", "../escape", "a/b", ".hidden", .string(String(repeating: "x", count: 65)), "sp ace", 5] {
            XCTAssertEqual(try session.error("backup", ["name": bad])["code"], "INVALID_ARGUMENT", "\(bad)")
        }
        XCTAssertEqual(try session.error("backup", ["other": 1])["code"], "INVALID_ARGUMENT")
        XCTAssertEqual(try session.result("backup", ["name": "nightly-1.a_b"])["path"], .string(directory.file("elsewhere/b/nightly-1.a_b.db")))
        XCTAssertEqual(try session.error("backup", ["name": "nightly-1.a_b"])["code"], "CONFLICT")
        let unnamed = try XCTUnwrap(try session.result("backup")["path"]?.stringValue)
        let name = String(unnamed.dropFirst(directory.file("elsewhere/b/").count))
        XCTAssertTrue(name.range(of: #"^\d{8}T\d{6}\.\d{3}Z\.db$"#, options: .regularExpression) != nil, name)
        let hello = try session.result("hello")
        XCTAssertTrue(hello["ops"]?.arrayValue?.contains("backup") ?? false)
    }

    func testVerifyBackupRefusesADamagedOrMissingFile() throws {
        let junk = directory.file("junk.db")
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: junk))
        let damaged = try CommandRunner.run("deltastorectl", ["verify-backup", junk])
        XCTAssertEqual(damaged.status, 1)
        XCTAssertTrue(damaged.stderr.contains("damaged") || damaged.stderr.contains("not a"), damaged.stderr)
        let missing = try CommandRunner.run("deltastorectl", ["verify-backup", directory.file("nope.db")])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no such file"), missing.stderr)
    }

    /// `--json` is JSON whatever the file is called: a `"` or `\` in the path is escaped.
    func testVerifyBackupJSONEscapesThePath() throws {
        let junk = directory.file("odd\"na\\me.db")
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: junk))
        let result = try CommandRunner.run("deltastorectl", ["verify-backup", "--json", junk])
        XCTAssertEqual(result.status, 1, result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(object?["path"] as? String, junk, result.stdout)
        XCTAssertEqual(object?["intact"] as? Bool, false, result.stdout)
    }
}

/// The ticks the writer thread had acknowledged, shared with the test.
final class AcknowledgedTicks: @unchecked Sendable {
    private let lock = NSLock()
    private var ids = Set<String>()
    private var isStopped = false

    func add(_ id: String) { lock.withLock { _ = ids.insert(id) } }
    func snapshot() -> Set<String> { lock.withLock { ids } }
    var count: Int { lock.withLock { ids.count } }
    func stop() { lock.withLock { isStopped = true } }
    var stopped: Bool { lock.withLock { isStopped } }
}
