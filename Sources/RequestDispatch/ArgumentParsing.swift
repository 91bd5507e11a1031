import BSONCore
import Domain
import WireProtocol

/// Each market-data, core and lifecycle operation's argument reading, over
/// its own descriptor and without a store: what the fuzz target
/// (`deltastore-fuzz`, through `Tests/FuzzSupport`) and its unit test run on
/// hostile input. Not API: `@_spi(Fuzzing)`, so that only they see it.
@_spi(Fuzzing)
public enum ArgumentParsing {
    static func limits(maxBatch: Int, maxPage: Int) -> DaemonLimits {
        DaemonLimits(maxBatch: maxBatch, maxPage: maxPage)
    }

    public static func tickQuery(_ args: BSONDocument, maxPage: Int, cursorKey: CursorKey) throws -> TickQuery {
        try TickOperations.parseQuery(try Arguments(args, of: TickOperations.queryDescriptor), limits: limits(maxBatch: 1, maxPage: maxPage), cursorKey: cursorKey)
    }

    public static func quoteQuery(_ args: BSONDocument, maxPage: Int, cursorKey: CursorKey) throws -> QuoteQuery {
        try QuoteOperations.parseQuery(try Arguments(args, of: QuoteOperations.queryDescriptor), limits: limits(maxBatch: 1, maxPage: maxPage), cursorKey: cursorKey)
    }

    public static func chainQuery(_ args: BSONDocument, maxPage: Int, cursorKey: CursorKey) throws -> ChainQuery {
        try ChainOperations.parseQuery(try Arguments(args, of: ChainOperations.queryDescriptor), limits: limits(maxBatch: 1, maxPage: maxPage), cursorKey: cursorKey)
    }

    public static func barQuery(_ args: BSONDocument, maxPage: Int) throws -> BarQuery {
        try TickOperations.parseBarQuery(try Arguments(args, of: TickOperations.ohlcDescriptor), limits: limits(maxBatch: 1, maxPage: maxPage))
    }

    /// `ticks.insert`, `quotes.insert` and `chains.insert`: the batch's records, each validated.
    public static func ticks(_ args: BSONDocument, maxBatch: Int) throws -> [Tick] {
        try validateBatch(try Arguments(args, of: TickOperations.insertDescriptor).batch("ticks", maximum: maxBatch), field: "ticks", Tick.init(document:))
    }

    public static func quotes(_ args: BSONDocument, maxBatch: Int) throws -> [Quote] {
        try validateBatch(try Arguments(args, of: QuoteOperations.insertDescriptor).batch("quotes", maximum: maxBatch), field: "quotes", Quote.init(document:))
    }

    public static func chains(_ args: BSONDocument, maxBatch: Int) throws -> [Chain] {
        try validateBatch(try Arguments(args, of: ChainOperations.insertDescriptor).batch("chains", maximum: maxBatch), field: "chains", Chain.init(document:))
    }

    /// The arguments of every other operation that takes some (and of those
    /// that take none), each read as its handler reads them; the first error
    /// of each is ignored.
    public static func others(_ args: BSONDocument) {
        if let arguments = try? Arguments(args, of: TickOperations.latestDescriptor) { _ = try? arguments.requiredName("product") }
        if let arguments = try? Arguments(args, of: CatalogOperations.expiriesDescriptor) { _ = try? arguments.requiredName("product") }
        if let arguments = try? Arguments(args, of: ChainOperations.latestDescriptor) {
            _ = try? arguments.requiredName("product")
            _ = try? arguments.requiredExpiry("expiry")
        }
        _ = try? Arguments(args, of: CatalogOperations.productsDescriptor)
        if let arguments = try? Arguments(args, of: LifecycleOperations.backupDescriptor) { _ = try? LifecycleOperations.parseName(arguments) }
        if let arguments = try? Arguments(args, of: CoreOperations.pingDescriptor) { _ = try? arguments.integer("delay_ms", in: 0...10_000) }
        if let arguments = try? Arguments(args, of: CoreOperations.helloDescriptor) { _ = try? arguments.string("client", maxBytes: 128) }
        if let arguments = try? Arguments(args, of: CoreOperations.describeDescriptor) { _ = try? arguments.string("op", maxBytes: Request.maxOpBytes) }
    }
}
