import BSONCore
import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Authentication over the socket: the whole flow, key rotation on live
/// connections, responsiveness while logins hash, the key file rules, and a
/// log free of secrets. Every test runs against the built binary (here) and
/// against the daemon assembled in the test process (`AuthInProcessTests`),
/// except two that need the process: the exit status of a daemon refused its
/// key file, and the journal on stderr. Key rotation reloads by SIGHUP for the
/// binary and by the `reload` operation in process.
class AuthTests: AuthDaemonTestCase {
    // MARK: The flow

    func testRegisterLoginVerifyRefreshLogoutOverTheSocket() throws {
        try authDaemon(keys: writeKeys(["k1 " + Self.randomSecret()]))
        let socket = try connect()
        defer { socket.close() }

        let registered = ok(try call(socket, "auth.register", ["email": " Ana@Example.COM ", "password": "correct horse battery", "name": "Ana"]))
        let user = try XCTUnwrap(registered["user"]?.documentValue)
        XCTAssertEqual(user.keys, ["id", "email", "name"])
        XCTAssertEqual(user["email"], "ana@example.com")
        XCTAssertEqual(user["name"], "Ana")
        let userID = try XCTUnwrap(user["id"]?.stringValue)
        XCTAssertEqual(userID.count, 24)
        XCTAssertNotNil(registered["token"]?.stringValue)
        XCTAssertEqual(registered["refresh_token"]?.stringValue?.count, 43)
        XCTAssertNotNil(registered["expires_at"]?.datetimeValue)
        XCTAssertEqual(kid(of: registered["token"]?.stringValue ?? ""), "k1")

        XCTAssertEqual(code(try call(socket, "auth.register", ["email": "ana@example.com", "password": "another password"])), "CONFLICT")

        // Unknown email and wrong password: one and the same answer.
        let unknown = try call(socket, "auth.login", ["email": "nobody@example.com", "password": "correct horse battery"])
        let wrong = try call(socket, "auth.login", ["email": "ana@example.com", "password": "wrong password"])
        XCTAssertEqual(code(unknown), "UNAUTHENTICATED")
        XCTAssertEqual(unknown["error"], wrong["error"])

        let login = ok(try call(socket, "auth.login", ["email": "ANA@example.com", "password": "correct horse battery"]))
        XCTAssertEqual(login["user"]?.documentValue?["id"]?.stringValue, userID)
        let token = try XCTUnwrap(login["token"]?.stringValue)
        let refreshToken = try XCTUnwrap(login["refresh_token"]?.stringValue)

        let verified = ok(try call(socket, "auth.verify", ["token": .string(token)]))
        XCTAssertEqual(verified["valid"], .bool(true))
        XCTAssertEqual(verified["user_id"]?.stringValue, userID)
        XCTAssertEqual(verified["email"], "ana@example.com")
        XCTAssertEqual(verified["expires_at"], login["expires_at"])
        // Presented again, the token is answered inline from the verified-token
        // cache: the same result, byte for byte.
        let again = ok(try call(socket, "auth.verify", ["token": .string(token)]))
        XCTAssertEqual(again.bytes, verified.bytes)

        let refreshed = ok(try call(socket, "auth.refresh", ["refresh_token": .string(refreshToken)]))
        let newRefresh = try XCTUnwrap(refreshed["refresh_token"]?.stringValue)
        XCTAssertNotEqual(newRefresh, refreshToken)
        _ = ok(try call(socket, "auth.verify", ["token": refreshed["token"] ?? .null]))
        // A retry of the same refresh moments later (same peer): the same answer.
        XCTAssertEqual(ok(try call(socket, "auth.refresh", ["refresh_token": .string(refreshToken)]))["refresh_token"]?.stringValue, newRefresh)

        // Tokens are not interchangeable.
        XCTAssertEqual(code(try call(socket, "auth.verify", ["token": .string(newRefresh)])), "TOKEN_INVALID")
        XCTAssertEqual(code(try call(socket, "auth.refresh", ["refresh_token": .string(token)])), "TOKEN_INVALID")

        let logout = ok(try call(socket, "auth.logout", ["refresh_token": .string(newRefresh)]))
        XCTAssertEqual(logout["revoked"], .int32(1))
        // On the very next verify, every access token of that login is refused.
        XCTAssertEqual(code(try call(socket, "auth.verify", ["token": .string(token)])), "TOKEN_REVOKED")
        XCTAssertEqual(code(try call(socket, "auth.verify", ["token": refreshed["token"] ?? .null])), "TOKEN_REVOKED")
        XCTAssertEqual(code(try call(socket, "auth.refresh", ["refresh_token": .string(newRefresh)])), "TOKEN_REVOKED")
        // The registration's own session is another login: still good, until all sessions go.
        _ = ok(try call(socket, "auth.verify", ["token": registered["token"] ?? .null]))
        XCTAssertEqual(ok(try call(socket, "auth.logout", ["token": registered["token"] ?? .null, "all_sessions": true]))["revoked"], .int32(1))
        XCTAssertEqual(code(try call(socket, "auth.verify", ["token": registered["token"] ?? .null])), "TOKEN_REVOKED")
    }

