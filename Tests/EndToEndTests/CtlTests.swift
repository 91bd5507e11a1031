import Foundation
import TestSupport
import XCTest

/// `deltastorectl` against the running daemon.
final class CtlTests: DaemonTestCase {
    func testPingPrintsRoundTripTime() throws {
        try startDaemon()
        let result = try CommandRunner.run("deltastorectl", ["ping", "--socket", socketPath, "--count", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines.allSatisfy { $0.contains("time=") && $0.hasSuffix(" ms") }, result.stdout)
    }

    /// `--socket` before the subcommand, as `redis-cli -s` and `systemctl -H`
    /// take theirs, for a plain subcommand and a nested one; after it still works.
    func testConnectionOptionsBeforeTheSubcommand() throws {
        try startDaemon()
        let ping = try CommandRunner.run("deltastorectl", ["--socket", socketPath, "ping"])
        XCTAssertEqual(ping.status, 0, ping.stderr)
        XCTAssertTrue(ping.stdout.hasPrefix("pong from \(socketPath)"), ping.stdout)
        let call = try CommandRunner.run("deltastorectl", ["--socket=\(socketPath)", "call", "ping"])
        XCTAssertEqual(call.status, 0, call.stderr)
        let nested = try CommandRunner.run("deltastorectl", ["--socket", socketPath, "auth", "verify", "not-a-token"])
        XCTAssertEqual(nested.status, 1, "the daemon was reached and answered: \(nested.stderr)")
        XCTAssertTrue(nested.stderr.contains("TOKEN_INVALID"), nested.stderr)
        // Given twice, the one after the subcommand wins.
        let both = try CommandRunner.run("deltastorectl", ["--socket", directory.file("nobody.sock"), "ping", "--socket", socketPath])
        XCTAssertEqual(both.status, 0, both.stderr)
        let unreachable = try CommandRunner.run("deltastorectl", ["--socket", directory.file("nobody.sock"), "ping"])
        XCTAssertEqual(unreachable.status, 69, "the option before the subcommand is the one used")
    }

    /// `ping --interval` keeps one connection for all its pings.
    func testPingIntervalUsesOneConnection() throws {
        try startDaemon(arguments: ["--store", "sqlite:" + directory.file("ping.db")])
        func connectionsSoFar() throws -> Int? {
            let stats = try CommandRunner.run("deltastorectl", ["stats", "--socket", socketPath])
            guard let line = stats.stdout.split(separator: "\n").first, let range = line.range(of: " open, ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        let before = try XCTUnwrap(try connectionsSoFar())
        let started = Date()
        let result = try CommandRunner.run("deltastorectl", ["ping", "--socket", socketPath, "--count", "3", "--interval", "0.2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 3, result.stdout)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.4, "two pauses of 0.2 s between three pings")
        XCTAssertEqual(try connectionsSoFar(), before + 2, "one connection for the three pings, one for the second stats")
        let bad = try CommandRunner.run("deltastorectl", ["ping", "--socket", socketPath, "--interval", "-1"])
        XCTAssertEqual(bad.status, 64, bad.stderr)
    }

    func testSocketFromEnvironment() throws {
        try startDaemon()
        let result = try CommandRunner.run("deltastorectl", ["ping"], environment: ["DELTASTORE_SOCKET": socketPath])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func testHello() throws {
        try startDaemon()
        let result = try CommandRunner.run("deltastorectl", ["hello", "--socket", socketPath])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("deltastored"), result.stdout)
        XCTAssertTrue(result.stdout.contains("protocol 1"), result.stdout)
        XCTAssertTrue(result.stdout.contains("ping"), result.stdout)

        let json = try CommandRunner.run("deltastorectl", ["hello", "--json", "--socket", socketPath])
        XCTAssertEqual(json.status, 0, json.stderr)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(parsed?["server"] as? String, "deltastored")
    }

    func testCallPrintsExtendedJSON() throws {
        try startDaemon()
        let result = try CommandRunner.run("deltastorectl", ["call", "ping", "--args", #"{"delay_ms": 10}"#, "--socket", socketPath])
        XCTAssertEqual(result.status, 0, result.stderr)
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(parsed?["pong"] as? Bool, true)
    }

    func testErrorReplyExitsNonZeroWithCodeOnStderr() throws {
        try startDaemon()
        let unknown = try CommandRunner.run("deltastorectl", ["call", "no.such.op", "--socket", socketPath])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.hasPrefix("UNKNOWN_OP: "), unknown.stderr)
        XCTAssertEqual(unknown.stdout, "")

        let invalid = try CommandRunner.run("deltastorectl", ["call", "ping", "--args", #"{"delay_ms": "soon"}"#, "--socket", socketPath])
        XCTAssertEqual(invalid.status, 1)
        XCTAssertTrue(invalid.stderr.contains("INVALID_ARGUMENT"), invalid.stderr)
        XCTAssertTrue(invalid.stderr.contains("delay_ms"), invalid.stderr)
    }

    func testBadExtendedJSONIsAUsageError() throws {
        try startDaemon()
        let result = try CommandRunner.run("deltastorectl", ["call", "ping", "--args", "{not json", "--socket", socketPath])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--args"), result.stderr)
    }

    func testUnreachableDaemonExits69() throws {
        let path = directory.file("nobody.sock")
        let result = try CommandRunner.run("deltastorectl", ["ping", "--socket", path])
        XCTAssertEqual(result.status, 69)
        XCTAssertTrue(result.stderr.contains("cannot reach deltastored: no socket at \(path): deltastored is not running there"), result.stderr)
        XCTAssertTrue(result.stderr.contains("./dev run") && result.stderr.contains("systemctl start deltastore.socket"), "says how to start one: \(result.stderr)")
        XCTAssertFalse(result.stderr.contains("errno"), "NIO's raw error text: \(result.stderr)")
    }
}

/// `deltastorectl stats` after some traffic.
final class CtlStatsTests: DaemonTestCase {
    func testStatsShowsOperationsAndClients() throws {
        try startDaemon(arguments: ["--store", "sqlite:" + directory.file("stats.db")])
        for _ in 0..<3 { XCTAssertEqual(try CommandRunner.run("deltastorectl", ["ping", "--socket", socketPath]).status, 0) }
        _ = try CommandRunner.run("deltastorectl", ["call", "no.such.op", "--socket", socketPath])
        let held = try connect()
        defer { held.close() }
        let stats = try CommandRunner.run("deltastorectl", ["stats", "--socket", socketPath])
        XCTAssertEqual(stats.status, 0, stats.stderr)
        XCTAssertTrue(stats.stdout.contains("connections 2 open"), stats.stdout)
        XCTAssertTrue(stats.stdout.contains("unknown ops 1"), stats.stdout)
        let ping = stats.stdout.split(separator: "\n").first { $0.hasPrefix("ping ") }
        XCTAssertNotNil(ping, stats.stdout)
        XCTAssertEqual(ping?.split(separator: " ").dropFirst().first, "3", "three pings counted: \(ping ?? "")")
        XCTAssertTrue(stats.stdout.contains("uid \(getuid())"), stats.stdout)
    }
}
