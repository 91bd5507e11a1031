import BSONCore
import CMongoC
import Domain

/// Users in `users`, DeltaStream's collection (its unique index on `email` is
/// the one `MongoSchema` ensures, under the same name `email_1`).
///
/// Stored shape:
///
///     {_id: ObjectId, email, name?, password_hash, created_at: datetime, updated_at: datetime}
///
/// `_id` is the user id as an ObjectId (`User.id` is its 24 lower-case hex
/// digits; an id that is not one is stored as a string), `email` is in
/// `EmailAddress` normal form, `name` is left out when there is none, and the
/// times are BSON datetimes. Documents written by the original auth service
/// are read as they are: a string `_id`, a missing `updated_at` (taken to be
/// `created_at`), a missing `created_at` (0), and the bcrypt hash under
/// `password` when there is no `password_hash` (DeltaStream's own field name
/// is not known here; either is read, only `password_hash` is written).
struct MongoUserRepository: UserRepository {
    let executor: MongoExecutor

    func create(_ user: User) async throws {
        var pairs: [(String, BSONValue)] = [("_id", Self.idValue(user.id)), ("email", .string(user.email))]
        if let name = user.name { pairs.append(("name", .string(name))) }
        pairs += [
            ("password_hash", .string(user.passwordHash)), ("created_at", .datetime(user.createdAt)),
            ("updated_at", .datetime(user.updatedAt)),
        ]
        let document = BSONDocument(pairs)
        let options = MongoAuthWrite.insertOptions(executor.writeConcern)
        try await executor.run("users.create") { client in
            let reply = try client.insertMany(MongoSchema.users, documents: [document.bytes], options: options)
            if let error = reply.writeErrors.first {
                guard error.code == 11000 else { throw MongoAuthWrite.writeError(error, collection: MongoSchema.users) }
                let onEmail = error.message.contains("email")
                throw StoreError.conflict(onEmail ? "a user with this email is already registered" : "a user with this id exists")
            }
        }
    }

    func find(email: String) async throws -> User? {
        let filter = BSONDocument([MongoKeyset.equal("email", .string(email))])
        return try await executor.run("users.find") { client in
            try MongoAuthWrite.findOne(client, collection: MongoSchema.users, filter: filter).map(Self.decode)
        }
    }

    func find(id: String) async throws -> User? {
        let filter = BSONDocument([MongoKeyset.equal("_id", Self.idValue(id))])
        return try await executor.run("users.find") { client in
            try MongoAuthWrite.findOne(client, collection: MongoSchema.users, filter: filter).map(Self.decode)
        }
    }

    func updatePasswordHash(userID: String, hash: String, at time: Int64) async throws -> Bool {
        let filter = BSONDocument([MongoKeyset.equal("_id", Self.idValue(userID))])
        let update: BSONDocument = ["$set": ["password_hash": .string(hash), "updated_at": .datetime(time)]]
        let options = MongoAuthWrite.options(executor.writeConcern)
        return try await executor.run("users.update_password_hash") { client in
            try client.updateOne(MongoSchema.users, filter: filter, update: update, options: options).matched == 1
        }
    }

    func passwordHashPrefixes() async throws -> [String: Int] {
        // `$substr` (bytes) rather than `$substrBytes`: the same operator, and
        // the one the test stand-in's mongomock implements.
        let hash: BSONValue = ["$ifNull": .array([.string("$password_hash"), .string("$password")])]
        let command: BSONDocument = [
            "aggregate": .string(MongoSchema.users),
            "pipeline": .array([
                .document(["$group": ["_id": ["$substr": .array([hash, .int32(0), .int32(Int32(passwordHashPrefixLength))])], "n": ["$sum": .int32(1)]]]),
            ]),
            "cursor": ["batchSize": .int32(10_000)],
        ]
        return try await executor.run("users.hash_prefixes") { client in
            let reply = try client.readCommand(command)
            var counts: [String: Int] = [:]
            for group in reply["cursor"]?.documentValue?["firstBatch"]?.arrayValue ?? [] {
                guard let document = group.documentValue, let prefix = document["_id"]?.stringValue else { continue }
                counts[prefix, default: 0] += Int(clamping: document["n"]?.integerValue ?? 0)
            }
            return counts
        }
    }

    /// A user document as the email migration needs it (nil for one without
    /// a usable id or a string email; such documents cannot log in anyway).
    static func account(_ document: BSONDocument) -> EmailNormalizationPlan.Account? {
        let id: String
        switch document["_id"] {
        case .objectID(let objectID): id = objectID.hex
        case .string(let string): id = string
        default: return nil
        }
        guard let email = document["email"]?.stringValue else { return nil }
        return EmailNormalizationPlan.Account(id: id, email: email, createdAt: MongoAuthWrite.time(document["created_at"]) ?? 0)
    }

    /// The `_id` of a user id: an ObjectId when the id is one (24 lower-case
    /// hex digits, as every id deltastore makes), else the string.
    static func idValue(_ id: String) -> BSONValue {
        if let objectID = BSONObjectID(hex: id), objectID.hex == id { return .objectID(objectID) }
        return .string(id)
    }

    static func decode(_ document: BSONDocument) throws -> User {
        let id: String
        switch document["_id"] {
        case .objectID(let objectID): id = objectID.hex
        case .string(let string): id = string
        default: throw MongoStoreFailure("a document in users has an _id that is neither an ObjectId nor a string")
        }
        guard let email = document["email"]?.stringValue else {
            throw MongoStoreFailure("user \(id) in users has no string email")
        }
        guard let hash = document["password_hash"]?.stringValue ?? document["password"]?.stringValue else {
            throw MongoStoreFailure("user \(id) in users has no string password_hash")
        }
        let createdAt = MongoAuthWrite.time(document["created_at"]) ?? 0
        return User(
            id: id, email: email, name: document["name"]?.stringValue, passwordHash: hash,
            createdAt: createdAt, updatedAt: MongoAuthWrite.time(document["updated_at"]) ?? createdAt
        )
    }
}

/// What the user and session repositories share.
enum MongoAuthWrite {
    /// Options of an update or a delete: the store's write concern.
    static func options(_ writeConcern: MongoWriteConcern) -> BSONDocument {
        ["writeConcern": .document(writeConcern.document)]
    }

    /// Options of a one-document insert.
    static func insertOptions(_ writeConcern: MongoWriteConcern) -> BSONDocument {
        ["ordered": true, "writeConcern": .document(writeConcern.document)]
    }

    /// A write error other than a duplicate key, as the `MongoError` the
    /// executor maps (logged, INTERNAL).
    static func writeError(_ error: (index: Int, code: Int64, message: String), collection: String) -> MongoError {
        MongoError(
            domain: MONGOC_ERROR_SERVER.rawValue, code: UInt32(truncatingIfNeeded: error.code),
            message: "insert into \(collection) refused: \(error.message)"
        )
    }

    /// The first document matching `filter`, if any.
    static func findOne(_ client: MongoClient, collection: String, filter: BSONDocument) throws -> BSONDocument? {
        var found: BSONDocument?
        try client.find(collection, filter: filter, options: ["limit": .int64(1), "singleBatch": true]) { document in
            found = document
            return false
        }
        return found
    }

    /// A time field: a BSON datetime (as written here) or an integer of
    /// milliseconds.
    static func time(_ value: BSONValue?) -> Int64? {
        switch value {
        case .datetime(let milliseconds): return milliseconds
        case .int64(let milliseconds): return milliseconds
        case .int32(let milliseconds): return Int64(milliseconds)
        default: return nil
        }
    }
}