    func testBadInputGetsItsSpecificCode() throws {
        try authDaemon()
        let socket = try connect()
        defer { socket.close() }
        let cases: [(String, BSONDocument, String, String?)] = [
            ("auth.register", ["email": "no-at-sign", "password": "12345678"], "INVALID_ARGUMENT", "email"),
            ("auth.register", ["email": "a@@b", "password": "12345678"], "INVALID_ARGUMENT", "email"),
            ("auth.register", ["email": "@b", "password": "12345678"], "INVALID_ARGUMENT", "email"),
            ("auth.register", ["email": .string(String(repeating: "a", count: 250) + "@b.co"), "password": "12345678"], "INVALID_ARGUMENT", "email"),
            ("auth.register", ["email": "a@b", "password": "1234567"], "INVALID_ARGUMENT", "password"),
            ("auth.register", ["email": "a@b", "password": ""], "INVALID_ARGUMENT", "password"),
            ("auth.register", ["email": "a@b", "password": .string(String(repeating: "p", count: 73))], "INVALID_ARGUMENT", "password"),
            ("auth.register", ["email": "a@b", "password": 12_345_678], "INVALID_ARGUMENT", "password"),
            ("auth.register", ["email": "a@b", "password": "12345678", "role": "admin"], "INVALID_ARGUMENT", "role"),
            ("auth.login", ["email": "a@b"], "INVALID_ARGUMENT", "password"),
            ("auth.login", ["email": "a@b", "password": .string(String(repeating: "p", count: 73))], "INVALID_ARGUMENT", "password"),
            ("auth.verify", ["token": "not.a.token"], "TOKEN_INVALID", nil),
            ("auth.verify", ["token": ""], "TOKEN_INVALID", nil),
            ("auth.verify", ["token": .document(["$ne": ""])], "INVALID_ARGUMENT", "token"),
            ("auth.refresh", ["refresh_token": "short"], "TOKEN_INVALID", nil),
            ("auth.logout", BSONDocument(), "INVALID_ARGUMENT", "refresh_token"),
        ]
        for (op, args, expected, field) in cases {
            let reply = try call(socket, op, args)
            XCTAssertEqual(code(reply), expected, "\(op) \(args)")
            if let field {
                XCTAssertEqual(reply["error"]?.documentValue?["details"]?.documentValue?["field"]?.stringValue, field, "\(op) \(args)")
            }
        }
        // A 72-byte password is fine (and 24 three-byte characters are 72 bytes).
        _ = ok(try call(socket, "auth.register", ["email": "long@example.com", "password": .string(String(repeating: "€", count: 24))]))
        XCTAssertEqual(code(try call(socket, "auth.register", ["email": "longer@example.com", "password": .string(String(repeating: "€", count: 25))])), "INVALID_ARGUMENT")
    }

