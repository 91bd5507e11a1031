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
        try TickOperations.parseBatch(try Arguments(args, of: TickOperations.insertDescriptor), limits: limits(maxBatch: maxBatch, maxPage: 1))
    }

    public static func quotes(_ args: BSONDocument, maxBatch: Int) throws -> [Quote] {
        try QuoteOperations.parseBatch(try Arguments(args, of: QuoteOperations.insertDescriptor), limits: limits(maxBatch: maxBatch, maxPage: 1))
    }

    public static func chains(_ args: BSONDocument, maxBatch: Int) throws -> [Chain] {
        try ChainOperations.parseBatch(try Arguments(args, of: ChainOperations.insertDescriptor), limits: limits(maxBatch: maxBatch, maxPage: 1))
    }

    /// The arguments of every other operation that takes some (and of those
    /// that take none), each read as its handler reads them. The client's
    /// errors are ignored; a reader that disagrees with its descriptor (a bug
    /// of the server) is thrown.
    public static func others(_ args: BSONDocument) throws(Arguments.Misread) {
        try reading(TickOperations.latestDescriptor, args) { _ = try $0.requiredName("product") }
        try reading(CatalogOperations.expiriesDescriptor, args) { _ = try $0.requiredName("product") }
        try reading(ChainOperations.latestDescriptor, args) {
            _ = try $0.requiredName("product")
            _ = try $0.requiredExpiry("expiry")
        }
        try reading(CatalogOperations.productsDescriptor, args) { _ in }
        try reading(LifecycleOperations.backupDescriptor, args) { _ = try LifecycleOperations.parseName($0) }
        try reading(CoreOperations.pingDescriptor, args) { _ = try $0.integer("delay_ms", in: 0...10_000) }
        try reading(CoreOperations.helloDescriptor, args) { _ = try $0.string("client", maxBytes: 128) }
        try reading(CoreOperations.describeDescriptor, args) { _ = try $0.string("op", maxBytes: Request.maxOpBytes) }
    }

    /// `args` checked against `descriptor`, then `read`; only a `Misread` escapes.
    static func reading(_ descriptor: OperationDescriptor, _ args: BSONDocument, _ read: (Arguments) throws -> Void) throws(Arguments.Misread) {
        do {
            try read(try Arguments(args, of: descriptor))
        } catch let misread as Arguments.Misread {
            throw misread
        } catch {}
    }
}
