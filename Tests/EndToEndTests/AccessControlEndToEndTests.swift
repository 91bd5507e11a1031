import BSONCore
import Foundation
import TestSupport
import XCTest

/// Access rules against real peers: `deltastorectl` run as other uids through
/// `setpriv`, with the default rules and with a rules file reloaded by SIGHUP.
final class AccessControlEndToEndTests: DaemonTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        guard getuid() == 0 else { throw XCTSkip("running clients as other users needs root (setpriv)") }
        // Other users must reach the socket in the test's private directory.
        chmod(directory.path, 0o755)
    }

    /// Runs deltastorectl as `uid`/`gid` with `groups` as supplementary groups.
    private func ctl(uid: UInt32, gid: UInt32, groups: [UInt32] = [], _ arguments: [String]) throws -> CommandResult {
        let groupOption = groups.isEmpty ? "--clear-groups" : "--groups=" + groups.map(String.init).joined(separator: ",")
        return try CommandRunner.run("deltastorectl", arguments + ["--socket", socketPath], launcher: ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)", groupOption])
    }

    /// Whether `arguments` succeed for `uid` within 5 s (a reload is applied asynchronously).
    private func eventuallySucceeds(uid: UInt32, gid: UInt32, _ arguments: [String]) throws -> Bool {
        for _ in 0..<100 {
            if try ctl(uid: uid, gid: gid, arguments).status == 0 { return true }
            usleep(50_000)
        }
        return false
    }

    func testDefaultRules() throws {
        let daemon = try startDaemon(arguments: ["--store", "sqlite:" + directory.file("acl.db")])
        openSocketToEveryone(daemon)
        let query = ["call", "ticks.query", "--args", #"{"product": "NIFTY"}"#]

        // Anyone else: only hello/ping.
        XCTAssertEqual(try ctl(uid: 65534, gid: 65534, ["ping"]).status, 0)
        let stranger = try ctl(uid: 65534, gid: 65534, query)
        XCTAssertEqual(stranger.status, 1)
        XCTAssertTrue(stranger.stderr.hasPrefix("PERMISSION_DENIED: uid 65534"), stranger.stderr)

        // Members of the daemon's group (here root's group 0 as primary group): read, write, auth — not admin.
        let member = try ctl(uid: 4242, gid: 0, query)
        XCTAssertEqual(member.status, 0, member.stderr)
        let stats = try ctl(uid: 4242, gid: 0, ["stats"])
        XCTAssertEqual(stats.status, 1)
        XCTAssertTrue(stats.stderr.hasPrefix("PERMISSION_DENIED"), stats.stderr)

        // backup is admin: refused to the members and to anyone else, and nothing is written.
        for (uid, gid) in [(UInt32(4242), UInt32(0)), (65534, 65534)] {
            let backup = try ctl(uid: uid, gid: gid, ["backup", "refused"])
            XCTAssertEqual(backup.status, 1)
            XCTAssertTrue(backup.stderr.hasPrefix("PERMISSION_DENIED: uid \(uid) may not call 'backup'"), backup.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.file("data/backups/refused.db")))

        // The daemon's own user (root here) gets everything.
        XCTAssertEqual(try CommandRunner.run("deltastorectl", ["stats", "--socket", socketPath]).status, 0)
        let allowed = try CommandRunner.run("deltastorectl", ["backup", "allowed", "--socket", socketPath])
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.file("data/backups/allowed.db")))

        XCTAssertTrue(daemon.log.contains("permission denied"), daemon.log)
        XCTAssertTrue(daemon.log.contains("peer_uid=65534"), "refusals are logged with the peer:\n\(daemon.log)")
    }

    func testSupplementaryGroupMembershipIsRecognized() throws {
        let rules = directory.file("access.conf")
        try "gid:5151 read\n".write(toFile: rules, atomically: true, encoding: .utf8)
        let daemon = try startDaemon(arguments: ["--store", "sqlite:" + directory.file("acl.db"), "--access-rules", rules])
        openSocketToEveryone(daemon)
        let query = ["call", "ticks.query", "--args", #"{"product": "NIFTY"}"#]
        XCTAssertEqual(try ctl(uid: 4242, gid: 4242, groups: [5151], query).status, 0, "a service that joined the group with SupplementaryGroups=")
        XCTAssertEqual(try ctl(uid: 4242, gid: 4242, groups: [5152], query).status, 1)
    }

    func testRulesFileAndReloadWithoutRestart() throws {
        let rules = directory.file("access.conf")
        try "user:nobody read\nuid:0 all\n".write(toFile: rules, atomically: true, encoding: .utf8)
        let daemon = try startDaemon(arguments: ["--store", "sqlite:" + directory.file("acl.db"), "--access-rules", rules])
        openSocketToEveryone(daemon)
        let held = try connect()
        defer { held.close() }
        let query = ["call", "ticks.query", "--args", #"{"product": "NIFTY"}"#]
        let insert = ["call", "ticks.insert", "--args", #"{"ticks": [{"product": "NIFTY", "price": 1.5, "timestamp": {"$date": "2025-01-30T09:15:00Z"}}]}"#]
        XCTAssertEqual(try ctl(uid: 65534, gid: 65534, query).status, 0)
        XCTAssertEqual(try ctl(uid: 65534, gid: 65534, insert).status, 1)

        try "user:nobody read write\nuid:0 all\n".write(toFile: rules, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        let allowed = try eventuallySucceeds(uid: 65534, gid: 65534, insert)
        XCTAssertTrue(allowed, "the reloaded rules apply without a restart:\n\(daemon.log)")
        try held.send(RequestBuilder.ping(id: 1))
        XCTAssertEqual(try held.receiveDocument()?["ok"], .bool(true), "connections survive the reload")

        // A broken file keeps the rules in force.
        try "user:nobody reed\n".write(toFile: rules, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        usleep(500_000)
        XCTAssertEqual(try ctl(uid: 65534, gid: 65534, insert).status, 0)
        XCTAssertTrue(daemon.log.contains("keeping the previous one"), daemon.log)
    }

    func testARulesFileAnyoneElseCouldWriteIsRefusedAtStartAndOnReload() throws {
        let rules = directory.file("access.conf")
        let arguments = ["--store", "sqlite:" + directory.file("acl.db"), "--access-rules", rules]
        try "user:nobody read\nuid:0 all\n".write(toFile: rules, atomically: true, encoding: .utf8)
        for (mode, reason) in [(0o666, "writable by group and others (mode 0666)"), (0o664, "writable by group (mode 0664)"), (0o646, "writable by others (mode 0646)")] {
            chmod(rules, mode_t(mode))
            let daemon = try startDaemon(arguments: arguments, waitForListening: false)
            XCTAssertEqual(daemon.waitForExit(timeout: 20), 1, daemon.log)
            XCTAssertTrue(daemon.log.contains(reason) && daemon.log.contains("refused"), "mode \(String(mode, radix: 8)):\n\(daemon.log)")
        }
        chmod(rules, 0o644)
        XCTAssertEqual(chown(rules, 65534, 65534), 0)
        let foreign = try startDaemon(arguments: arguments, waitForListening: false)
        XCTAssertEqual(foreign.waitForExit(timeout: 20), 1, foreign.log)
        XCTAssertTrue(foreign.log.contains("owned by uid 65534, neither root nor the daemon's user"), foreign.log)

        // Owned by root, readable by all, writable by root only: in force.
        XCTAssertEqual(chown(rules, 0, 0), 0)
        let daemon = try startDaemon(arguments: arguments)
        openSocketToEveryone(daemon)
        let insert = ["call", "ticks.insert", "--args", #"{"ticks": [{"product": "NIFTY", "price": 1.5, "timestamp": {"$date": "2025-01-30T09:15:00Z"}}]}"#]
        let denied = try ctl(uid: 65534, gid: 65534, insert)
        XCTAssertEqual(denied.status, 1)
        XCTAssertTrue(denied.stderr.hasPrefix("PERMISSION_DENIED: uid 65534 may not call 'ticks.insert' (group 'write')"), denied.stderr)
        XCTAssertFalse(denied.stderr.contains(rules), "the message names no server path: \(denied.stderr)")

        // A reload of a file others could write is refused: the rules in force stay.
        try "user:nobody read write\nuid:0 all\n".write(toFile: rules, atomically: true, encoding: .utf8)
        chmod(rules, 0o666)
        daemon.signal(SIGHUP)
        let deadline = Date().addingTimeInterval(10)
        while !daemon.log.contains("writable by group and others") && Date() < deadline { usleep(20_000) }
        XCTAssertTrue(daemon.log.contains("keeping the previous one"), daemon.log)
        XCTAssertEqual(try ctl(uid: 65534, gid: 65534, insert).status, 1, "the old rules are in force")
        chmod(rules, 0o644)
        daemon.signal(SIGHUP)
        let allowed = try eventuallySucceeds(uid: 65534, gid: 65534, insert)
        XCTAssertTrue(allowed, "the same file, made safe, is taken:\n\(daemon.log)")
    }

    func testReloadOperationIsAdminOnlyAndReportsEachStep() throws {
        let rules = directory.file("access.conf")
        try "uid:0 all\nuser:nobody read\n".write(toFile: rules, atomically: true, encoding: .utf8)
        let daemon = try startDaemon(arguments: ["--store", "sqlite:" + directory.file("acl.db"), "--access-rules", rules])
        openSocketToEveryone(daemon)
        let denied = try ctl(uid: 65534, gid: 65534, ["call", "reload"])
        XCTAssertEqual(denied.status, 1)
        XCTAssertTrue(denied.stderr.hasPrefix("PERMISSION_DENIED"), denied.stderr)

        try "uid:0 all\nuser:nobody read write\n".write(toFile: rules, atomically: true, encoding: .utf8)
        let reply = try roundTrip(RequestBuilder.request(id: 1, op: "reload"))
        let steps = (reply["result"]?.documentValue?["steps"]?.arrayValue ?? []).compactMap(\.documentValue)
        XCTAssertEqual(steps.compactMap { $0["name"]?.stringValue }, ["access rules", "jwt keys"], "\(reply)")
        XCTAssertTrue(steps.allSatisfy { $0["ok"] == .bool(true) }, "\(reply)")
        let insert = ["call", "ticks.insert", "--args", #"{"ticks": [{"product": "NIFTY", "price": 1.5, "timestamp": {"$date": "2025-01-30T09:15:00Z"}}]}"#]
        XCTAssertEqual(try ctl(uid: 65534, gid: 65534, insert).status, 0, "the reloaded rules apply")
    }
}