    func testRepeatedFailuresAreRateLimitedWithRetryAfter() throws {
        try authDaemon()
        let socket = try connect()
        defer { socket.close() }
        _ = ok(try call(socket, "auth.register", ["email": "ana@example.com", "password": "correct horse battery"]))
        for _ in 0..<5 {
            XCTAssertEqual(code(try call(socket, "auth.login", ["email": "ana@example.com", "password": "wrong password"])), "UNAUTHENTICATED")
        }
        let limited = try call(socket, "auth.login", ["email": "ana@example.com", "password": "correct horse battery"])
        XCTAssertEqual(code(limited), "RATE_LIMITED")
        let retry = try XCTUnwrap(limited["error"]?.documentValue?["details"]?.documentValue?["retry_after_ms"]?.integerValue)
        XCTAssertTrue((1...1000).contains(retry), "\(retry)")
        usleep(useconds_t(retry * 1000 + 50_000))
        _ = ok(try call(socket, "auth.login", ["email": "ana@example.com", "password": "correct horse battery"]))
    }

    func testOperationsAreDescribedInTheAuthGroup() throws {
        try authDaemon()
        let socket = try connect()
        defer { socket.close() }
        let hello = ok(try call(socket, "hello"))
        let ops = (hello["ops"]?.arrayValue ?? []).compactMap(\.stringValue)
        for op in ["auth.register", "auth.login", "auth.verify", "auth.refresh", "auth.logout"] {
            XCTAssertTrue(ops.contains(op), op)
            let described = ok(try call(socket, "describe", ["op": .string(op)]))
            XCTAssertEqual(described["ops"]?.arrayValue?.first?.documentValue?["group"], "auth", op)
        }
    }

    // MARK: Keys

    func testSighupRotatesTheKeysWithoutDroppingConnections() throws {
        let old = "k-old " + Self.randomSecret()
        let new = "k-new " + Self.randomSecret(bytes: 48)
        let keys = try writeKeys([old])
        let daemon = try authDaemon(keys: keys)
        let held = try connect()
        defer { held.close() }
        _ = ok(try call(held, "auth.register", ["email": "ana@example.com", "password": "correct horse battery"]))
        let before = ok(try call(held, "auth.login", ["email": "ana@example.com", "password": "correct horse battery"]))
        let oldToken = try XCTUnwrap(before["token"]?.stringValue)
        XCTAssertEqual(kid(of: oldToken), "k-old")
        // The SIGHUP handler is installed as the service group starts, just after listening.
        usleep(500_000)

        // Step 1: append the new key, SIGHUP.
        try writeKeys([old, new])
        try reload(daemon)
        XCTAssertTrue(waitForLog(daemon, "reloaded signing keys"), daemon.log)
        let after = ok(try call(held, "auth.login", ["email": "ana@example.com", "password": "correct horse battery"]))
        let newToken = try XCTUnwrap(after["token"]?.stringValue)
        XCTAssertEqual(kid(of: newToken), "k-new", "new tokens carry the new key id")
        _ = ok(try call(held, "auth.verify", ["token": .string(oldToken)]))
        _ = ok(try call(held, "auth.verify", ["token": .string(newToken)]))

        // A broken file on SIGHUP changes nothing.
        try writeKeys(["k-new " + Self.randomSecret(bytes: 16)])
        try reload(daemon)
        XCTAssertTrue(waitForLog(daemon, "key reload failed"), daemon.log)
        _ = ok(try call(held, "auth.verify", ["token": .string(oldToken)]))

        // Step 2: remove the old key, SIGHUP: its tokens no longer verify.
        try writeKeys([new])
        try reload(daemon)
        XCTAssertTrue(waitForLog(daemon, "removed=k-old"), daemon.log)
        XCTAssertEqual(code(try call(held, "auth.verify", ["token": .string(oldToken)])), "TOKEN_INVALID")
        _ = ok(try call(held, "auth.verify", ["token": .string(newToken)]))
        XCTAssertEqual(ok(try call(held, "ping"))["pong"], .bool(true), "the same connection served throughout")
        XCTAssertTrue(daemon.isRunning)
    }

