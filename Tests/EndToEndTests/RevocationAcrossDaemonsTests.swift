import BSONCore
import Foundation
import TestSupport
import XCTest

/// Two daemons on one store (the README's MongoDB deployment runs one per
/// host): a logout on one is `TOKEN_REVOKED` on the other within 1 second,
/// on SQLite and, through the stand-in, on MongoDB.
final class RevocationAcrossDaemonsTests: AuthDaemonTestCase {
    private var standIn: MongoStandInProcess?

    override func tearDown() {
        super.tearDown()
        standIn?.remove()
    }

    /// Starts two daemons on `store` with one key file; returns their sockets.
    func twoDaemons(store: String) throws -> (RawSocket, RawSocket) {
        let keys = try writeKeys(["k1 " + Self.randomSecret()])
        let arguments = ["--store", store, "--bcrypt-cost", "4", "--jwt-keys", keys]
        try startDaemon(arguments: arguments, environment: ["CREDENTIALS_DIRECTORY": ""])
        let other = directory.file("e.sock")
        try startDaemon(socket: other, arguments: arguments, environment: ["CREDENTIALS_DIRECTORY": ""])
        return (try connect(), try connect(other))
    }

    /// Logs in on `first`, checks the token on `second`, logs out on `first`,
    /// and returns how long `second` went on accepting the token (nil: still
    /// after 10 s).
    func secondsUntilRevokedOnTheOther(_ first: RawSocket, _ second: RawSocket) throws -> Double? {
        _ = ok(try call(first, "auth.register", ["email": "ana@example.com", "password": "correct horse battery"]))
        let login = ok(try call(first, "auth.login", ["email": "ana@example.com", "password": "correct horse battery"]))
        let token = try XCTUnwrap(login["token"])
        // The other daemon accepts it (and remembers it in its verified-token cache).
        XCTAssertEqual(ok(try call(second, "auth.verify", ["token": token]))["valid"], .bool(true))
        XCTAssertEqual(ok(try call(second, "auth.verify", ["token": token]))["valid"], .bool(true))

        XCTAssertEqual(ok(try call(first, "auth.logout", ["token": token]))["revoked"], .int32(1))
        let loggedOut = DispatchTime.now().uptimeNanoseconds
        XCTAssertEqual(code(try call(first, "auth.verify", ["token": token])), "TOKEN_REVOKED", "at once on the daemon that logged out")
        while true {
            let reply = try call(second, "auth.verify", ["token": token])
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - loggedOut) / 1e9
            if code(reply) == "TOKEN_REVOKED" { return elapsed }
            XCTAssertEqual(reply["ok"], .bool(true), "\(reply)")
            if elapsed > 10 { return nil }
            usleep(10_000)
        }
    }

    func testALogoutOnOneDaemonIsRevokedOnTheOtherWithinOneSecondOnSQLite() throws {
        let (first, second) = try twoDaemons(store: "sqlite:" + directory.file("shared.db"))
        defer { first.close(); second.close() }
        let elapsed = try XCTUnwrap(try secondsUntilRevokedOnTheOther(first, second), "the other daemon still accepted the token 10 s after the logout")
        print("SQLite, two daemons: TOKEN_REVOKED on the other daemon \(Int(elapsed * 1000)) ms after the logout")
        XCTAssertLessThanOrEqual(elapsed, 1.0)
    }

    func testALogoutOnOneDaemonIsRevokedOnTheOtherWithinOneSecondOnMongoDB() throws {
        let standIn = try MongoStandInProcess()
        self.standIn = standIn
        try standIn.start()
        let (first, second) = try twoDaemons(store: standIn.uri(database: "revocation"))
        defer { first.close(); second.close() }
        let elapsed = try XCTUnwrap(try secondsUntilRevokedOnTheOther(first, second), "the other daemon still accepted the token 10 s after the logout")
        print("MongoDB (stand-in), two daemons: TOKEN_REVOKED on the other daemon \(Int(elapsed * 1000)) ms after the logout")
        XCTAssertLessThanOrEqual(elapsed, 1.0)
    }

    func testALogoutOfAllSessionsReachesTheOtherDaemonToo() throws {
        let (first, second) = try twoDaemons(store: "sqlite:" + directory.file("shared.db"))
        defer { first.close(); second.close() }
        _ = ok(try call(first, "auth.register", ["email": "ana@example.com", "password": "correct horse battery"]))
        let a = ok(try call(first, "auth.login", ["email": "ana@example.com", "password": "correct horse battery"]))
        let b = ok(try call(second, "auth.login", ["email": "ana@example.com", "password": "correct horse battery"]))
        // Every session of the user, logged out on the second daemon: the first's session too.
        _ = ok(try call(second, "auth.logout", ["token": b["token"] ?? .null, "all_sessions": true]))
        let deadline = Date().addingTimeInterval(1.0)
        var revoked = false
        while !revoked && Date() < deadline {
            revoked = code(try call(first, "auth.verify", ["token": a["token"] ?? .null])) == "TOKEN_REVOKED"
            if !revoked { usleep(10_000) }
        }
        XCTAssertTrue(revoked, "logout of all sessions on one daemon reached the other within 1 s")
    }
}
