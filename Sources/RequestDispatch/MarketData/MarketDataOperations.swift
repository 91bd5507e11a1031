import Domain

/// Every market-data operation, bound to one store: what the daemon registers
/// in the dispatcher when it runs on SQLite or MongoDB. `cursorKey` seals the
/// `next` cursors of the queries and opens the ones clients send back.
public enum MarketDataOperations {
    public static func all(store: any MarketStore, info: ServerInfo, cursorKey: CursorKey) -> [Operation] {
        CatalogOperations.all(store: store, info: info)
            + TickOperations.all(store: store, limits: info.limits, cursorKey: cursorKey)
            + QuoteOperations.all(store: store, limits: info.limits, cursorKey: cursorKey)
            + ChainOperations.all(store: store, limits: info.limits, cursorKey: cursorKey)
    }
}
