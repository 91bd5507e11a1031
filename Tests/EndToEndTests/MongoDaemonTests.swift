import BSONCore
import Foundation
import TestSupport
import XCTest

/// `deltastored --store mongodb://…` against the MongoDB stand-in: every
/// market-data operation over the socket, pagination and idempotent retries,
/// the auth flow (users and sessions in MongoDB),
/// the wait for MongoDB at start, and outages — `health` goes `degraded`,
/// requests get UNAVAILABLE, the daemon stays up and recovers by itself.
final class MongoDaemonTests: DaemonTestCase {
    private var standIn: MongoStandInProcess!
    private var session: RequestSession!
    let base = MarketFixtures.base

    override func tearDown() {
        session?.close()
        super.tearDown()
        standIn?.remove()
    }

    /// Starts the stand-in (keeping its data across restarts) and a daemon on it.
    private func start(standInArguments: [String] = [], firstRun: [String] = [], daemonArguments: [String] = []) throws {
        standIn = try MongoStandInProcess(persistent: true, arguments: standInArguments)
        try standIn.start(arguments: firstRun)
        try startDaemon(arguments: ["--store", storeURI] + daemonArguments)
        session = RequestSession(try connect())
    }

    private var storeURI: String { standIn.uri(database: "e2e") }

    private func quote(strike: Double, type: String, at offset: Int64) -> BSONValue {
        .document([
            "symbol": .string("NIFTY25013\(Int(strike))\(type == "CALL" ? "CE" : "PE")"), "product": "NIFTY", "strike": .double(strike),
            "expiry": "2025-01-30", "option_type": .string(type), "bid": 101.5, "ask": 102.0, "iv": 0.14, "timestamp": .datetime(base + offset),
        ])
    }

    /// Every page of `op` for `args`, following `next`.
    private func allPages(_ op: String, _ args: BSONDocument, key: String) throws -> (records: [BSONValue], pages: Int) {
        var records: [BSONValue] = []
        var cursor: String?
        var pages = 0
        repeat {
            var pageArgs = args
            if let cursor { pageArgs = pageArgs.appending("cursor", .string(cursor)) }
            let page = try session.result(op, pageArgs)
            records += page[key]?.arrayValue ?? []
            cursor = page["next"]?.stringValue
            pages += 1
        } while cursor != nil && pages < 1000
        return (records, pages)
    }

    private func waitForHealth(_ status: String, timeout: TimeInterval = 20) throws -> BSONDocument {
        let deadline = Date().addingTimeInterval(timeout)
        var last: BSONDocument = [:]
        while Date() < deadline {
            last = try session.result("health")
            if last["status"]?.stringValue == status { return last }
            usleep(200_000)
        }
        XCTFail("health did not become \(status) within \(timeout) s: \(last)")
        return last
    }

    // MARK: tests

