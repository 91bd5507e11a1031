import BSONCore
import Domain

/// Option chain snapshots in `option_chains`: the whole document (with its
/// `calls`/`puts` arrays) plus `_id`. Unique `(product, expiry, timestamp)` is
/// the idempotency key; `(product, expiry, timestamp, _id)` serves queries and
/// `latest` for one expiry, `(product, timestamp, _id)` queries across expiries.
struct MongoChainRepository: ChainRepository {
    let executor: MongoExecutor
    let ids: ObjectIDGenerator

    func insert(_ chains: [Chain]) async throws -> InsertOutcome {
        try await MongoInsert.batch(
            chains.map(\.document), op: "chains.insert", collection: MongoSchema.chains, executor: executor, ids: ids,
            keys: chains.map {
                BSONDocument([
                    MongoKeyset.equal("product", .string($0.product)), MongoKeyset.equal("expiry", .string($0.expiry)),
                    MongoKeyset.equal("timestamp", .datetime($0.timestamp)),
                ])
            }
        )
    }

    func query(_ query: ChainQuery) async throws -> Page<Chain> {
        try MongoKeyset.checkLimit(query.limit)
        let identity = query.identity
        let after = try MongoKeyset.position(of: query.after, identity: identity)
        let filter = MongoKeyset.filter(Self.conditions(query), range: query.range, order: query.order, after: after)
        let projection = query.fields.map(Self.projection)
        return try await executor.run("chains.query") { client in
            try MongoKeyset.readPage(
                client, collection: MongoSchema.chains, filter: filter, order: query.order, limit: query.limit,
                projection: projection, identity: identity, decode: Self.decode
            )
        }
    }

    /// The filters other than time, from the typed query only.
    static func conditions(_ query: ChainQuery) -> [(String, BSONValue)] {
        var conditions = [MongoKeyset.equal("product", .string(query.product))]
        if let expiry = query.expiry { conditions.append(MongoKeyset.equal("expiry", .string(expiry))) }
        return conditions
    }

    func latest(product: String, expiry: String) async throws -> Chain? {
        let filter = MongoKeyset.filter(
            [MongoKeyset.equal("product", .string(product)), MongoKeyset.equal("expiry", .string(expiry))],
            range: TimeRange(), order: .descending
        )
        return try await executor.run("chains.latest") { client in
            try MongoKeyset.latest(client, collection: MongoSchema.chains, filter: filter, projection: nil, decode: Self.decode)
        }
    }

    /// An inclusion projection of the identifying fields and `fields` (names
    /// already checked against the key rules: no `$`, no `.`). MongoDB keeps
    /// the stored order of the fields it returns; `_id` is included (the
    /// cursor needs it) and dropped when decoding.
    static func projection(_ fields: [String]) -> BSONDocument {
        var seen = Set<String>()
        var pairs: [(String, BSONValue)] = []
        for field in ChainQuery.identifyingFields + fields where seen.insert(field).inserted {
            pairs.append((field, .int32(1)))
        }
        return BSONDocument(pairs)
    }

    static func decode(_ stored: StoredDocument) throws -> Chain {
        Chain(
            stored: stored.document,
            product: try stored.field("product", FieldRules.name),
            expiry: try stored.field("expiry", FieldRules.expiry),
            timestamp: stored.timestamp
        )
    }
}
