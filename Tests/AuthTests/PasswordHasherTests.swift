@testable import Auth
import Domain
import NIOPosix
import Testing

/// bcrypt through libxcrypt, the 72-byte rule, re-hash detection.
@Suite("Passwords")
struct PasswordHasherTests {
    @Test func hashesAreBcrypt2bAtTheConfiguredCostAndVerify() async throws {
        let hasher = try PasswordHasher.make(cost: 5, threadPool: .singleton)
        let hash = try await hasher.hash("correct horse")
        #expect(hash.hasPrefix("$2b$05$"))
        #expect(hash.count == 60)
        #expect(PasswordHasher.cost(of: hash) == 5)
        #expect(try await hasher.verify("correct horse", against: hash))
        #expect(try await hasher.verify("correct horsf", against: hash) == false)
        #expect(try await hasher.verify("", against: hash) == false)
        // Salted: the same password hashes differently each time.
        #expect(try await hasher.hash("correct horse") != hash)
        // A stored value libxcrypt cannot read never matches.
        #expect(try await hasher.verify("correct horse", against: "not a hash") == false)
        #expect(try await hasher.checkUnknownUser("whatever").matched == false)
    }

    @Test func checksAreTimedPerCostAndTheUnknownUserDummyTakesTheGivenCost() async throws {
        let hasher = try PasswordHasher.make(cost: 4, threadPool: .singleton)
        let before = hasher.computedCount
        let atSix = try await hasher.checkUnknownUser("whatever", cost: 6)
        #expect(atSix.cost == 6 && !atSix.matched && atSix.nanoseconds > 0)
        let atFour = try await hasher.checkUnknownUser("whatever")
        #expect(atFour.cost == 4)
        #expect(hasher.computedCount == before + 2)
        #expect(try #require(hasher.timings.estimate(cost: 6)) >= atSix.nanoseconds, "each check is recorded")
        #expect(try #require(hasher.timings.estimate(cost: 4)) >= atFour.nanoseconds)
    }

    @Test func theUnknownUserDummyIsAHashBcryptComputesAtTheConfiguredCost() throws {
        // The dummy is a setting plus random hash characters: libxcrypt must
        // take it as a setting at that cost (a full computation whose result
        // keeps the salt), and the result must never equal the dummy itself.
        let setting = try Bcrypt.setting(cost: 5)
        let dummy = setting + Bcrypt.randomHashCharacters()
        #expect(dummy.count == 60)
        #expect(Bcrypt.cost(of: dummy) == 5)
        let computed = try #require(Bcrypt.crypt("any password", setting: dummy))
        #expect(computed.count == 60)
        #expect(computed.hasPrefix(setting))
        #expect(computed != dummy)
        #expect(Bcrypt.randomHashCharacters() != Bcrypt.randomHashCharacters())
    }

