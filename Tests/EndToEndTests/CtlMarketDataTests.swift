import BSONCore
import Foundation
import TestSupport
import XCTest

/// The README's market-data session: `deltastorectl seed`, then the query
/// subcommands, against the built daemon.
final class CtlMarketDataTests: DaemonTestCase {
    private func ctl(_ arguments: [String]) throws -> CommandResult {
        try CommandRunner.run("deltastorectl", arguments + ["--socket", socketPath])
    }

    func testSeedThenQuery() throws {
        try startDaemon(arguments: ["--store", "sqlite:" + directory.file("seed.db")])
        let end = "2025-01-30T10:00:00Z"
        let seed = try ctl(["seed", "--products", "NIFTY,BANKNIFTY", "--minutes", "10", "--end", end, "--strikes", "3", "--expiries", "2"])
        XCTAssertEqual(seed.status, 0, seed.stderr)
        XCTAssertTrue(seed.stdout.hasPrefix("seeded 1202 ticks, "), seed.stdout)

        let again = try ctl(["seed", "--products", "NIFTY,BANKNIFTY", "--minutes", "10", "--end", end, "--strikes", "3", "--expiries", "2"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.hasPrefix("seeded 0 ticks, 0 quotes, 0 chains"), "re-seeding is idempotent: \(again.stdout)")

        let ticks = try ctl(["ticks", "NIFTY", "--limit", "5"])
        XCTAssertEqual(ticks.status, 0, ticks.stderr)
        let lines = ticks.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 6, ticks.stdout)
        XCTAssertTrue(lines[0].hasPrefix("TIMESTAMP"))
        XCTAssertTrue(lines[1].hasPrefix("2025-01-30T10:00:00.000Z"), "newest first: \(lines[1])")

        let all = try ctl(["ticks", "NIFTY", "--start", "2025-01-30T09:55:00Z", "--asc", "--all", "--limit", "100", "--json"])
        XCTAssertEqual(all.status, 0, all.stderr)
        let records = all.stdout.split(separator: "\n").map { try? BSONDocument(extendedJSON: String($0)) }
        XCTAssertEqual(records.count, 301, "--all follows every cursor: 5 minutes of 1-second ticks, both ends included")
        XCTAssertEqual(records.first??["timestamp"], .datetime(1_738_231_200_000 - 300_000))

        XCTAssertEqual(try ctl(["products"]).stdout, "BANKNIFTY\nNIFTY\n")
        let expiries = try ctl(["expiries", "NIFTY"]).stdout.split(separator: "\n")
        XCTAssertEqual(expiries, ["2025-02-06", "2025-02-13"])

        let latest = try ctl(["chains", "NIFTY", "--expiry", "2025-02-06", "--latest", "--json"])
        XCTAssertEqual(latest.status, 0, latest.stderr)
        let chain = try BSONDocument(extendedJSON: latest.stdout)
        XCTAssertEqual(chain["calls"]?.arrayValue?.count, 7)
        XCTAssertNotNil(chain["max_pain_strike"]?.doubleValue)

        let bars = try ctl(["ohlc", "NIFTY", "--window", "5m", "--json"])
        XCTAssertEqual(bars.status, 0, bars.stderr)
        XCTAssertEqual(bars.stdout.split(separator: "\n").count, 3, "09:50, 09:55 and the 10:00 bar: \(bars.stdout)")

        let quotes = try ctl(["quotes", "--product", "NIFTY", "--type", "put", "--limit", "3"])
        XCTAssertEqual(quotes.status, 0, quotes.stderr)
        XCTAssertEqual(quotes.stdout.split(separator: "\n").count, 4)
        XCTAssertTrue(quotes.stdout.contains(" PUT "))

        let health = try ctl(["health"])
        XCTAssertEqual(health.status, 0)
        XCTAssertTrue(health.stdout.hasPrefix("ok: store sqlite ok"), health.stdout)
    }

    func testBadTimeIsAUsageError() throws {
        try startDaemon(arguments: ["--store", "sqlite:" + directory.file("seed.db")])
        let result = try ctl(["ticks", "NIFTY", "--start", "yesterday"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("ISO-8601"), result.stderr)
        let missing = try ctl(["ticks", "NIFTY", "--latest"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.hasPrefix("NOT_FOUND: "), missing.stderr)
    }
}