    func testEveryMarketDataOperationIncludingPaginationAndRetries() throws {
        try start()
        let hello = try session.result("hello")
        XCTAssertEqual(hello["store"], "mongodb")

        // Ticks: insert, a retried batch, pagination both ways, a range, latest.
        let ticks: [BSONValue] = (0..<25).map { MarketFixtures.tick(Int64($0) * 1000, price: 100 + Double($0), id: "t\($0)") }
        XCTAssertEqual(try session.result("ticks.insert", ["ticks": .array(ticks)]), ["inserted": 25, "duplicates": 0, "conflicts": []])
        XCTAssertEqual(try session.result("ticks.insert", ["ticks": .array(ticks)]), ["inserted": 0, "duplicates": 25, "conflicts": []], "a retried batch is all duplicates")
        // A restarted feed reuses tick_id t3 with a new timestamp: a new tick. t4 with its stored
        // timestamp but another price is a conflict (item 2), not stored.
        let restarted = [MarketFixtures.tick(99_000, id: "t3"), MarketFixtures.tick(25_000, id: "t25"), MarketFixtures.tick(4_000, price: 1, id: "t4")]
        XCTAssertEqual(try session.result("ticks.insert", ["ticks": .array(restarted)]), ["inserted": 2, "duplicates": 0, "conflicts": [2]])
        let ascending = try allPages("ticks.query", ["product": "NIFTY", "limit": 7, "order": "asc"], key: "ticks")
        XCTAssertEqual(ascending.records, ticks + [restarted[1], restarted[0]], "every tick once, in order, every field as sent")
        XCTAssertEqual(ascending.pages, 4)
        let descending = try allPages("ticks.query", ["product": "NIFTY", "limit": 10], key: "ticks")
        XCTAssertEqual(descending.records, (ticks + [restarted[1], restarted[0]]).reversed())
        let range = try session.result("ticks.query", ["product": "NIFTY", "start": .datetime(base + 5000), "end": .datetime(base + 7000)])
        XCTAssertEqual(range["ticks"]?.arrayValue, [ticks[7], ticks[6], ticks[5]])
        XCTAssertEqual(try session.result("ticks.latest", ["product": "NIFTY"])["tick"], restarted[0])
        XCTAssertEqual(try session.error("ticks.latest", ["product": "NOPE"])["code"], "NOT_FOUND")

        // OHLC.
        try session.result("ticks.insert", ["ticks": [MarketFixtures.tick(0, price: 10, product: "BANKNIFTY"), MarketFixtures.tick(30_000, price: 12, product: "BANKNIFTY"), MarketFixtures.tick(61_000, price: 11, product: "BANKNIFTY")]])
        let bars = try session.result("ticks.ohlc", ["product": "BANKNIFTY", "window": "1m"])["bars"]?.arrayValue ?? []
        XCTAssertEqual(bars.count, 2)
        XCTAssertEqual(bars.first?.documentValue?["open"], 10.0)
        XCTAssertEqual(bars.first?.documentValue?["high"], 12.0)
        XCTAssertEqual(bars.first?.documentValue?["close"], 12.0)
        XCTAssertEqual(bars.first?.documentValue?["count"], 2)

        // Quotes: filters, pagination, idempotent retries.
        var quotes: [BSONValue] = []
        for minute in 0..<3 {
            for strike in [21_500.0, 21_600, 21_700] {
                for type in ["CALL", "PUT"] { quotes.append(quote(strike: strike, type: type, at: Int64(minute) * 60_000)) }
            }
        }
        XCTAssertEqual(try session.result("quotes.insert", ["quotes": .array(quotes)]), ["inserted": 18, "duplicates": 0, "conflicts": []])
        XCTAssertEqual(try session.result("quotes.insert", ["quotes": .array(quotes)]), ["inserted": 0, "duplicates": 18, "conflicts": []])
        let calls = try session.result("quotes.query", ["product": "NIFTY", "option_type": "CALL", "strike_min": 21_600, "strike_max": 21_700, "order": "asc"])
        XCTAssertEqual(calls["quotes"]?.arrayValue, quotes.filter {
            $0.documentValue?["option_type"] == "CALL" && ($0.documentValue?["strike"]?.doubleValue ?? 0) >= 21_600
        })
        let bySymbol = try allPages("quotes.query", ["symbol": "NIFTY2501321500CE", "limit": 2], key: "quotes")
        XCTAssertEqual(bySymbol.records.count, 3)
        XCTAssertEqual(bySymbol.pages, 2)
        let byProduct = try allPages("quotes.query", ["product": "NIFTY", "limit": 4, "order": "asc"], key: "quotes")
        XCTAssertEqual(byProduct.records, quotes, "ties (one timestamp per snapshot) keep insertion order across pages")

        // Chains: insert, retry, projection, latest, pagination.
        let chains: [BSONValue] = (0..<5).map { n in
            .document([
                "product": "NIFTY", "expiry": "2025-02-06", "spot_price": .double(21_600 + Double(n)), "pcr_oi": .double(0.9 + Double(n) / 100),
                "calls": [quotes[0]], "puts": [quotes[1]], "timestamp": .datetime(base + Int64(n) * 60_000),
            ])
        }
        XCTAssertEqual(try session.result("chains.insert", ["chains": .array(chains)]), ["inserted": 5, "duplicates": 0, "conflicts": []])
        XCTAssertEqual(try session.result("chains.insert", ["chains": [chains[4]]]), ["inserted": 0, "duplicates": 1, "conflicts": []])
        XCTAssertEqual(try session.result("chains.latest", ["product": "NIFTY", "expiry": "2025-02-06"])["chain"], chains[4])
        let projected = try session.result("chains.query", ["product": "NIFTY", "fields": ["pcr_oi"], "limit": 1])
        let newest = try XCTUnwrap(chains[4].documentValue)
        XCTAssertEqual(projected["chains"]?.arrayValue, [.document(newest.removing(["spot_price", "calls", "puts"]))])
        let chainPages = try allPages("chains.query", ["product": "NIFTY", "expiry": "2025-02-06", "limit": 2, "order": "asc"], key: "chains")
        XCTAssertEqual(chainPages.records, chains)

        // Catalog.
        XCTAssertEqual(try session.result("products.list")["products"], ["BANKNIFTY", "NIFTY"])
        XCTAssertEqual(try session.result("expiries.list", ["product": "NIFTY"])["expiries"], ["2025-01-30", "2025-02-06"])

        // Validation happens before the store: operator-shaped input is refused.
        XCTAssertEqual(try session.error("ticks.query", ["product": "$where"])["code"], "INVALID_ARGUMENT")
        XCTAssertEqual(try session.error("ticks.query", ["product": ["$gt": ""]])["code"], "INVALID_ARGUMENT")
        XCTAssertEqual(try session.error("ticks.insert", ["ticks": [["product": "NIFTY", "price": 1.0, "timestamp": .datetime(base), "m": ["$set": 1]]]])["code"], "INVALID_ARGUMENT")

        let health = try session.result("health")
        XCTAssertEqual(health["status"], "ok")
        XCTAssertEqual(health["store"]?.documentValue?["kind"], "mongodb")
        XCTAssertEqual(health["store"]?.documentValue?["ok"], true)
    }