    @Test func publishedBcryptVectorsVerify() async throws {
        // crypt_blowfish's test vectors; DeltaStream's Python bcrypt writes the
        // same format ($2b$), older libraries $2a$ or $2y$.
        let hasher = try PasswordHasher.make(cost: 4, threadPool: .singleton)
        let vectors = [
            ("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
            ("U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK"),
            ("U*U", "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
        ]
        for (password, hash) in vectors {
            #expect(try await hasher.verify(password, against: hash), "\(hash)")
            #expect(try await hasher.verify(password + "x", against: hash) == false)
            #expect(hasher.needsRehash(hash))
        }
    }

    @Test func rehashIsNeededWhenTheCostOrSchemeDiffers() async throws {
        let hasher = try PasswordHasher.make(cost: 6, threadPool: .singleton)
        #expect(hasher.needsRehash("$2b$04$" + String(repeating: "a", count: 53)))
        #expect(hasher.needsRehash("$2b$12$" + String(repeating: "a", count: 53)))
        #expect(hasher.needsRehash("$2a$06$" + String(repeating: "a", count: 53)))
        #expect(hasher.needsRehash("$y$j9T$abc$def"))
        #expect(!hasher.needsRehash(try await hasher.hash("abcdefgh")))
    }

    @Test func theCostIsBounded() async throws {
        #expect(throws: FieldError.self) { _ = try PasswordHasher.make(cost: 3, threadPool: .singleton) }
        #expect(throws: FieldError.self) { _ = try PasswordHasher.make(cost: 18, threadPool: .singleton) }
    }

    @Test func passwordsOf8To72BytesAreAcceptedAndLongerOnesRefusedNotTruncated() throws {
        let seventyTwo = String(repeating: "a", count: 72)
        let seventyThree = seventyTwo + "b"
        try PasswordRule.checkNew(seventyTwo)
        try PasswordRule.checkNew("12345678")
        #expect(throws: FieldError.self) { try PasswordRule.checkNew(seventyThree) }
        #expect(throws: FieldError.self) { try PasswordRule.checkPresented(seventyThree) }
        // Multi-byte: 24 × "€" (3 bytes each) is 72 bytes; one more character is 75.
        try PasswordRule.checkNew(String(repeating: "€", count: 24))
        #expect(throws: FieldError.self) { try PasswordRule.checkNew(String(repeating: "€", count: 25)) }
        #expect(throws: FieldError.self) { try PasswordRule.checkNew("1234567") }
        #expect(throws: FieldError.self) { try PasswordRule.checkNew("") }
        #expect(throws: FieldError.self) { try PasswordRule.checkPresented("") }
        try PasswordRule.checkPresented("123456") // DeltaStream allowed 6 characters
        #expect(throws: FieldError.self) { try PasswordRule.checkNew("abcd\u{0}efgh") }
        do {
            try PasswordRule.checkNew(seventyThree)
        } catch {
            #expect(error.reason.contains("72 bytes"))
            #expect(!error.reason.contains(seventyThree), "the password is never echoed")
        }
    }

    @Test func whyTheRuleExists() async throws {
        // bcrypt itself ignores everything after 72 bytes: two passwords that
        // differ only there hash alike. The rule refuses the longer one instead.
        let hasher = try PasswordHasher.make(cost: 4, threadPool: .singleton)
        let seventyTwo = String(repeating: "x", count: 72)
        let hash = try await hasher.hash(seventyTwo)
        #expect(try await hasher.verify(seventyTwo + "anything", against: hash))
    }

    @Test func hashingNeverRunsOnTheCallersThreadAndIsBounded() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let hasher = try PasswordHasher.make(cost: 8, threadPool: pool, maximumQueued: 2)
        // Three at once: the third finds the queue full.
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    do {
                        _ = try await hasher.hash("abcdefgh")
                        return "ok"
                    } catch let error as AuthError {
                        return error.code
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(outcomes.sorted() == ["RESOURCE_EXHAUSTED", "ok", "ok"])
        #expect(hasher.queuedCount == 0)
        try await pool.shutdownGracefully()
        // A stopped pool: UNAVAILABLE, not a crash.
        #expect(await authError { _ = try await hasher.hash("abcdefgh") }?.code == "UNAVAILABLE")
    }

    @Test func theHashingThreadsRunAtTheLowerPriorityAndNoOtherThreadDoes() async throws {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        defer { pool.shutdownGracefully { _ in } }
        let callerBefore = ThreadNiceness.currentThread
        let before = try await pool.runIfActive { ThreadNiceness.currentThread }
        try #require(before < 10, "the test process already runs at nice \(before)")
        let hasher = try PasswordHasher.make(cost: 4, threadPool: pool, niceness: 10)
        _ = try await hasher.hash("abcdefgh")
        #expect(try await pool.runIfActive { ThreadNiceness.currentThread } == 10)
        #expect(try await hasher.lowerPriority() == nil)
        #expect(ThreadNiceness.currentThread == callerBefore)

        // Without a niceness the pool's threads are left alone.
        let other = NIOThreadPool(numberOfThreads: 1)
        other.start()
        defer { other.shutdownGracefully { _ in } }
        let plain = try PasswordHasher.make(cost: 4, threadPool: other)
        _ = try await plain.hash("abcdefgh")
        #expect(try await other.runIfActive { ThreadNiceness.currentThread } == before)
    }
}