    /// SIGHUP to a daemon process; the `reload` operation (the same reload) to one in process.
    private func reload(_ daemon: any DaemonUnderTest) throws {
        if let process = daemon as? DaemonProcess {
            process.signal(SIGHUP)
            return
        }
        let socket = try connect()
        defer { socket.close() }
        _ = ok(try call(socket, "reload"))
    }

    func testWithoutKeysTheDaemonCreatesOneInItsStateDirectoryAndKeepsIt() throws {
        let first = try authDaemon()
        // ./data from a checkout's binary; the state directory given to one in process.
        let created = driver == .binary ? "./data/jwt-keys" : directory.file("data/jwt-keys")
        XCTAssertTrue(first.log.contains("created a signing key at \(created)"), first.log)
        var info = stat()
        XCTAssertEqual(stat(directory.file("data/jwt-keys"), &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        let contents = try String(contentsOfFile: directory.file("data/jwt-keys"), encoding: .utf8)
        let secret = try XCTUnwrap(contents.split(separator: "\n").last { !$0.hasPrefix("#") && !$0.isEmpty }?.split(separator: " ").last)
        XCTAssertFalse(first.log.contains(String(secret)), "the key is never logged")
        let socket = try connect()
        _ = ok(try call(socket, "auth.register", ["email": "ana@example.com", "password": "correct horse battery"]))
        let token = try XCTUnwrap(ok(try call(socket, "auth.login", ["email": "ana@example.com", "password": "correct horse battery"]))["token"])
        socket.close()
        first.stop()

        let second = try authDaemon()
        XCTAssertFalse(second.log.contains("created a signing key"), second.log)
        let again = try connect()
        defer { again.close() }
        _ = ok(try call(again, "auth.verify", ["token": token]))
    }

    func testTheSystemdCredentialIsUsedWhenPresent() throws {
        let credentials = directory.file("credentials")
        mkdir(credentials, 0o700)
        try writeKeys(["from-credential " + Self.randomSecret()], name: "credentials/jwt-keys", mode: 0o400)
        try authDaemon(environment: ["CREDENTIALS_DIRECTORY": credentials])
        let socket = try connect()
        defer { socket.close() }
        let registered = ok(try call(socket, "auth.register", ["email": "ana@example.com", "password": "correct horse battery"]))
        XCTAssertEqual(kid(of: registered["token"]?.stringValue ?? ""), "from-credential")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.file("data/jwt-keys")))
    }

    func testUnusableKeyFilesStopTheDaemonWithAReason() throws {
        try binaryOnly("the exit status of a daemon that cannot start")
        let cases: [(lines: [String], mode: Int, reason: String)] = [
            (["k1 " + Self.randomSecret()], 0o644, "others may read or write it"),
            (["k1 " + Self.randomSecret(bytes: 31)], 0o600, "at least 32 random bytes"),
            (["k1"], 0o600, "expected `KID SECRET`"),
        ]
        for (index, entry) in cases.enumerated() {
            let path = try writeKeys(entry.lines, name: "keys-\(index)", mode: entry.mode)
            let daemon = try DaemonProcess(
                socketPath: directory.file("bad\(index).sock"),
                arguments: ["--store", "sqlite:" + directory.file("bad\(index).db"), "--jwt-keys", path],
                workingDirectory: directory.path
            )
            XCTAssertEqual(daemon.waitForExit(timeout: 20), 1, daemon.log)
            XCTAssertTrue(daemon.log.contains("cannot set up authentication") && daemon.log.contains(entry.reason), daemon.log)
        }
    }

    // MARK: Responsiveness

