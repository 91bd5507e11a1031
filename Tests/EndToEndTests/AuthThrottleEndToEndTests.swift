import BSONCore
import Foundation
import TestSupport
import XCTest

/// The login throttle against the built daemon: guesses sent at once are
/// counted when they start, and a front naming its end users (`client`)
/// keeps one person's failures from locking out the others.
final class AuthThrottleEndToEndTests: AuthDaemonTestCase {
    /// Sends every request of `batches[i]` on connection i without waiting,
    /// then reads all replies; returns them by request id.
    func sendAtOnce(_ batches: [[BSONDocument]]) throws -> [BSONValue: BSONDocument] {
        let sockets = try batches.map { _ in try connect() }
        defer { sockets.forEach { $0.close() } }
        for (socket, batch) in zip(sockets, batches) {
            for request in batch { try socket.send(request) }
        }
        var replies: [BSONValue: BSONDocument] = [:]
        for (socket, batch) in zip(sockets, batches) {
            for _ in batch {
                guard let reply = try socket.receiveDocument(), let id = reply["id"] else { throw TestSupportError("a reply is missing") }
                replies[id] = reply
            }
        }
        return replies
    }

    func login(id: Int32, _ email: String, _ password: String, client: String? = nil) -> BSONDocument {
        var pairs: [(String, BSONValue)] = [("email", .string(email)), ("password", .string(password))]
        if let client { pairs.append(("client", .string(client))) }
        return RequestBuilder.request(id: .int32(id), op: "auth.login", args: BSONDocument(pairs))
    }

    func occurrences(of text: String, in log: String) -> Int {
        log.components(separatedBy: text).count - 1
    }

    func testTwoHundredGuessesAtOnceThenTheRightPasswordGetAtMostFiveChecks() throws {
        // Cost 10: each check takes tens of milliseconds, far longer than
        // sending 201 requests, so the first admitted ones are still hashing
        // when the last ones arrive.
        let daemon = try authDaemon(cost: 10)
        let setup = try connect()
        _ = ok(try call(setup, "auth.register", ["email": "ana@example.com", "password": "correct horse battery"]))
        setup.close()

        var batches: [[BSONDocument]] = [[], []]
        for index in 0..<200 { batches[index % 2].append(login(id: Int32(index), "ana@example.com", "wrong guess \(index)")) }
        batches[1].append(login(id: 200, "ana@example.com", "correct horse battery"))
        let replies = try sendAtOnce(batches)
        XCTAssertEqual(replies.count, 201)
        let codes = replies.values.map { code($0) ?? "OK" }
        let unauthenticated = codes.filter { $0 == "UNAUTHENTICATED" }.count
        let limited = codes.filter { $0 == "RATE_LIMITED" }.count
        print("200 guesses at once and the right password last: \(unauthenticated) checked (UNAUTHENTICATED), \(limited) RATE_LIMITED, \(codes.filter { $0 == "OK" }.count) logged in")
        XCTAssertLessThanOrEqual(unauthenticated, 5, "at most the allowance of one peer on one email is checked")
        XCTAssertEqual(unauthenticated + limited, 201, "nothing else: \(Set(codes))")
        XCTAssertEqual(code(replies[.int32(200)] ?? BSONDocument()), "RATE_LIMITED", "the right password, sent last, is refused like the rest")
        let retry = replies.values.compactMap { $0["error"]?.documentValue?["details"]?.documentValue?["retry_after_ms"]?.integerValue }
        XCTAssertEqual(retry.count, limited)
        XCTAssertTrue(retry.allSatisfy { $0 >= 1 }, "\(Set(retry))")
        // The daemon's own account of it: password checks are logged, refusals too.
        XCTAssertTrue(waitForLog(daemon, "auth: login throttled"))
        XCTAssertLessThanOrEqual(occurrences(of: "auth: login failed", in: daemon.log), 5, daemon.log)

        // Once the lock after those failures ends: one attempt at a time.
        usleep(1_100_000)
        var again: [[BSONDocument]] = [[]]
        for index in 0..<119 { again[0].append(login(id: Int32(1000 + index), "ana@example.com", "wrong again \(index)")) }
        again[0].append(login(id: 1119, "ana@example.com", "correct horse battery"))
        let second = try sendAtOnce(again)
        let secondCodes = second.values.map { code($0) ?? "OK" }
        print("120 at once after the lock ended: \(secondCodes.filter { $0 == "UNAUTHENTICATED" }.count) checked, \(secondCodes.filter { $0 == "RATE_LIMITED" }.count) RATE_LIMITED")
        XCTAssertLessThanOrEqual(secondCodes.filter { $0 == "UNAUTHENTICATED" }.count, 1)
        XCTAssertEqual(code(second[.int32(1119)] ?? BSONDocument()), "RATE_LIMITED")
        XCTAssertTrue(daemon.isRunning)
    }

