import BSONCore
import Domain

/// The filters and options the MongoDB store would send for a query, built
/// without a server: for the fuzz target (`Sources/deltastore-fuzz`), which
/// drives every operation's argument validation and then this query building
/// with whatever a client could send. The repositories build exactly these.
@_spi(Fuzzing)
public enum MongoQueryBuilding {
    /// The `find` filter and options of one page of `query`.
    public static func page(_ query: TickQuery) throws -> (filter: BSONDocument, options: BSONDocument) {
        let after = try MongoKeyset.position(of: query.after, identity: query.identity)
        let filter = MongoKeyset.filter([MongoKeyset.equal("product", .string(query.product))], range: query.range, order: query.order, after: after)
        return (filter, MongoKeyset.pageOptions(order: query.order, limit: query.limit, projection: MongoTickRepository.projection))
    }

    public static func page(_ query: QuoteQuery) throws -> (filter: BSONDocument, options: BSONDocument) {
        let after = try MongoKeyset.position(of: query.after, identity: query.identity)
        let filter = MongoKeyset.filter(MongoQuoteRepository.conditions(query), range: query.range, order: query.order, after: after)
        return (filter, MongoKeyset.pageOptions(order: query.order, limit: query.limit, projection: nil))
    }

    public static func page(_ query: ChainQuery) throws -> (filter: BSONDocument, options: BSONDocument) {
        let after = try MongoKeyset.position(of: query.after, identity: query.identity)
        let filter = MongoKeyset.filter(MongoChainRepository.conditions(query), range: query.range, order: query.order, after: after)
        return (filter, MongoKeyset.pageOptions(order: query.order, limit: query.limit, projection: query.fields.map(MongoChainRepository.projection)))
    }

    /// The filter `ticks.ohlc` reads with.
    public static func bars(_ query: BarQuery) -> BSONDocument {
        MongoTickRepository.barFilter(query)
    }
}