    func testPingAndVerifyStayFastWhileTwentyLoginsHash() throws {
        // Cost 10: each login is tens of milliseconds of bcrypt.
        try authDaemon(cost: 10)
        let setup = try connect()
        // Four accounts, five logins each: one peer may have 5 logins on one
        // email and 20 in all in progress at once (the throttle's allowances).
        let emails = (0..<4).map { "user\($0)@example.com" }
        for email in emails {
            _ = ok(try call(setup, "auth.register", ["email": .string(email), "password": "correct horse battery"]))
        }
        let token = try XCTUnwrap(ok(try call(setup, "auth.login", ["email": "user0@example.com", "password": "correct horse battery"]))["token"])
        setup.close()

        let logins = 20
        let done = DispatchGroup()
        let failures = NSLockedCounter()
        let started = Date()
        for index in 0..<logins {
            done.enter()
            let path = socketPath
            Thread.detachNewThread {
                defer { done.leave() }
                do {
                    let socket = try RawSocket(connectingTo: path)
                    defer { socket.close() }
                    try socket.send(RequestBuilder.request(id: .int32(Int32(index)), op: "auth.login", args: ["email": .string(emails[index % 4]), "password": "correct horse battery"]))
                    if try socket.receiveDocument()?["ok"] != .bool(true) { failures.increment() }
                } catch {
                    failures.increment()
                }
            }
        }

        let probe = try connect()
        defer { probe.close() }
        var latencies: [Double] = []
        var loginsFinished = false
        while !loginsFinished || latencies.count < 100 {
            for request in [RequestBuilder.ping(id: 1), RequestBuilder.request(id: .int32(2), op: "auth.verify", args: ["token": token])] {
                let start = DispatchTime.now().uptimeNanoseconds
                try probe.send(request)
                let reply = try XCTUnwrap(try probe.receiveDocument())
                latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                XCTAssertEqual(reply["ok"], .bool(true), "\(reply)")
            }
            loginsFinished = done.wait(timeout: .now()) == .success
            if Date().timeIntervalSince(started) > 60 { break }
        }
        let loginTime = Date().timeIntervalSince(started)
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(failures.value, 0)
        let sorted = latencies.sorted()
        let p99 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
        print("auth responsiveness: p99 \(p99) ms, max \(sorted.last ?? 0) ms over \(latencies.count) requests; 20 logins took \(loginTime) s")
        XCTAssertGreaterThan(loginTime, 0.3, "the logins took long enough to overlap the probes")
        XCTAssertLessThan(p99, 50, "p99 of ping and auth.verify during \(logins) logins: \(p99) ms over \(latencies.count) requests (max \(sorted.last ?? 0) ms, logins took \(loginTime) s)")
    }

    // MARK: The log

    func testTheLogOfAFullSessionHoldsNoPasswordOrToken() throws {
        try checkFullSessionLog(journal: false)
    }

    /// The same under systemd: with JOURNAL_STREAM, every entry carries its
    /// priority and all its metadata as fields — and still no secret.
    func testTheJournalOfAFullSessionHoldsNoPasswordOrToken() throws {
        try checkFullSessionLog(journal: true)
    }

