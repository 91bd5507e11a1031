@testable import Auth
import Domain
import Foundation
import Testing

/// Register, login, verify, refresh (rotation, reuse detection, grace
/// window), logout, cost upgrade, throttling: the session service on an
/// in-memory store with a manual clock.
@Suite("Sessions")
struct SessionServiceTests {
    @Test func registerThenLoginThenVerify() async throws {
        let h = try await Harness.make()
        let registered = try await h.register("  Ana@Example.COM ")
        #expect(registered.user.email == "ana@example.com")
        #expect(registered.user.name == "Ana")
        #expect(registered.user.id.count == 24)
        #expect(registered.user.passwordHash.hasPrefix("$2b$04$"))
        #expect(RefreshToken.isWellFormed(registered.tokens.refreshToken))
        #expect(registered.tokens.refreshExpiresAtMilliseconds == h.clock.now + SessionSettings.defaultRefreshTokenLifetime)
        let verified = try h.service.verify(registered.tokens.access.token)
        #expect(verified.userID == registered.user.id)
        #expect(verified.email == "ana@example.com")

        let loggedIn = try await h.login("ana@example.com")
        #expect(loggedIn.user.id == registered.user.id)
        #expect(loggedIn.tokens.access.claims.sessionID != registered.tokens.access.claims.sessionID, "each login is its own session")
        // Only the hash of a refresh token is stored.
        #expect(h.store.allSessions.allSatisfy { $0.tokenHash.count == 32 })
        #expect(h.store.allSessions.contains { $0.tokenHash == RefreshToken.hash(loggedIn.tokens.refreshToken) })
    }

    @Test func aTakenEmailIsAConflict() async throws {
        let h = try await Harness.make()
        _ = try await h.register("ana@example.com")
        #expect(await authError { _ = try await h.register("ANA@example.com ") } == .emailTaken)
    }

    @Test func unknownEmailAndWrongPasswordFailAlike() async throws {
        let h = try await Harness.make()
        _ = try await h.register()
        let log = CapturedLog()
        #expect(await authError { _ = try await h.login("nobody@example.com", logger: log.logger) } == .invalidCredentials)
        #expect(await authError { _ = try await h.login(password: "wrong password", logger: log.logger) } == .invalidCredentials)
        #expect(log.text.contains("reason=unknown_email") && log.text.contains("reason=wrong_password"), "the log tells them apart, the client cannot")
        #expect(!log.text.contains("nobody@example.com") && !log.text.contains("wrong password"))
    }

