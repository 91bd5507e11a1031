import BSONCore
import Domain

/// Sessions (refresh tokens) in `sessions`, one document per token.
///
/// Stored shape (every field always present, the optional ones as null):
///
///     {_id: "<session id>", user_id, family_id, token_hash: BinData(0, 32 bytes),
///      created_at: datetime, expires_at: datetime, rotated_at: datetime | null,
///      replaced_by: string | null, revoked_at: datetime | null, revoked_reason: string | null}
///
/// Indexes (`MongoSchema`): `token_hash` unique, `user_id`, `family_id`,
/// `revoked_at`, `expires_at`. A revocation that changed sessions advances
/// the revocation sequence in `auth_state` afterwards (`MongoAuthState`).
///
/// **Rotation is not one transaction.** It is a conditional update
/// `{_id, rotated_at: null, revoked_at: null}` → `$set {rotated_at,
/// replaced_by}` and, only when that matched, the insert of the successor.
/// The update is the compare-and-set: MongoDB applies it to one document
/// atomically, so of concurrent refreshes of one token exactly one matches
/// (and on a replica set libmongoc's retryable writes never apply it twice).
/// The window: if the successor's insert fails after the update (MongoDB
/// becomes unreachable, a failover, the write concern times out), the old
/// token is already rotated but no successor exists: the client gets
/// UNAVAILABLE, and its refresh token is spent — presenting it again is an
/// already-rotated token with no remembered result (`SessionService`: within
/// the grace window TOKEN_REVOKED without revoking anything, later reuse
/// detection revokes the family), so the client must log in again. A duplicate key on the successor (a colliding id or token hash,
/// which random ids make practically impossible) is undone: the mark is
/// cleared again and the call throws `StoreError.conflict`.
struct MongoSessionRepository: SessionRepository {
    let executor: MongoExecutor

    func create(_ session: Session) async throws {
        let document = Self.encode(session)
        let options = MongoAuthWrite.insertOptions(executor.writeConcern)
        try await executor.run("sessions.create") { client in
            try Self.insert(document, on: client, options: options)
        }
    }

    /// Inserts one session document; a duplicate id or token hash is a conflict.
    private static func insert(_ document: BSONDocument, on client: MongoClient, options: BSONDocument) throws {
        let reply = try client.insertMany(MongoSchema.sessions, documents: [document.bytes], options: options)
        if let error = reply.writeErrors.first {
            guard error.code == 11000 else { throw MongoAuthWrite.writeError(error, collection: MongoSchema.sessions) }
            throw StoreError.conflict("a session with this id or token exists")
        }
    }

    func find(tokenHash: [UInt8]) async throws -> Session? {
        let filter = BSONDocument([MongoKeyset.equal("token_hash", .binary(subtype: 0, data: tokenHash))])
        return try await executor.run("sessions.find") { client in
            try MongoAuthWrite.findOne(client, collection: MongoSchema.sessions, filter: filter).map(Self.decode)
        }
    }

    func find(id: String) async throws -> Session? {
        let filter = BSONDocument([MongoKeyset.equal("_id", .string(id))])
        return try await executor.run("sessions.find") { client in
            try MongoAuthWrite.findOne(client, collection: MongoSchema.sessions, filter: filter).map(Self.decode)
        }
    }

    func rotate(id: String, to successor: Session, at time: Int64) async throws -> Bool {
        let current = BSONDocument([
            MongoKeyset.equal("_id", .string(id)), MongoKeyset.equal("rotated_at", .null), MongoKeyset.equal("revoked_at", .null),
        ])
        let mark: BSONDocument = ["$set": ["rotated_at": .datetime(time), "replaced_by": .string(successor.id)]]
        let marked = BSONDocument([
            MongoKeyset.equal("_id", .string(id)), MongoKeyset.equal("rotated_at", .datetime(time)),
            MongoKeyset.equal("replaced_by", .string(successor.id)),
        ])
        let unmark: BSONDocument = ["$set": ["rotated_at": .null, "replaced_by": .null]]
        let document = Self.encode(successor)
        let options = MongoAuthWrite.options(executor.writeConcern)
        let insertOptions = MongoAuthWrite.insertOptions(executor.writeConcern)
        return try await executor.run("sessions.rotate") { client in
            guard try client.updateOne(MongoSchema.sessions, filter: current, update: mark, options: options).matched == 1 else {
                return false
            }
            // Not atomic with the update above: see the type's documentation.
            do {
                try Self.insert(document, on: client, options: insertOptions)
            } catch let conflict as StoreError {
                // Undo the mark, so that the old session stays current.
                _ = try client.updateOne(MongoSchema.sessions, filter: marked, update: unmark, options: options)
                throw conflict
            }
            return true
        }
    }

    func revokeFamily(_ familyID: String, at time: Int64, reason: String) async throws -> Int {
        let filter = BSONDocument([MongoKeyset.equal("family_id", .string(familyID)), MongoKeyset.equal("revoked_at", .null)])
        let update = Self.revocation(at: time, reason: reason)
        let options = MongoAuthWrite.options(executor.writeConcern)
        let concern = executor.writeConcern
        return try await executor.run("sessions.revoke_family") { client in
            let revoked = try client.updateMany(MongoSchema.sessions, filter: filter, update: update, options: options).matched
            if revoked > 0 { try MongoAuthState.advanceSequence(client, writeConcern: concern) }
            return revoked
        }
    }