    func testRegisterLoginVerifyRefreshLogoutWithUsersAndSessionsInMongoDB() throws {
        let keys = directory.file("jwt-keys")
        try "k1 c2VjcmV0LWtleS1mb3ItdGhlLW1vbmdvLWF1dGgtdGVzdHMtMzJi\n".write(toFile: keys, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keys)
        try start(daemonArguments: ["--jwt-keys", keys, "--bcrypt-cost", "4"])

        let registered = try session.result("auth.register", ["email": " Ana@Example.COM ", "password": "correct horse battery", "name": "Ana"])
        let user = try XCTUnwrap(registered["user"]?.documentValue)
        XCTAssertEqual(user["email"], "ana@example.com")
        XCTAssertEqual(user["name"], "Ana")
        let userID = try XCTUnwrap(user["id"]?.stringValue)
        XCTAssertEqual(userID.count, 24)
        XCTAssertEqual(try session.error("auth.register", ["email": "ana@example.com", "password": "another password"])["code"], "CONFLICT")

        let unknown = try session.error("auth.login", ["email": "nobody@example.com", "password": "correct horse battery"])
        let wrong = try session.error("auth.login", ["email": "ana@example.com", "password": "wrong password"])
        XCTAssertEqual(unknown["code"], "UNAUTHENTICATED")
        XCTAssertEqual(unknown, wrong)

        let login = try session.result("auth.login", ["email": "ANA@example.com", "password": "correct horse battery"])
        XCTAssertEqual(login["user"]?.documentValue?["id"]?.stringValue, userID)
        let token = try XCTUnwrap(login["token"]?.stringValue)
        let refreshToken = try XCTUnwrap(login["refresh_token"]?.stringValue)

        let verified = try session.result("auth.verify", ["token": .string(token)])
        XCTAssertEqual(verified["valid"], .bool(true))
        XCTAssertEqual(verified["user_id"]?.stringValue, userID)
        XCTAssertEqual(verified["email"], "ana@example.com")

        let refreshed = try session.result("auth.refresh", ["refresh_token": .string(refreshToken)])
        let newRefresh = try XCTUnwrap(refreshed["refresh_token"]?.stringValue)
        XCTAssertNotEqual(newRefresh, refreshToken)
        XCTAssertEqual(try session.result("auth.verify", ["token": refreshed["token"] ?? .null])["valid"], .bool(true))

        XCTAssertEqual(try session.result("auth.logout", ["refresh_token": .string(newRefresh)])["revoked"], .int32(1))
        XCTAssertEqual(try session.error("auth.verify", ["token": .string(token)])["code"], "TOKEN_REVOKED")
        XCTAssertEqual(try session.error("auth.verify", ["token": refreshed["token"] ?? .null])["code"], "TOKEN_REVOKED")
        XCTAssertEqual(try session.error("auth.refresh", ["refresh_token": .string(newRefresh)])["code"], "TOKEN_REVOKED")
        // The registration's session is another login: good until all sessions go.
        XCTAssertEqual(try session.result("auth.verify", ["token": registered["token"] ?? .null])["valid"], .bool(true))
        XCTAssertEqual(try session.result("auth.logout", ["token": registered["token"] ?? .null, "all_sessions": true])["revoked"], .int32(1))
        XCTAssertEqual(try session.error("auth.verify", ["token": registered["token"] ?? .null])["code"], "TOKEN_REVOKED")

        // A restarted daemon finds the user in MongoDB.
        session.close()
        let daemon = try XCTUnwrap(runningDaemons.first)
        XCTAssertFalse(daemon.log.contains("keeps no users"), daemon.log)
        XCTAssertFalse(daemon.log.contains("correct horse battery"), "no password in the log")
        daemon.stop()
        try startDaemon(arguments: ["--store", storeURI, "--jwt-keys", keys, "--bcrypt-cost", "4"])
        session = RequestSession(try connect())
        XCTAssertEqual(try session.result("auth.login", ["email": "ana@example.com", "password": "correct horse battery"])["user"]?.documentValue?["id"]?.stringValue, userID)
    }