    private func checkFullSessionLog(journal: Bool) throws {
        var environment = ["CREDENTIALS_DIRECTORY": ""]
        let logPath = directory.file("session.log")
        XCTAssertTrue(FileManager.default.createFile(atPath: logPath, contents: nil))
        if journal {
            var info = stat()
            XCTAssertEqual(stat(logPath, &info), 0)
            environment["JOURNAL_STREAM"] = "\(info.st_dev):\(info.st_ino)"
            if FileManager.default.fileExists(atPath: "/run/systemd/journal/socket") {
                throw XCTSkip("a journald runs here: entries would go to it, not to the captured stderr")
            }
        }
        let arguments = ["--store", "sqlite:" + directory.file("auth.db"), "--bcrypt-cost", "4", "--log-level", "trace"]
        let daemon: any DaemonUnderTest
        if journal {
            try binaryOnly("the journal is the process's stderr")
            daemon = try startDaemon(arguments: arguments, environment: environment, logPath: logPath)
        } else {
            daemon = try serveDaemon(arguments: arguments, environment: environment)
        }
        let password = "Tr0ub4dor&3-horse"
        let socket = try connect()
        var secrets = [password, "wrong-Tr0ub4dor", "another-Pass-4-bob"]
        let registered = ok(try call(socket, "auth.register", ["email": "ana@example.com", "password": .string(password), "name": "Ana"]))
        _ = try call(socket, "auth.register", ["email": "ana@example.com", "password": "another-Pass-4-bob"])
        _ = try call(socket, "auth.login", ["email": "ana@example.com", "password": "wrong-Tr0ub4dor"])
        let login = ok(try call(socket, "auth.login", ["email": "ana@example.com", "password": .string(password)]))
        _ = ok(try call(socket, "auth.verify", ["token": login["token"] ?? .null]))
        let refreshed = ok(try call(socket, "auth.refresh", ["refresh_token": login["refresh_token"] ?? .null]))
        _ = try call(socket, "auth.verify", ["token": .string((login["token"]?.stringValue ?? "") + "x")])
        _ = try call(socket, "auth.verify", ["token": refreshed["refresh_token"] ?? .null])
        _ = ok(try call(socket, "auth.logout", ["refresh_token": refreshed["refresh_token"] ?? .null]))
        _ = try call(socket, "auth.refresh", ["refresh_token": login["refresh_token"] ?? .null])
        socket.close()
        daemon.stop()
        for document in [registered, login, refreshed] {
            for field in ["token", "refresh_token"] {
                if let value = document[field]?.stringValue {
                    secrets.append(value)
                    // Not even one part of a token (e.g. its signature).
                    secrets += value.split(separator: ".").map(String.init).filter { $0.count > 20 }
                }
            }
        }
        let log = daemon.log
        if journal {
            XCTAssertTrue(log.split(separator: "\n").allSatisfy { $0.first == "<" }, "journal lines carry priorities:\n\(log)")
            XCTAssertTrue(log.contains("<6>auth: login ok"), log)
        }
        XCTAssertTrue(log.contains("auth: login ok"), log)
        XCTAssertTrue(log.contains("auth: login failed"), log)
        XCTAssertTrue(log.contains("auth: refreshed"), log)
        XCTAssertTrue(log.contains("auth: logout"), log)
        XCTAssertTrue(log.contains("peer_uid=\(getuid())"), log)
        XCTAssertTrue(log.contains("user_id=\(registered["user"]?.documentValue?["id"]?.stringValue ?? "?")"), log)
        for secret in secrets {
            XCTAssertFalse(log.contains(secret), "the log contains a secret (\(secret.prefix(6))…)")
        }
    }

    // MARK: deltastorectl

