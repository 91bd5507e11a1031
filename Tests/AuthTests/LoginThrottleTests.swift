@testable import Auth
import Testing

/// Failed-login throttling: growing delays per (account, peer), per peer and
/// per account, and the bound on how long someone else's guessing can keep a
/// clean peer out.
@Suite("Login throttle")
struct LoginThrottleTests {
    let clock = ManualClock()

    func throttle(_ policy: ThrottlePolicy = ThrottlePolicy()) -> LoginThrottle {
        LoginThrottle(policy: policy, clock: clock.clock)
    }

    func retry(_ decision: LoginThrottle.Decision) -> Int64 {
        if case .limited(let ms) = decision { return ms }
        return 0
    }

    @Test func delaysStartAfterFiveFailuresAndDouble() {
        let throttle = throttle()
        for _ in 0..<4 {
            throttle.recordFailure(account: "ana@x", peer: 1000)
            #expect(throttle.check(account: "ana@x", peer: 1000) == .allowed)
        }
        var delays: [Int64] = []
        for _ in 0..<6 {
            throttle.recordFailure(account: "ana@x", peer: 1000)
            let wait = retry(throttle.check(account: "ana@x", peer: 1000))
            delays.append(wait)
            clock.advance(milliseconds: wait)
            #expect(throttle.check(account: "ana@x", peer: 1000) == .allowed || retry(throttle.check(account: "ana@x", peer: 1000)) <= 30_000)
        }
        #expect(delays == [1000, 2000, 4000, 8000, 16000, 32000])
    }

    @Test func theDelayPerAccountAndPeerIsCappedAt15Minutes() {
        let throttle = throttle()
        for _ in 0..<40 { throttle.recordFailure(account: "ana@x", peer: 1000) }
        #expect(retry(throttle.check(account: "ana@x", peer: 1000)) == 15 * 60 * 1000)
        #expect(throttle.delay(failures: 1000, free: 5, cap: 15 * 60 * 1000) == 15 * 60 * 1000, "no overflow")
    }

    @Test func aSuccessClearsTheAccountAndPeerBucket() {
        let throttle = throttle()
        for _ in 0..<5 { throttle.recordFailure(account: "ana@x", peer: 1000) }
        #expect(throttle.check(account: "ana@x", peer: 1000) != .allowed)
        clock.advance(seconds: 1)
        throttle.recordSuccess(account: "ana@x", peer: 1000)
        #expect(throttle.check(account: "ana@x", peer: 1000) == .allowed)
    }

    @Test func aTirelessGuesserKeepsAnotherPeerOutForAtMost30SecondsPerLogin() {
        let throttle = throttle()
        // uid 666 guesses Ana's password whenever it is allowed; Ana (uid 1000)
        // logs in right after each of its guesses (the worst moment) and every
        // 5 minutes, honouring retry_after_ms when refused.
        var guesses = 0
        var anaWaits: [Int64] = []
        var anaPending: Int64?
        for second in 0..<(60 * 60) {
            var guessed = false
            if throttle.check(account: "ana@x", peer: 666) == .allowed {
                throttle.recordFailure(account: "ana@x", peer: 666)
                guesses += 1
                guessed = true
            }
            if anaPending.map({ clock.now >= $0 }) == true || (anaPending == nil && (guessed || second % 300 == 0)) {
                switch throttle.check(account: "ana@x", peer: 1000) {
                case .allowed:
                    throttle.recordSuccess(account: "ana@x", peer: 1000)
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
        #expect(!anaWaits.isEmpty, "the account lock did apply")
        #expect(anaWaits.allSatisfy { $0 <= 30_000 }, "\(anaWaits)")
    }

    @Test func guessingSpreadOverPeersDelaysACleanPeerAtMostOnceAndAtMost30Seconds() {
        let throttle = throttle()
        // Many uids guess Ana's password: each makes 3 guesses (under its own limit).
        var uid: UInt32 = 2000
        func guessFromFreshPeers(_ count: Int) {
            for _ in 0..<count {
                for _ in 0..<3 { throttle.recordFailure(account: "ana@x", peer: uid) }
                uid += 1
            }
        }
        guessFromFreshPeers(10)
        let first = retry(throttle.check(account: "ana@x", peer: 1000))
        #expect(first > 0 && first <= 30_000, "the account is locked, but for at most 30 s: \(first)")
        // The guessing goes on and keeps re-arming the lock.
        clock.advance(milliseconds: first - 1)
        guessFromFreshPeers(5)
        #expect(retry(throttle.check(account: "ana@x", peer: 1000)) == 1, "Ana holds a pass for the end of the first lock")
        clock.advance(milliseconds: 1)
        #expect(throttle.check(account: "ana@x", peer: 1000) == .allowed, "the pass lets her in although the lock was re-armed")
        // Others without a pass are still locked out.
        #expect(throttle.check(account: "ana@x", peer: 1001) != .allowed)
        throttle.recordSuccess(account: "ana@x", peer: 1000)
    }

    @Test func aPeerGuessingManyAccountsIsLimitedAsAPeer() {
        let throttle = throttle()
        for index in 0..<20 { throttle.recordFailure(account: "user\(index)@x", peer: 666) }
        #expect(retry(throttle.check(account: "fresh@x", peer: 666)) == 1000)
        #expect(throttle.check(account: "fresh@x", peer: 1000) == .allowed, "other peers are unaffected")
        // A success on an account of its own does not reset the peer's count.
        throttle.recordSuccess(account: "own@x", peer: 666)
        #expect(throttle.check(account: "fresh@x", peer: 666) != .allowed)
    }

    @Test func failuresAreForgottenAfterAnHourWithoutOne() {
        let throttle = throttle()
        for _ in 0..<8 { throttle.recordFailure(account: "ana@x", peer: 1000) }
        #expect(throttle.check(account: "ana@x", peer: 1000) != .allowed)
        clock.advance(seconds: 3601)
        #expect(throttle.check(account: "ana@x", peer: 1000) == .allowed)
        throttle.recordFailure(account: "ana@x", peer: 1000)
        #expect(throttle.check(account: "ana@x", peer: 1000) == .allowed, "counting starts over")
    }

    @Test func memoryIsBounded() {
        var policy = ThrottlePolicy()
        policy.maximumEntries = 100
        let throttle = throttle(policy)
        for index in 0..<1000 {
            throttle.recordFailure(account: "user\(index)@x", peer: UInt32(index % 300))
            clock.advance(milliseconds: 1)
        }
        let sizes = throttle.sizes
        #expect(sizes.pairs <= 100 && sizes.peers <= 100 && sizes.accounts <= 100)
        // The most recent entries are the ones kept.
        for _ in 0..<4 { throttle.recordFailure(account: "user999@x", peer: 999 % 300) }
        #expect(throttle.check(account: "user999@x", peer: 999 % 300) != .allowed)
    }
}
