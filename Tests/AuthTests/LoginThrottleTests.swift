@testable import Auth
import Testing

/// Failed-login throttling: attempts reserved when they start, growing delays
/// per (account, origin), per origin and per account, and the bound on how
/// long someone else's guessing can keep a clean origin out.
@Suite("Login throttle")
struct LoginThrottleTests {
    let clock = ManualClock()

    func throttle(_ policy: ThrottlePolicy = ThrottlePolicy()) -> LoginThrottle {
        LoginThrottle(policy: policy, clock: clock.clock)
    }

    /// The attempt if admitted, nil if limited.
    func begin(_ throttle: LoginThrottle, _ account: String, _ origin: LoginOrigin) -> LoginThrottle.Attempt? {
        if case .admitted(let attempt) = throttle.begin(account: account, origin: origin) { return attempt }
        return nil
    }

    /// The wait of a refused attempt (0 when it was admitted; that attempt is abandoned).
    func retry(_ throttle: LoginThrottle, _ account: String, _ origin: LoginOrigin) -> Int64 {
        switch throttle.begin(account: account, origin: origin) {
        case .admitted(let attempt):
            attempt.abandon()
            return 0
        case .limited(let wait):
            return wait
        }
    }

    /// One admitted attempt that fails; false when it was not admitted.
    @discardableResult
    func fail(_ throttle: LoginThrottle, _ account: String, _ origin: LoginOrigin) -> Bool {
        guard let attempt = begin(throttle, account, origin) else { return false }
        attempt.fail()
        return true
    }

    let ana = LoginOrigin.peer(uid: 1000)