    @Test func aStoredHashOfAnotherCostIsUpgradedAfterTheLoginAnswered() async throws {
        let h = try await Harness.make(cost: 5)
        let legacy = try await (try PasswordHasher.make(cost: 4, threadPool: .singleton)).hash("correct horse battery")
        try await h.store.create(User(id: "65e1a0b2c3d4e5f6a7b80001", email: "ana@example.com", name: nil, passwordHash: legacy, createdAt: 0, updatedAt: 0))
        h.service.census.replace(prefixes: try await h.store.passwordHashPrefixes(), at: 0)
        // A wrong password does not upgrade anything.
        _ = await authError { _ = try await h.login(password: "not the password") }
        await h.service.finishRehashes()
        #expect(try await h.store.find(email: "ana@example.com")?.passwordHash == legacy)

        // The store holds every re-hash write until the gate opens: a login
        // that waited for its re-hash would never answer.
        let gate = Gate()
        h.store.holdPasswordUpdates(until: gate)
        let log = CapturedLog()
        let answered = await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await h.login(logger: log.logger)) != nil }
            group.addTask {
                try? await Task.sleep(for: .seconds(60))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(answered, "the login answered while its re-hash was still held")
        #expect(try await h.store.find(email: "ana@example.com")?.passwordHash == legacy, "not stored yet")
        await gate.open()
        await h.service.finishRehashes()
        let upgraded = try #require(try await h.store.find(email: "ana@example.com")?.passwordHash)
        #expect(upgraded.hasPrefix("$2b$05$"))
        #expect(log.text.contains("password hash upgraded") && log.text.contains("from_cost=4") && log.text.contains("to_cost=5"))
        #expect(h.service.census.counts == [5: 1], "the census follows the re-hash")
        // And the new hash works, without a second upgrade.
        _ = try await h.login()
        await h.service.finishRehashes()
        #expect(try await h.store.find(email: "ana@example.com")?.passwordHash == upgraded, "no second upgrade")
    }

    @Test func twoHundredConcurrentGuessesAndTheRightPasswordLastGetFiveChecks() async throws {
        let h = try await Harness.make(cost: 6, timing: LoginTiming(padsFailures: false))
        _ = try await h.register()
        let before = h.hasher.computedCount
        let codes = await withTaskGroup(of: String.self) { group in
            for index in 0..<200 {
                group.addTask { await authError { _ = try await h.login(password: "wrong guess \(index)") }?.code ?? "OK" }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        let right = await authError { _ = try await h.login() }?.code ?? "OK"
        let checks = h.hasher.computedCount - before
        #expect(codes.filter { $0 == "UNAUTHENTICATED" }.count <= 5)
        #expect(codes.filter { $0 == "RATE_LIMITED" }.count >= 195)
        #expect(Set(codes).isSubset(of: ["UNAUTHENTICATED", "RATE_LIMITED"]))
        #expect(right == "RATE_LIMITED", "the right password, sent last, is refused too")
        #expect(checks <= 5, "bcrypt ran \(checks) times")
        #expect(h.throttle.inFlight(account: "ana@example.com") == 0)
    }

    @Test func aLoginThatFailsWithoutAVerdictGivesItsPlaceBack() async throws {
        let h = try await Harness.make()
        _ = try await h.register()
        // The store is fine but the hash cannot be read: no match, a failure.
        h.store.plant(hash: "not a bcrypt hash", forEmail: "ana@example.com")
        #expect(await authError { _ = try await h.login() } == .invalidCredentials)
        #expect(h.throttle.inFlight(account: "ana@example.com") == 0)
    }

    @Test func unknownEmailsAreCheckedAtTheModalStoredCostAndFailuresPaddedToTheHighest() async throws {
        let h = try await Harness.make(cost: 4)
        for (index, cost) in [5, 5, 6].enumerated() {
            let hash = try await (try PasswordHasher.make(cost: cost, threadPool: .singleton)).hash("correct horse battery")
            try await h.store.create(User(id: "65e1a0b2c3d4e5f6a7b8000\(index)", email: "u\(index)@example.com", name: nil, passwordHash: hash, createdAt: 0, updatedAt: 0))
        }
        h.service.census.replace(prefixes: try await h.store.passwordHashPrefixes(), at: 0)
        #expect(h.service.census.modalCost == 5)
        #expect(h.service.census.maximumCost == 6)
        let before = h.hasher.timings.estimate(cost: 5)
        #expect(await authError { _ = try await h.login("nobody@example.com") } == .invalidCredentials)
        #expect(before == nil && h.hasher.timings.estimate(cost: 5) != nil, "the unknown email cost a check at cost 5")
        // The pause brings a failed check up to 1.1 times one check at cost 6.
        let six = try #require(h.hasher.timings.estimate(cost: 6))
        let pause = h.service.timing.padding(afterCheckOf: 1_000, census: h.service.census, timings: h.hasher.timings)
        #expect(pause == Int64((Double(six) * 1.1).rounded()) - 1_000)
        #expect(h.service.timing.padding(afterCheckOf: six * 2, census: h.service.census, timings: h.hasher.timings) == 0, "an overrun is not padded")
    }

    @Test func refreshRotatesAndAReusedTokenRevokesTheWholeFamily() async throws {
        let h = try await Harness.make()
        let first = try await h.register()
        let family = first.tokens.access.claims.sessionID
        h.clock.advance(seconds: 60)
        let second = try await h.service.refresh(first.tokens.refreshToken, peer: 1000, logger: quietLogger)
        #expect(second.refreshToken != first.tokens.refreshToken)
        #expect(second.access.claims.sessionID == family, "the same session family")
        _ = try h.service.verify(second.access.token)
        h.clock.advance(seconds: 60)
        let third = try await h.service.refresh(second.refreshToken, peer: 1000, logger: quietLogger)

        // The first token again, long after its rotation: theft.
        h.clock.advance(seconds: 60)
        let log = CapturedLog()
        #expect(await authError { _ = try await h.service.refresh(first.tokens.refreshToken, peer: 1000, logger: log.logger) }?.code == "TOKEN_REVOKED")
        #expect(log.text.contains("reuse detected"))
        // Every token of the family is dead: refresh tokens and access tokens alike.
        #expect(await authError { _ = try await h.service.refresh(third.refreshToken, peer: 1000, logger: quietLogger) }?.code == "TOKEN_REVOKED")
        #expect(await authError { _ = try h.service.verify(third.access.token) }?.code == "TOKEN_REVOKED")
        #expect(await authError { _ = try h.service.verify(first.tokens.access.token) }?.code == "TOKEN_REVOKED")
        #expect(h.store.allSessions.allSatisfy { $0.revokedAt != nil && $0.revokedReason == "reuse" })
        // Another login is unaffected.
        let other = try await h.login()
        _ = try h.service.verify(other.tokens.access.token)
    }

    @Test func withinTheGraceWindowTheSamePeerGetsTheSameResultAgain() async throws {
        let h = try await Harness.make()
        let login = try await h.register()
        let rotated = try await h.service.refresh(login.tokens.refreshToken, peer: 1000, logger: quietLogger)
        h.clock.advance(seconds: 9)
        let again = try await h.service.refresh(login.tokens.refreshToken, peer: 1000, logger: quietLogger)
        #expect(again.refreshToken == rotated.refreshToken)
        #expect(again.access.token == rotated.access.token)
        // The family is intact: the new token works.
        let next = try await h.service.refresh(rotated.refreshToken, peer: 1000, logger: quietLogger)
        _ = try h.service.verify(next.access.token)
    }

    @Test func afterTheGraceWindowTheOldTokenIsReuse() async throws {
        let h = try await Harness.make()
        let login = try await h.register()
        let rotated = try await h.service.refresh(login.tokens.refreshToken, peer: 1000, logger: quietLogger)
        h.clock.advance(milliseconds: 10_001)
        #expect(await authError { _ = try await h.service.refresh(login.tokens.refreshToken, peer: 1000, logger: quietLogger) }?.code == "TOKEN_REVOKED")
        #expect(await authError { _ = try h.service.verify(rotated.access.token) }?.code == "TOKEN_REVOKED")
    }

    @Test func withinTheGraceWindowAnotherPeerIsReuse() async throws {
        let h = try await Harness.make()
        let login = try await h.register()
        let rotated = try await h.service.refresh(login.tokens.refreshToken, peer: 1000, logger: quietLogger)
        h.clock.advance(seconds: 2)
        #expect(await authError { _ = try await h.service.refresh(login.tokens.refreshToken, peer: 666, logger: quietLogger) }?.code == "TOKEN_REVOKED")
        #expect(await authError { _ = try await h.service.refresh(rotated.refreshToken, peer: 1000, logger: quietLogger) }?.code == "TOKEN_REVOKED")
    }

    @Test func withinTheGraceWindowAfterTheSuccessorWasUsedIsReuse() async throws {
        let h = try await Harness.make()
        let login = try await h.register()
        let second = try await h.service.refresh(login.tokens.refreshToken, peer: 1000, logger: quietLogger)
        let third = try await h.service.refresh(second.refreshToken, peer: 1000, logger: quietLogger)
        h.clock.advance(seconds: 1)
        #expect(await authError { _ = try await h.service.refresh(login.tokens.refreshToken, peer: 1000, logger: quietLogger) }?.code == "TOKEN_REVOKED")
        #expect(await authError { _ = try h.service.verify(third.access.token) }?.code == "TOKEN_REVOKED")
    }

    @Test func concurrentRefreshesOfOneTokenShareOneRotation() async throws {
        let h = try await Harness.make()
        let login = try await h.register()
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<6 {
                group.addTask { try await h.service.refresh(login.tokens.refreshToken, peer: 1000, logger: quietLogger).refreshToken }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(results).count == 1, "every caller got the same new token")
        #expect(h.store.allSessions.count == 2, "one rotation, one successor")
        _ = try await h.service.refresh(results[0], peer: 1000, logger: quietLogger)
    }

    @Test func logoutTakesEffectOnTheVeryNextVerify() async throws {
        let h = try await Harness.make()
        let a = try await h.register()
        let b = try await h.login()
        _ = try h.service.verify(a.tokens.access.token)
        let token = Array(a.tokens.access.token.utf8)
        #expect(token.withUnsafeBytes { h.service.verifyCached($0) } != nil, "verified before: answered from the cache")
        #expect(try await h.service.logout(refreshToken: a.tokens.refreshToken, accessToken: nil, allSessions: false, logger: quietLogger) == 1)
        #expect(token.withUnsafeBytes { h.service.verifyCached($0) } == nil, "revoked: left to verify, which says so")
        #expect(await authError { _ = try h.service.verify(a.tokens.access.token) }?.code == "TOKEN_REVOKED")
        #expect(await authError { _ = try await h.service.refresh(a.tokens.refreshToken, peer: 1000, logger: quietLogger) }?.code == "TOKEN_REVOKED")
        _ = try h.service.verify(b.tokens.access.token)
        // Logging out again is harmless; by access token too.
        #expect(try await h.service.logout(refreshToken: nil, accessToken: b.tokens.access.token, allSessions: false, logger: quietLogger) == 1)
        #expect(await authError { _ = try h.service.verify(b.tokens.access.token) }?.code == "TOKEN_REVOKED")
        #expect(try await h.service.logout(refreshToken: a.tokens.refreshToken, accessToken: nil, allSessions: false, logger: quietLogger) == 0)
    }

    @Test func logoutOfAllSessionsRevokesEveryLoginOfTheUserOnly() async throws {
        let h = try await Harness.make()
        let a = try await h.register()
        let b = try await h.login()
        let c = try await h.login()
        let bob = try await h.register("bob@example.com")
        #expect(try await h.service.logout(refreshToken: nil, accessToken: c.tokens.access.token, allSessions: true, logger: quietLogger) == 3)
        for token in [a, b, c].map(\.tokens.access.token) {
            #expect(await authError { _ = try h.service.verify(token) }?.code == "TOKEN_REVOKED")
        }
        _ = try h.service.verify(bob.tokens.access.token)
    }

    @Test func logoutNeedsOneUsersTokens() async throws {
        let h = try await Harness.make()
        let ana = try await h.register()
        let bob = try await h.register("bob@example.com")
        await #expect(throws: FieldError.self) {
            _ = try await h.service.logout(refreshToken: ana.tokens.refreshToken, accessToken: bob.tokens.access.token, allSessions: false, logger: quietLogger)
        }
        await #expect(throws: FieldError.self) {
            _ = try await h.service.logout(refreshToken: nil, accessToken: nil, allSessions: true, logger: quietLogger)
        }
        #expect(await authError { _ = try await h.service.logout(refreshToken: RefreshToken.generate(), accessToken: nil, allSessions: false, logger: quietLogger) }?.code == "TOKEN_INVALID")
        #expect(await authError { _ = try await h.service.logout(refreshToken: ana.tokens.access.token, accessToken: nil, allSessions: false, logger: quietLogger) }?.code == "TOKEN_INVALID")
    }

    @Test func refreshAndAccessTokensAreNotInterchangeable() async throws {
        let h = try await Harness.make()
        let login = try await h.register()
        #expect(await authError { _ = try h.service.verify(login.tokens.refreshToken) }?.code == "TOKEN_INVALID")
        #expect(await authError { _ = try await h.service.refresh(login.tokens.access.token, peer: 1000, logger: quietLogger) }?.code == "TOKEN_INVALID")
        #expect(await authError { _ = try await h.service.refresh(RefreshToken.generate(), peer: 1000, logger: quietLogger) }?.code == "TOKEN_INVALID")
        #expect(await authError { _ = try await h.service.refresh("short", peer: 1000, logger: quietLogger) }?.code == "TOKEN_INVALID")
    }

    @Test func anExpiredRefreshTokenIsExpired() async throws {
        let h = try await Harness.make(settings: SessionSettings(refreshTokenLifetime: 3_600_000))
        let login = try await h.register()
        h.clock.advance(seconds: 3600)
        #expect(await authError { _ = try await h.service.refresh(login.tokens.refreshToken, peer: 1000, logger: quietLogger) }?.code == "TOKEN_EXPIRED")
    }

    @Test func failedLoginsAreThrottled() async throws {
        let h = try await Harness.make()
        _ = try await h.register()
        for _ in 0..<5 {
            #expect(await authError { _ = try await h.login(password: "wrong password") } == .invalidCredentials)
        }
        guard case .rateLimited(let wait) = await authError({ _ = try await h.login() }) else {
            Issue.record("expected RATE_LIMITED")
            return
        }
        #expect(wait == 1000)
        // Another peer with the right password is not held up by these failures.
        _ = try await h.login(peer: 2000)
        h.clock.advance(milliseconds: wait)
        _ = try await h.login()
    }

    @Test func eventsAreLoggedWithTheUserAndNeverASecret() async throws {
        let h = try await Harness.make()
        let log = CapturedLog()
        let password = "correct horse battery"
        let registered = try await h.register(password: password, logger: log.logger)
        let loggedIn = try await h.login(password: password, logger: log.logger)
        _ = await authError { _ = try await h.login(password: "Tr0ub4dor&3", logger: log.logger) }
        let refreshed = try await h.service.refresh(loggedIn.tokens.refreshToken, peer: 1000, logger: log.logger)
        h.clock.advance(seconds: 30)
        _ = await authError { _ = try await h.service.refresh(loggedIn.tokens.refreshToken, peer: 1000, logger: log.logger) }
        _ = try await h.service.logout(refreshToken: registered.tokens.refreshToken, accessToken: nil, allSessions: false, logger: log.logger)
        let text = log.text
        for event in ["event=register", "event=login ", "event=login_failed", "event=refresh ", "event=refresh_reuse", "event=logout"] {
            #expect(text.contains(event), "\(event) logged")
        }
        #expect(text.contains("user_id=\(registered.user.id)"))
        let secrets = [password, "Tr0ub4dor&3", registered.tokens.access.token, registered.tokens.refreshToken, loggedIn.tokens.access.token,
                       loggedIn.tokens.refreshToken, refreshed.access.token, refreshed.refreshToken]
        for secret in secrets {
            #expect(!text.contains(secret))
        }
        // Not even the signature part of a token.
        #expect(!text.contains(String(registered.tokens.access.token.split(separator: ".")[2])))
    }
}