    /// Revokes first, then reads the families of the sessions revoked at
    /// `time` for `reason`: without a transaction, reading the live families
    /// first could miss one whose first session is stored between the read
    /// and the update. The read may also name a family that another
    /// revocation of the same user at the same millisecond for the same
    /// reason revoked — harmless, that family is revoked.
    func revokeAll(userID: String, at time: Int64, reason: String) async throws -> [String] {
        let filter = BSONDocument([MongoKeyset.equal("user_id", .string(userID)), MongoKeyset.equal("revoked_at", .null)])
        let update = Self.revocation(at: time, reason: reason)
        let revoked = BSONDocument([
            MongoKeyset.equal("user_id", .string(userID)), MongoKeyset.equal("revoked_at", .datetime(time)),
            MongoKeyset.equal("revoked_reason", .string(reason)),
        ])
        let options = MongoAuthWrite.options(executor.writeConcern)
        let concern = executor.writeConcern
        return try await executor.run("sessions.revoke_all") { client in
            guard try client.updateMany(MongoSchema.sessions, filter: filter, update: update, options: options).matched > 0 else {
                return []
            }
            try MongoAuthState.advanceSequence(client, writeConcern: concern)
            let reply = try client.command([
                "distinct": .string(MongoSchema.sessions), "key": "family_id", "query": .document(revoked),
            ])
            return Set((reply["values"]?.arrayValue ?? []).compactMap(\.stringValue)).sorted()
        }
    }

    func revokedFamilies(since: Int64) async throws -> [RevokedFamily] {
        let filter: BSONDocument = ["revoked_at": ["$gte": .datetime(since)]]
        let options: BSONDocument = ["projection": ["_id": .int32(0), "family_id": .int32(1), "revoked_at": .int32(1)]]
        return try await executor.run("sessions.revoked_families") { client in
            var latest: [String: Int64] = [:]
            try client.find(MongoSchema.sessions, filter: filter, options: options) { document in
                guard let family = document["family_id"]?.stringValue, case .datetime(let revokedAt) = document["revoked_at"] else {
                    throw MongoStoreFailure("a revoked session in sessions has no string family_id or datetime revoked_at")
                }
                latest[family] = max(latest[family] ?? .min, revokedAt)
                return true
            }
            return latest.map { RevokedFamily(familyID: $0.key, revokedAt: $0.value) }.sorted { $0.familyID < $1.familyID }
        }
    }

    func deleteExpired(before: Int64) async throws -> Int {
        let filter: BSONDocument = ["expires_at": ["$lt": .datetime(before)]]
        let options = MongoAuthWrite.options(executor.writeConcern)
        return try await executor.run("sessions.delete_expired") { client in
            try client.deleteMany(MongoSchema.sessions, filter: filter, options: options).deleted
        }
    }

    func revocationSequence() async throws -> Int64 {
        try await executor.run("auth_state.revocation_seq") { client in
            MongoAuthState.sequence(of: try MongoAuthWrite.findOne(client, collection: MongoAuthState.collection, filter: MongoAuthState.sequenceFilter))
        }
    }

    static func revocation(at time: Int64, reason: String) -> BSONDocument {
        ["$set": ["revoked_at": .datetime(time), "revoked_reason": .string(reason)]]
    }

    static func encode(_ session: Session) -> BSONDocument {
        BSONDocument([
            ("_id", .string(session.id)), ("user_id", .string(session.userID)), ("family_id", .string(session.familyID)),
            ("token_hash", .binary(subtype: 0, data: session.tokenHash)), ("created_at", .datetime(session.createdAt)),
            ("expires_at", .datetime(session.expiresAt)), ("rotated_at", session.rotatedAt.map(BSONValue.datetime) ?? .null),
            ("replaced_by", session.replacedBy.map(BSONValue.string) ?? .null),
            ("revoked_at", session.revokedAt.map(BSONValue.datetime) ?? .null),
            ("revoked_reason", session.revokedReason.map(BSONValue.string) ?? .null),
        ])
    }

    static func decode(_ document: BSONDocument) throws -> Session {
        guard let id = document["_id"]?.stringValue, let userID = document["user_id"]?.stringValue,
              let familyID = document["family_id"]?.stringValue,
              case .binary(_, let tokenHash) = document["token_hash"],
              let createdAt = MongoAuthWrite.time(document["created_at"]),
              let expiresAt = MongoAuthWrite.time(document["expires_at"])
        else {
            throw MongoStoreFailure("a document in sessions does not have the stored shape")
        }
        return Session(
            id: id, userID: userID, familyID: familyID, tokenHash: tokenHash, createdAt: createdAt, expiresAt: expiresAt,
            rotatedAt: MongoAuthWrite.time(document["rotated_at"]), replacedBy: document["replaced_by"]?.stringValue,
            revokedAt: MongoAuthWrite.time(document["revoked_at"]), revokedReason: document["revoked_reason"]?.stringValue
        )
    }
}