    func testThreeHundredGuessesAtOnceAcrossEmailsGetTheTwentyOfOnePeer() throws {
        try authDaemon(cost: 10)
        var batches: [[BSONDocument]] = [[], [], []]
        for index in 0..<300 { batches[index % 3].append(login(id: Int32(index), "user\(index)@example.com", "wrong guess")) }
        let codes = try sendAtOnce(batches).values.map { code($0) ?? "OK" }
        let checked = codes.filter { $0 == "UNAUTHENTICATED" }.count
        print("300 guesses at once across emails: \(checked) checked, \(codes.filter { $0 == "RATE_LIMITED" }.count) RATE_LIMITED")
        XCTAssertLessThanOrEqual(checked, 20)
        XCTAssertEqual(codes.filter { $0 == "RATE_LIMITED" }.count, 300 - checked)
    }

    func testOneClientsFailuresLeaveAnotherClientsLoginUntouched() throws {
        let daemon = try authDaemon()
        let socket = try connect()
        defer { socket.close() }
        _ = ok(try call(socket, "auth.register", ["email": "bob@example.com", "password": "correct horse battery"]))
        // 25 failures across emails by one client of the front (this peer forwards: the daemon's own user).
        var codes: [String] = []
        for index in 0..<25 {
            codes.append(code(try call(socket, "auth.login", ["email": .string("victim\(index)@example.com"), "password": "guess", "client": "198.51.100.7"])) ?? "OK")
        }
        XCTAssertEqual(codes.filter { $0 == "UNAUTHENTICATED" }.count, 20, "\(codes)")
        XCTAssertEqual(codes.filter { $0 == "RATE_LIMITED" }.count, 5, "the client's own limit")
        // Another client's correct login: untouched.
        let bob = ok(try call(socket, "auth.login", ["email": "bob@example.com", "password": "correct horse battery", "client": "192.0.2.10"]))
        XCTAssertNotNil(bob["token"]?.stringValue)
        XCTAssertTrue(daemon.log.contains("client=198.51.100.7"), "the log names the client:\n\(daemon.log)")

        // Without client, the same failures would have been the peer's own: the front's every user locked out.
        for index in 0..<20 {
            _ = try call(socket, "auth.login", ["email": .string("victim\(index)@example.com"), "password": "guess"])
        }
        XCTAssertEqual(code(try call(socket, "auth.login", ["email": "bob@example.com", "password": "correct horse battery"])), "RATE_LIMITED")
        _ = ok(try call(socket, "auth.login", ["email": "bob@example.com", "password": "correct horse battery", "client": "192.0.2.10"]))
    }

    func testClientIsRefusedFromAPeerWithoutForwardAndTheMessageNamesNoPath() throws {
        let rules = directory.file("access.conf")
        try "uid:0 read write auth admin\n".write(toFile: rules, atomically: true, encoding: .utf8)
        try authDaemon(extra: ["--access-rules", rules])
        let socket = try connect()
        defer { socket.close() }
        _ = ok(try call(socket, "auth.register", ["email": "ana@example.com", "password": "correct horse battery"]))
        for op in ["auth.login", "auth.register"] {
            let reply = try call(socket, op, ["email": "ana@example.com", "password": "correct horse battery", "client": "203.0.113.5"])
            XCTAssertEqual(code(reply), "PERMISSION_DENIED", "\(reply)")
            let message = reply["error"]?.documentValue?["message"]?.stringValue ?? ""
            XCTAssertTrue(message.contains("'\(op)' with 'client'") && message.contains("group 'forward'"), message)
            XCTAssertFalse(message.contains(rules) || message.contains("/"), "no server path: \(message)")
        }
        // Whatever string it sends: a long one too (its length is checked after the permission).
        let long = try call(socket, "auth.login", ["email": "ana@example.com", "password": "correct horse battery", "client": .string(String(repeating: "a", count: 2000))])
        XCTAssertEqual(code(long), "PERMISSION_DENIED", "\(long)")
        // Without client the same peer logs in as itself.
        _ = ok(try call(socket, "auth.login", ["email": "ana@example.com", "password": "correct horse battery"]))
        // A bad client is still checked first for its type, then the permission.
        XCTAssertEqual(code(try call(socket, "auth.login", ["email": "ana@example.com", "password": "x", "client": 5])), "INVALID_ARGUMENT")
    }
}