    @Test func delaysStartAfterFiveFailuresAndDouble() {
        let throttle = throttle()
        for _ in 0..<5 { #expect(fail(throttle, "ana@x", ana)) }
        var delays: [Int64] = []
        for _ in 0..<6 {
            let wait = retry(throttle, "ana@x", ana)
            delays.append(wait)
            clock.advance(milliseconds: wait - 1)
            #expect(retry(throttle, "ana@x", ana) == 1, "still locked 1 ms before the end")
            clock.advance(milliseconds: 1)
            #expect(fail(throttle, "ana@x", ana), "admitted when the lock ends")
        }
        #expect(delays == [1000, 2000, 4000, 8000, 16000, 32000])
    }

    @Test func theDelayPerAccountAndOriginIsCappedAt15Minutes() {
        let throttle = throttle()
        for _ in 0..<40 {
            clock.advance(milliseconds: retry(throttle, "ana@x", ana))
            #expect(fail(throttle, "ana@x", ana))
        }
        #expect(retry(throttle, "ana@x", ana) == 15 * 60 * 1000)
        #expect(throttle.delay(failures: 1000, free: 5, cap: 15 * 60 * 1000) == 15 * 60 * 1000, "no overflow")
        #expect(throttle.delay(failures: .max, free: 5, cap: 15 * 60 * 1000) == 15 * 60 * 1000, "no overflow")
    }

    @Test func aSuccessClearsTheAccountAndOriginBucket() throws {
        let throttle = throttle()
        for _ in 0..<5 { fail(throttle, "ana@x", ana) }
        #expect(retry(throttle, "ana@x", ana) > 0)
        clock.advance(seconds: 1)
        try #require(begin(throttle, "ana@x", ana)).succeed()
        for _ in 0..<5 { #expect(fail(throttle, "ana@x", ana), "a fresh allowance") }
    }

    // MARK: Attempts in flight

    @Test func concurrentAttemptsBeyondTheAllowanceAreRefusedAtOnce() {
        let throttle = throttle()
        // 200 guesses at once: only as many as could fail without passing the allowance start.
        var admitted: [LoginThrottle.Attempt] = []
        var waits: [Int64] = []
        for _ in 0..<200 {
            switch throttle.begin(account: "ana@x", origin: ana) {
            case .admitted(let attempt): admitted.append(attempt)
            case .limited(let wait): waits.append(wait)
            }
        }
        #expect(admitted.count == 5)
        #expect(waits.count == 195)
        #expect(waits.allSatisfy { $0 == 1000 }, "the delay their failure would impose: \(Set(waits))")
        #expect(throttle.inFlight(account: "ana@x") == 5)
        admitted.forEach { $0.fail() }
        #expect(throttle.inFlight(account: "ana@x") == 0)
        // Locked for 1 s; once it ends, exactly one more at a time.
        #expect(retry(throttle, "ana@x", ana) == 1000)
        clock.advance(seconds: 1)
        let second = (0..<120).compactMap { _ in begin(throttle, "ana@x", ana) }
        #expect(second.count == 1, "after the allowance, one attempt at a time")
        second.forEach { $0.fail() }
        #expect(retry(throttle, "ana@x", ana) == 2000)
    }

    @Test func anOriginGuessingManyAccountsAtOnceGetsTwentyAttempts() {
        let throttle = throttle()
        let origin = LoginOrigin.peer(uid: 666)
        let admitted = (0..<300).compactMap { begin(throttle, "user\($0)@x", origin) }
        #expect(admitted.count == 20)
        #expect(begin(throttle, "fresh@x", .peer(uid: 1000)) != nil, "other origins are unaffected")
        admitted.forEach { $0.fail() }
        #expect(retry(throttle, "fresh@x", origin) == 1000)
    }

    @Test func guessingOneAccountFromManyOriginsAtOnceGetsTenAttemptsAndCleanOriginsAPass() throws {
        let throttle = throttle()
        let origins = (0..<50).map { LoginOrigin.client("203.0.113.\($0)") }
        var admitted: [LoginThrottle.Attempt] = []
        var waits: [Int64] = []
        for origin in origins {
            switch throttle.begin(account: "ana@x", origin: origin) {
            case .admitted(let attempt): admitted.append(attempt)
            case .limited(let wait): waits.append(wait)
            }
        }
        #expect(admitted.count == 10, "the account's allowance")
        #expect(waits.count == 40 && waits.allSatisfy { $0 == 1000 })
        // The ten are still hashing; a refused clean origin comes back when told and gets in on its pass.
        clock.advance(seconds: 1)
        let passed = try #require(begin(throttle, "ana@x", origins[20]))
        #expect(passed.onPass)
        passed.succeed()
        admitted.forEach { $0.fail() }
    }

    @Test func anAbandonedOrDroppedAttemptReturnsItsPlace() {
        let throttle = throttle()
        let attempts = (0..<5).compactMap { _ in begin(throttle, "ana@x", ana) }
        #expect(attempts.count == 5)
        #expect(begin(throttle, "ana@x", ana) == nil)
        attempts[0].abandon()
        attempts[0].fail() // settled already: no effect
        #expect(throttle.inFlight(account: "ana@x") == 4)
        do {
            // Dropped without a verdict (an error thrown past it).
            _ = begin(throttle, "ana@x", ana)
        }
        #expect(throttle.inFlight(account: "ana@x") == 4)
        attempts.dropFirst().forEach { $0.abandon() }
        for _ in 0..<5 { #expect(fail(throttle, "ana@x", ana), "no failure was counted for abandoned attempts") }
    }

    @Test func aSuccessInFlightClearsFailuresButKeepsTheOthersReserved() throws {
        let throttle = throttle()
        for _ in 0..<3 { fail(throttle, "ana@x", ana) }
        let first = try #require(begin(throttle, "ana@x", ana))
        let second = try #require(begin(throttle, "ana@x", ana))
        #expect(begin(throttle, "ana@x", ana) == nil, "3 failures + 2 in flight = 5")
        first.succeed()
        #expect(throttle.inFlight(account: "ana@x") == 1)
        let more = (0..<10).compactMap { _ in begin(throttle, "ana@x", ana) }
        #expect(more.count == 4, "failures cleared; the second is still counted")
        second.abandon()
        more.forEach { $0.abandon() }
    }

    // MARK: Origins

    @Test func forwardedClientsAreCountedApartFromEachOtherAndFromPeers() {
        let throttle = throttle()
        let mallory = LoginOrigin.client("198.51.100.7")
        // 25 failures across accounts by one client (none of them Bob's).
        var failures = 0
        for index in 0..<25 where fail(throttle, "user\(index)@x", mallory) { failures += 1 }
        #expect(failures == 20, "the client's own allowance")
        #expect(retry(throttle, "other@x", mallory) > 0)
        #expect(begin(throttle, "bob@x", .client("192.0.2.10")) != nil, "another client is untouched")
        #expect(begin(throttle, "bob@x", .peer(uid: 1000)) != nil)
        #expect(LoginOrigin.client("uid:1000").key != LoginOrigin.peer(uid: 1000).key)
    }

    @Test func clientIdentitiesArePrintableASCIIOfOneTo64Characters() {
        #expect((try? LoginOrigin.checkClient("203.0.113.5")) != nil)
        #expect((try? LoginOrigin.checkClient("2001:db8::1")) != nil)
        #expect((try? LoginOrigin.checkClient(String(repeating: "a", count: 64))) != nil)
        for bad in ["", String(repeating: "a", count: 65), "a\u{7}", "tab\there", "é", "a\u{0}b", "\u{200B}"] {
            #expect(throws: (any Error).self, "\(bad.debugDescription)") { try LoginOrigin.checkClient(bad) }
        }
    }

    // MARK: The bound on others' guessing

    @Test func aTirelessGuesserKeepsAnotherOriginOutForAtMost30SecondsPerLogin() {
        let throttle = throttle()
        // uid 666 guesses Ana's password whenever it is admitted; Ana (uid 1000)
        // logs in right after each of its guesses (the worst moment) and every
        // 5 minutes, honouring retry_after_ms when refused.
        let guesser = LoginOrigin.peer(uid: 666)
        var guesses = 0
        var anaWaits: [Int64] = []
        var anaPending: Int64?
        for second in 0..<(60 * 60) {
            let guessed = fail(throttle, "ana@x", guesser)
            if guessed { guesses += 1 }
            if anaPending.map({ clock.now >= $0 }) == true || (anaPending == nil && (guessed || second % 300 == 0)) {
                switch throttle.begin(account: "ana@x", origin: ana) {
                case .admitted(let attempt):
                    attempt.succeed()
                    anaPending = nil
                case .limited(let wait):
                    #expect(anaPending == nil, "refused again after waiting as told")
                    anaWaits.append(wait)
                    anaPending = clock.now + wait
                }
            }
            clock.advance(seconds: 1)
        }
        #expect(guesses < 25, "the guesser is slowed to a crawl (\(guesses) guesses in an hour)")
        #expect(anaWaits.allSatisfy { $0 <= 30_000 }, "\(anaWaits)")
    }

    @Test func guessingSpreadOverOriginsDelaysACleanOriginAtMostOnceAndAtMost30Seconds() throws {
        let throttle = throttle()
        // Ten uids guess Ana's password once each: the account's allowance is used up.
        for uid in UInt32(2000)..<2010 { #expect(fail(throttle, "ana@x", .peer(uid: uid))) }
        let first = retry(throttle, "ana@x", ana)
        #expect(first > 0 && first <= 30_000, "the account is locked, but for at most 30 s: \(first)")
        clock.advance(milliseconds: first)
        // At the end of the lock a guesser gets in first and re-arms it.
        #expect(fail(throttle, "ana@x", .peer(uid: 2000)))
        #expect(retry(throttle, "ana@x", .peer(uid: 2001)) > 0, "guessers without a pass are locked out again")
        let onPass = try #require(begin(throttle, "ana@x", ana), "the pass lets Ana in although the lock was re-armed")
        #expect(onPass.onPass)
        onPass.succeed()
    }

    @Test func aSuccessOfItsOwnDoesNotResetAnOriginsCount() throws {
        let throttle = throttle()
        let origin = LoginOrigin.peer(uid: 666)
        for index in 0..<20 { fail(throttle, "user\(index)@x", origin) }
        #expect(retry(throttle, "fresh@x", origin) == 1000)
        clock.advance(seconds: 1)
        try #require(begin(throttle, "own@x", origin)).succeed()
        // Once admitted after the lock, its next failure doubles the delay: the count went on.
        #expect(fail(throttle, "fresh@x", origin))
        #expect(retry(throttle, "fresh2@x", origin) == 2000)
    }

    @Test func failuresAreForgottenAfterAnHourWithoutOne() {
        let throttle = throttle()
        for _ in 0..<5 { fail(throttle, "ana@x", ana) }
        #expect(retry(throttle, "ana@x", ana) > 0)
        clock.advance(seconds: 3601)
        #expect(retry(throttle, "ana@x", ana) == 0)
        for _ in 0..<5 { #expect(fail(throttle, "ana@x", ana), "counting starts over") }
    }

    @Test func anOriginsFailuresAreForgottenAfterAnHourWithoutOneEvenWhileItsLoginsSucceed() throws {
        // A busy service's uid: 20 failures, then only successful logins, one every 10 minutes.
        let throttle = throttle()
        let service = LoginOrigin.peer(uid: 2000)
        for index in 0..<20 { fail(throttle, "user\(index)@x", service) }
        for _ in 0..<7 {
            clock.advance(seconds: 600)
            try #require(begin(throttle, "own@x", service), "admitted: the lock after the 20th failure has ended").succeed()
        }
        // 70 minutes after its last failure the origin's count is forgotten:
        // a new failure is its first, not its 21st (which would lock it for 2 s).
        #expect(fail(throttle, "someone@x", service))
        #expect(retry(throttle, "own@x", service) == 0)
    }

    @Test func memoryIsBoundedAndAttemptsInFlightAreNeverDropped() throws {
        var policy = ThrottlePolicy()
        policy.maximumEntries = 100
        let throttle = throttle(policy)
        let held = try #require(begin(throttle, "held@x", .peer(uid: 5000)))
        for index in 0..<1000 {
            fail(throttle, "user\(index)@x", .peer(uid: UInt32(index % 300)))
            clock.advance(milliseconds: 1)
        }
        let sizes = throttle.sizes
        #expect(sizes.pairs <= 101 && sizes.peers <= 101 && sizes.accounts <= 101, "\(sizes)")
        #expect(throttle.inFlight(account: "held@x") == 1, "the bucket with an attempt in flight stayed")
        held.abandon()
        // The most recent entries are the ones kept.
        for _ in 0..<4 { fail(throttle, "user999@x", .peer(uid: 999 % 300)) }
        #expect(retry(throttle, "user999@x", .peer(uid: 999 % 300)) > 0)
    }
}
