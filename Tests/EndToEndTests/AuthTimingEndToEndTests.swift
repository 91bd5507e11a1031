import BSONCore
import Foundation
import TestSupport
import XCTest

/// What an attacker timing `auth.login` over the socket sees: an unknown
/// email and a wrong password take the same time, with stored hashes of a
/// cost equal to, above and below the daemon's `--bcrypt-cost`.
///
/// The store is made the way an operator makes it: accounts registered while
/// the daemon ran at cost 6, then 10, then the daemon restarted at cost 8
/// (the README supports changing the cost; imported hashes look the same).
/// One run, interleaved rounds (each round times the four kinds of failed
/// login once, in a random order), medians, the 15 % bound.
final class AuthTimingEndToEndTests: AuthDaemonTestCase {
    /// Accounts of one kind: a few, so that no account meets the per-email
    /// allowance (10 failures) during the measurement.
    static let accountsPerKind = 4

    func register(_ kind: String, atCost cost: Int, on daemon: (any DaemonUnderTest)? = nil) throws {
        let started = try daemon ?? authDaemon(cost: cost)
        let socket = try connect()
        for index in 0..<Self.accountsPerKind {
            _ = ok(try call(socket, "auth.register", ["email": .string("\(kind)\(index)@example.com"), "password": "correct horse battery"]))
        }
        socket.close()
        if daemon == nil { started.stop() }
    }

    func testUnknownEmailAndWrongPasswordTakeTheSameTimeWhateverTheStoredCost() throws {
        try register("below", atCost: 6)
        try register("above", atCost: 10)
        let daemon = try authDaemon(cost: 8)
        try register("equal", atCost: 8, on: daemon)
        XCTAssertTrue(daemon.log.contains("hash_costs=6:4,10:4"), "the census read at start:\n\(daemon.log)")
        let socket = try connect()
        defer { socket.close() }

        let kinds = ["equal", "above", "below", "nobody"]
        var times = Array(repeating: [Double](), count: kinds.count)
        let rounds = 31
        for round in -2..<rounds { // two rounds of warm-up
            // A new random order each round: no kind always follows the same
            // one (the time a failure is held to comes from the checks before it).
            let order = Array(0..<kinds.count).shuffled()
            for (step, index) in order.enumerated() {
                let account = kinds[index] == "nobody" ? "nobody\(round + 2)" : "\(kinds[index])\((round + 2) % Self.accountsPerKind)"
                // Not a throttle test: each attempt names a client of its own
                // (this peer may forward), so no per-client allowance is met.
                let args: BSONDocument = [
                    "email": .string(account + "@example.com"), "password": "wrong password", "client": .string("timing-\(round + 2)-\(step)"),
                ]
                let start = DispatchTime.now().uptimeNanoseconds
                let reply = try call(socket, "auth.login", args)
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                XCTAssertEqual(code(reply), "UNAUTHENTICATED", "\(reply)")
                if round >= 0 { times[index].append(elapsed) }
            }
        }
        let medians = times.map { $0.sorted()[$0.count / 2] }
        let unknown = medians[3]
        print("login timing over the socket, daemon at cost 8: unknown email \(unknown) ms; wrong password at stored cost 8: \(medians[0]) ms, 10: \(medians[1]) ms, 6: \(medians[2]) ms")
        for (name, known) in zip(["equal to", "above", "below"], medians.prefix(3)) {
            XCTAssertGreaterThan(known, 1, "the work is real")
            XCTAssertLessThan(abs(unknown / known - 1), 0.15, "stored cost \(name) the configured one: wrong password \(known) ms, unknown email \(unknown) ms")
        }
    }
}
