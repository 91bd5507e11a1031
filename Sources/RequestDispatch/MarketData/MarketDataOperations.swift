import Domain

/// Every market-data operation, bound to one store: what the daemon registers
/// in the dispatcher when it runs on SQLite or MongoDB.
public enum MarketDataOperations {
    public static func all(store: any MarketStore, info: ServerInfo) -> [Operation] {
        CatalogOperations.all(store: store, info: info)
            + TickOperations.all(store: store, limits: info.limits)
            + QuoteOperations.all(store: store, limits: info.limits)
            + ChainOperations.all(store: store, limits: info.limits)
    }
}
