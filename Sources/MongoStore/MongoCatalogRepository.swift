import BSONCore
import Domain

/// Products and expiries, with `distinct` over the collections (served by
/// the indexes that start with `product`, and with `(product, expiry)` for
/// quotes and chains), merged and sorted here by byte order, as the SQLite
/// store sorts.
struct MongoCatalogRepository: CatalogRepository {
    let executor: MongoExecutor

    func products() async throws -> [String] {
        let filter: BSONDocument = ["product": ["$type": "string"]]
        return try await executor.run("products.list") { client in
            var products = Set<String>()
            for collection in [MongoSchema.ticks, MongoSchema.quotes, MongoSchema.chains] {
                products.formUnion(try Self.distinct(client, collection: collection, key: "product", filter: filter))
            }
            return Self.sorted(products)
        }
    }

    func expiries(product: String) async throws -> [String] {
        let filter = BSONDocument([MongoKeyset.equal("product", .string(product)), ("expiry", .document(["$type": "string"]))])
        return try await executor.run("expiries.list") { client in
            var expiries = Set<String>()
            for collection in [MongoSchema.quotes, MongoSchema.chains] {
                expiries.formUnion(try Self.distinct(client, collection: collection, key: "expiry", filter: filter))
            }
            return Self.sorted(expiries)
        }
    }

    /// The string values of `key` among the documents matching `filter`.
    static func distinct(_ client: MongoClient, collection: String, key: String, filter: BSONDocument) throws -> [String] {
        let reply = try client.readCommand(["distinct": .string(collection), "key": .string(key), "query": .document(filter)])
        return (reply["values"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    static func sorted(_ names: Set<String>) -> [String] {
        names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}