    func testHealthIsDegradedDuringAnOutageAndTheDaemonRecoversByItself() throws {
        try start()
        try session.result("ticks.insert", ["ticks": [MarketFixtures.tick(0, id: "kept")]])
        let daemon = try XCTUnwrap(runningDaemons.first)

        standIn.kill()
        let began = Date()
        let degraded = try waitForHealth("degraded", timeout: 10)
        XCTAssertLessThan(Date().timeIntervalSince(began), 6, "health reports the outage within about 5 s")
        XCTAssertEqual(degraded["store"]?.documentValue?["ok"], false)
        let started = Date()
        let unavailable = try session.error("ticks.query", ["product": "NIFTY"])
        XCTAssertEqual(unavailable["code"], "UNAVAILABLE")
        XCTAssertLessThan(Date().timeIntervalSince(started), 6)
        XCTAssertFalse((unavailable["message"]?.stringValue ?? "").contains(standIn.socketPath), "no server address in the message")
        XCTAssertEqual(try session.error("ticks.insert", ["ticks": [MarketFixtures.tick(1, id: "lost")]])["code"], "UNAVAILABLE")
        XCTAssertEqual(try session.error("products.list")["code"], "UNAVAILABLE")
        XCTAssertEqual(try session.result("ping"), ["pong": true], "the daemon itself still answers")
        XCTAssertTrue(daemon.process.isRunning)

        try standIn.start()
        _ = try waitForHealth("ok")
        XCTAssertEqual(try session.result("ticks.query", ["product": "NIFTY"])["ticks"]?.arrayValue, [MarketFixtures.tick(0, id: "kept")])
        XCTAssertEqual(try session.result("ticks.insert", ["ticks": [MarketFixtures.tick(0, id: "kept"), MarketFixtures.tick(1, id: "new")]]), ["inserted": 1, "duplicates": 1, "conflicts": []])
        XCTAssertTrue(daemon.process.isRunning, "the daemon never exited")
        XCTAssertEqual(runningDaemons.count, 1)
        XCTAssertTrue(daemon.log.contains("MongoDB is unavailable"), daemon.log)
        XCTAssertTrue(daemon.log.contains("MongoDB answers again"), daemon.log)
    }

