import BSONCore
import Domain

/// `auth_state`: small documents of auth bookkeeping, by name.
///
///     {_id: "revocation_seq", value: Int64}      the revocation sequence
///     {_id: "email_normal_form", version: 2}     users' emails are in the current normal form
///
/// The revocation sequence is advanced (`$inc`) after every revocation that
/// changed a session, once the sessions are written (MongoDB has no
/// multi-document transaction here), so a daemon that reads the new value
/// and then the revoked sessions finds them. A missing sequence reads as 0
/// and is made by the first revocation (an insert; its duplicate-key error
/// means another daemon made it first, and the `$inc` is tried again), so no
/// write needs `upsert` and a start writes nothing it does not need to.
enum MongoAuthState {
    static let collection = "auth_state"
    static let revocationSequenceID = "revocation_seq"
    static let emailFormID = "email_normal_form"
    /// The `EmailAddress` normal form the stored emails are in: 2 is NFC of
    /// the full case folding; 1 (no document) was trimmed and lower-cased.
    static let emailFormVersion: Int32 = 2

    static var sequenceFilter: BSONDocument { BSONDocument([MongoKeyset.equal("_id", .string(revocationSequenceID))]) }

    /// The sequence as stored: an int64, or an int32 (mongomock's `$inc` result).
    static func sequence(of document: BSONDocument?) -> Int64 {
        document?["value"]?.integerValue ?? 0
    }

    /// Advances the revocation sequence by one.
    static func advanceSequence(_ client: MongoClient, writeConcern: MongoWriteConcern) throws {
        let options = MongoAuthWrite.options(writeConcern)
        let increment: BSONDocument = ["$inc": ["value": .int64(1)]]
        guard try client.updateOne(collection, filter: sequenceFilter, update: increment, options: options).matched == 0 else { return }
        // The first revocation on this database: make the sequence, already advanced.
        if try !insertIfMissing(client, ["_id": .string(revocationSequenceID), "value": .int64(1)], writeConcern: writeConcern) {
            _ = try client.updateOne(collection, filter: sequenceFilter, update: increment, options: options)
        }
    }

    /// Inserts `document` unless one with its `_id` exists; false when it did.
    @discardableResult
    static func insertIfMissing(_ client: MongoClient, _ document: BSONDocument, writeConcern: MongoWriteConcern) throws -> Bool {
        let reply = try client.insertMany(collection, documents: [document.bytes], options: MongoAuthWrite.insertOptions(writeConcern))
        guard let error = reply.writeErrors.first else { return true }
        guard error.code == 11000 else { throw MongoAuthWrite.writeError(error, collection: collection) }
        return false
    }
}

extension MongoMarketStore: StoredEmailNormalizing {
    public func normalizeStoredEmails() async throws -> EmailNormalizationPlan? {
        guard let users = users as? MongoUserRepository else { return nil }
        return try await users.normalizeStoredEmails()
    }
}

extension MongoUserRepository {
    /// The users' emails brought to the current normal form
    /// (`Domain.EmailNormalizationPlan`), once per database: the
    /// `email_normal_form` marker is written after a pass that found users (a
    /// database without users has nothing to bring, and writes nothing).
    /// Several daemons starting at once do the same idempotent work; a
    /// rewrite that meets a duplicate key (another daemon, or a registration,
    /// took that form meanwhile) is left out of the plan returned.
    func normalizeStoredEmails() async throws -> EmailNormalizationPlan? {
        let concern = executor.writeConcern
        return try await executor.run("users.normalize_emails") { client -> EmailNormalizationPlan? in
            let marker = try MongoAuthWrite.findOne(
                client, collection: MongoAuthState.collection, filter: BSONDocument([MongoKeyset.equal("_id", .string(MongoAuthState.emailFormID))])
            )
            if let version = marker?["version"]?.integerValue, version >= Int64(MongoAuthState.emailFormVersion) { return nil }
            var accounts: [EmailNormalizationPlan.Account] = []
            let projection: BSONDocument = ["projection": ["_id": .int32(1), "email": .int32(1), "created_at": .int32(1)]]
            try client.find(MongoSchema.users, filter: BSONDocument(), options: projection) { document in
                if let account = Self.account(document) { accounts.append(account) }
                return true
            }
            var plan = EmailNormalizationPlan(accounts)
            let options = MongoAuthWrite.options(concern)
            var written: [EmailNormalizationPlan.Rewrite] = []
            for rewrite in plan.rewrites {
                let filter = BSONDocument([MongoKeyset.equal("_id", Self.idValue(rewrite.id)), MongoKeyset.equal("email", .string(rewrite.from))])
                do {
                    _ = try client.updateOne(MongoSchema.users, filter: filter, update: ["$set": ["email": .string(rewrite.to)]], options: options)
                    written.append(rewrite)
                } catch let error as MongoError where error.code == 11000 {
                    continue
                }
            }
            plan.rewrites = written
            guard !accounts.isEmpty else { return plan }
            try MongoAuthState.insertIfMissing(
                client, ["_id": .string(MongoAuthState.emailFormID), "version": .int32(MongoAuthState.emailFormVersion)], writeConcern: concern
            )
            return plan
        }
    }
}