    func testCtlAuthReadsPasswordsFromStdinNeverArgv() throws {
        try authDaemon()
        let register = try CommandRunner.run("deltastorectl", ["auth", "register", "--socket", socketPath, "--email", "ana@example.com", "--name", "Ana"], stdin: "correct horse battery\n")
        XCTAssertEqual(register.status, 0, register.stderr)
        XCTAssertTrue(register.stdout.contains("user_email: ana@example.com"), register.stdout)

        let login = try CommandRunner.run("deltastorectl", ["auth", "login", "--json", "--socket", socketPath, "--email", "ana@example.com"], stdin: "correct horse battery\n")
        XCTAssertEqual(login.status, 0, login.stderr)
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(login.stdout.utf8)) as? [String: Any])
        let token = try XCTUnwrap(parsed["token"] as? String)
        let refreshToken = try XCTUnwrap(parsed["refresh_token"] as? String)

        let verify = try CommandRunner.run("deltastorectl", ["auth", "verify", "--socket", socketPath], stdin: token + "\n")
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertTrue(verify.stdout.contains("valid: true"), verify.stdout)

        // After `--`, as the README shows: a refresh token may begin with '-' (1 in 64 do).
        let refresh = try CommandRunner.run("deltastorectl", ["auth", "refresh", "--socket", socketPath, "--", refreshToken])
        XCTAssertEqual(refresh.status, 0, refresh.stderr)
        XCTAssertTrue(refresh.stdout.contains("refresh_token: "), refresh.stdout)
        let dashed = try CommandRunner.run("deltastorectl", ["auth", "refresh", "--socket", socketPath, "--", "-" + String(repeating: "A", count: 42)])
        XCTAssertEqual(dashed.status, 1)
        XCTAssertTrue(dashed.stderr.hasPrefix("TOKEN_INVALID"), "a token beginning with '-' reaches the daemon, which does not know it: \(dashed.stderr)")

        let logout = try CommandRunner.run("deltastorectl", ["auth", "logout", "--socket", socketPath, "--all"], stdin: token + "\n")
        XCTAssertEqual(logout.status, 0, logout.stderr)
        XCTAssertTrue(logout.stdout.contains("revoked: 2"), logout.stdout)

        let revoked = try CommandRunner.run("deltastorectl", ["auth", "verify", "--socket", socketPath, token])
        XCTAssertEqual(revoked.status, 1)
        XCTAssertTrue(revoked.stderr.hasPrefix("TOKEN_REVOKED"), revoked.stderr)

        let wrong = try CommandRunner.run("deltastorectl", ["auth", "login", "--socket", socketPath, "--email", "ana@example.com"], stdin: "nope\n")
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.stderr.hasPrefix("UNAUTHENTICATED"), wrong.stderr)
        // There is no option to pass a password.
        let argv = try CommandRunner.run("deltastorectl", ["auth", "login", "--socket", socketPath, "--email", "ana@example.com", "--password", "x"])
        XCTAssertNotEqual(argv.status, 0)
    }
}

/// A counter shared by the login threads.
final class NSLockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}

/// `AuthTests`' bodies against the daemon assembled in the test process. (Test
/// discovery on Linux lists only the methods a class declares: each one is
/// named here, and `testInProcessRunsEveryBody` checks that none is missing.)
final class AuthInProcessTests: AuthTests {
    override var driver: DaemonDriver { .inProcess }

    override func testRegisterLoginVerifyRefreshLogoutOverTheSocket() throws { try super.testRegisterLoginVerifyRefreshLogoutOverTheSocket() }
    override func testBadInputGetsItsSpecificCode() throws { try super.testBadInputGetsItsSpecificCode() }
    override func testRepeatedFailuresAreRateLimitedWithRetryAfter() throws { try super.testRepeatedFailuresAreRateLimitedWithRetryAfter() }
    override func testOperationsAreDescribedInTheAuthGroup() throws { try super.testOperationsAreDescribedInTheAuthGroup() }
    override func testSighupRotatesTheKeysWithoutDroppingConnections() throws { try super.testSighupRotatesTheKeysWithoutDroppingConnections() }
    override func testWithoutKeysTheDaemonCreatesOneInItsStateDirectoryAndKeepsIt() throws { try super.testWithoutKeysTheDaemonCreatesOneInItsStateDirectoryAndKeepsIt() }
    override func testTheSystemdCredentialIsUsedWhenPresent() throws { try super.testTheSystemdCredentialIsUsedWhenPresent() }
    override func testUnusableKeyFilesStopTheDaemonWithAReason() throws { try super.testUnusableKeyFilesStopTheDaemonWithAReason() }
    override func testPingAndVerifyStayFastWhileTwentyLoginsHash() throws { try super.testPingAndVerifyStayFastWhileTwentyLoginsHash() }
    override func testTheLogOfAFullSessionHoldsNoPasswordOrToken() throws { try super.testTheLogOfAFullSessionHoldsNoPasswordOrToken() }
    override func testTheJournalOfAFullSessionHoldsNoPasswordOrToken() throws { try super.testTheJournalOfAFullSessionHoldsNoPasswordOrToken() }
    override func testCtlAuthReadsPasswordsFromStdinNeverArgv() throws { try super.testCtlAuthReadsPasswordsFromStdinNeverArgv() }

    func testInProcessRunsEveryBody() throws {
        try DeclaredTests.assertNamesEveryTest(of: "AuthTests", in: "AuthTests.swift", subclass: Self.self)
    }
}
