/// Storage of underlying ticks. Implemented by every store; the contract test
/// suite checks each implementation against the same expectations.
///
/// Every insert is idempotent on the record kind's key (`Tick.key`,
/// `Quote.key`, `Chain.key`): an item whose key is taken is a duplicate when
/// its document equals the stored one byte for byte, else a conflict; neither
/// is stored (see `InsertOutcome`).
public protocol TickRepository: Sendable {
    /// Inserts a validated batch atomically: all new items or none. Items with
    /// a `tick_id` whose (product, tick_id, timestamp) is already stored, or
    /// taken by an earlier item of the batch, are duplicates or conflicts.
    func insert(_ ticks: [Tick]) async throws -> InsertOutcome
    func query(_ query: TickQuery) async throws -> Page<Tick>
    func latest(product: String) async throws -> Tick?
    /// The newest `query.limit` bars in the range, oldest first.
    func bars(_ query: BarQuery) async throws -> [Bar]
}

/// Storage of option quotes; idempotency key (symbol, timestamp).
public protocol QuoteRepository: Sendable {
    func insert(_ quotes: [Quote]) async throws -> InsertOutcome
    func query(_ query: QuoteQuery) async throws -> Page<Quote>
}

/// Storage of option chains; idempotency key (product, expiry, timestamp).
public protocol ChainRepository: Sendable {
    func insert(_ chains: [Chain]) async throws -> InsertOutcome
    func query(_ query: ChainQuery) async throws -> Page<Chain>
    func latest(product: String, expiry: String) async throws -> Chain?
}

/// What is known about products across ticks, quotes and chains.
public protocol CatalogRepository: Sendable {
    /// Every product with any tick, quote or chain, sorted, distinct.
    func products() async throws -> [String]
    /// The expiries of a product's quotes and chains, ascending, distinct.
    func expiries(product: String) async throws -> [String]
}

/// A whole store: every repository plus what the daemon needs to run it.
public protocol MarketStore: Sendable {
    /// "sqlite" or "mongodb".
    var kind: String { get }
    var ticks: any TickRepository { get }
    var quotes: any QuoteRepository { get }
    var chains: any ChainRepository { get }
    var catalog: any CatalogRepository { get }
    /// A cheap round trip to the store.
    func ping() async throws
    /// Whether the store can be used: for `health` and the watchdog (which
    /// stops its keep-alives unless it is `ok`). A store with a file checks
    /// that the file is still the one it opened and not corrupt.
    func health() async -> StoreHealth
    /// Releases connections; the store is unusable afterwards.
    func close() async
}