    func testABatchCutOffByAnOutageIsUnavailableAndItsRetryIsIdempotent() throws {
        // libmongoc sends 30 ticks as three inserts of 10; the stand-in dies on the second.
        try start(standInArguments: ["--max-write-batch", "10"], firstRun: ["--exit-on", "insert:2"])
        let batch: [BSONValue] = (0..<30).map { MarketFixtures.tick(Int64($0), id: "b\($0)") }
        XCTAssertEqual(try session.error("ticks.insert", ["ticks": .array(batch)])["code"], "UNAVAILABLE", "never reported as done")
        XCTAssertTrue(standIn.waitForExit(timeout: 5))
        try standIn.start()
        _ = try waitForHealth("ok")
        XCTAssertEqual(try session.result("ticks.insert", ["ticks": .array(batch)]), ["inserted": 20, "duplicates": 10, "conflicts": []])
        XCTAssertEqual(try allPages("ticks.query", ["product": "NIFTY", "limit": 100, "order": "asc"], key: "ticks").records, batch)
    }

    func testTheDaemonWaitsForMongoDBBeforeListening() throws {
        standIn = try MongoStandInProcess(persistent: true)
        let secretURI = storeURI.replacingOccurrences(of: "/e2e", with: "/e2e?appname=deltastored-e2e")
        let daemon = try startDaemon(arguments: ["--store", secretURI], waitForListening: false)
        let deadline = Date().addingTimeInterval(15)
        while !daemon.log.contains("waiting for MongoDB") && daemon.process.isRunning && Date() < deadline { usleep(100_000) }
        XCTAssertTrue(daemon.log.contains("waiting for MongoDB"), daemon.log)
        XCTAssertTrue(daemon.process.isRunning, "still waiting, not exited:\n\(daemon.log)")
        XCTAssertThrowsError(try RawSocket(connectingTo: socketPath), "not listening before the store is up")

        try standIn.start()
        try daemon.waitUntilListening(timeout: 20)
        session = RequestSession(try connect())
        XCTAssertEqual(try session.result("health")["status"], "ok")
    }

    func testTheDaemonGivesUpOnMongoDBAfterItsStartupTimeout() throws {
        standIn = try MongoStandInProcess(persistent: true)  // never started: nothing listens
        let started = Date()
        let daemon = try startDaemon(arguments: ["--store", storeURI, "--mongo-startup-timeout", "2"], waitForListening: false)
        XCTAssertNotEqual(daemon.waitForExit(timeout: 30), 0)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertLessThan(elapsed, 20, "gave up after about 2 s, not the default 30 s")
        XCTAssertTrue(daemon.log.contains("cannot open the store"), daemon.log)
        XCTAssertTrue(daemon.log.contains("did not answer within 2 s"), daemon.log)

        let refused = try startDaemon(socket: directory.file("t0.sock"), arguments: ["--store", storeURI, "--mongo-startup-timeout", "0"], waitForListening: false)
        XCTAssertNotEqual(refused.waitForExit(timeout: 20), 0)
        XCTAssertTrue(refused.log.contains("--mongo-startup-timeout must be between 1 and 3600"), refused.log)
    }

    func testWriteConcernOptionAndCredentialsNeverLogged() throws {
        try start(daemonArguments: ["--mongo-write-concern", "1"])
        XCTAssertEqual(try session.result("ticks.insert", ["ticks": [MarketFixtures.tick(0)]])["inserted"], 1)
        XCTAssertTrue(try XCTUnwrap(runningDaemons.first).log.contains("write_concern=1"))

        // w:0 cannot report duplicates: refused at start.
        let refused = try startDaemon(socket: directory.file("w0.sock"), arguments: ["--store", storeURI, "--mongo-write-concern", "0"], waitForListening: false)
        XCTAssertNotEqual(refused.waitForExit(timeout: 20), 0)
        XCTAssertTrue(refused.log.contains("--mongo-write-concern"), refused.log)

        // Credentials in the URI: the stand-in has no authentication, so the
        // start fails; the password appears nowhere in the log.
        let withPassword = storeURI.replacingOccurrences(of: "mongodb://", with: "mongodb://trader:s3cr3t-pw@")
        let failing = try startDaemon(socket: directory.file("auth.sock"), arguments: ["--store", withPassword], waitForListening: false)
        XCTAssertNotEqual(failing.waitForExit(timeout: 40), 0)
        XCTAssertFalse(failing.log.contains("s3cr3t-pw"), failing.log)
        XCTAssertTrue(failing.log.contains("***@"), failing.log)
    }
}
