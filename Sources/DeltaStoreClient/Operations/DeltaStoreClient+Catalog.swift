import BSONCore

extension DeltaStoreClient {
    /// `products.list`: every product with a tick, quote or chain, sorted by bytes.
    public func products(deadline: Duration? = nil) async throws -> [String] {
        try ResultReader(try await call("products.list", deadline: deadline), op: "products.list").strings("products")
    }

    /// `expiries.list`: a product's expiries (from quotes and chains), ascending.
    public func expiries(product: String, deadline: Duration? = nil) async throws -> [String] {
        let result = try await call("expiries.list", ["product": .string(product)], deadline: deadline)
        return try ResultReader(result, op: "expiries.list").strings("expiries")
    }
}
