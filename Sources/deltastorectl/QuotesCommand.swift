import ArgumentParser
import BSONCore
import DeltaStoreClient

/// `deltastorectl quotes`: option quotes by symbol or product.
struct QuotesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quotes",
        abstract: "Show option quotes by symbol or by product (newest first).",
        discussion: "Examples:\n  deltastorectl quotes --symbol NIFTY25013021500CE --limit 5\n  deltastorectl quotes --product NIFTY --expiry 2025-01-30 --type PUT --strike-min 21000 --strike-max 22000 --since 5m"
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(name: .long, help: "Option symbol.") var symbol: String?
    @Option(name: .long, help: "Underlying product.") var product: String?
    @Option(name: .long, help: "Expiry YYYY-MM-DD.") var expiry: String?
    @Option(name: .long, help: "CALL or PUT.") var type: String?
    @Option(name: .long, help: "Lowest strike (inclusive).") var strikeMin: Double?
    @Option(name: .long, help: "Highest strike (inclusive).") var strikeMax: Double?
    @OptionGroup var range: TimeRangeOptions
    @Option(name: .long, help: "Records per page (server default 100).") var limit: Int?
    @Flag(name: .long, help: "Oldest first.") var asc = false
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if symbol == nil && product == nil { throw ValidationError("give --symbol or --product") }
        _ = try optionType()
    }

    /// `--type`, in either case.
    private func optionType() throws -> OptionType? {
        guard let type else { return nil }
        guard let parsed = OptionType(rawValue: type.uppercased()) else { throw ValidationError("--type must be CALL or PUT, not '\(type)'") }
        return parsed
    }

    func run() async throws {
        let client = try await connection.connect()
        defer { Task { await client.close() } }
        let bounds = try range.bounds()
        let pages = client.quotePages(
            symbol: symbol, product: product, expiry: expiry, optionType: try optionType(), strikeMin: strikeMin, strikeMax: strikeMax,
            start: bounds.start, end: bounds.end, limit: limit, order: asc ? .ascending : nil
        )
        let table = Table([
            ("TIMESTAMP", 24, false), ("SYMBOL", 22, false), ("EXPIRY", 10, false), ("TYPE", 4, false), ("STRIKE", 9, true),
            ("BID", 8, true), ("ASK", 8, true), ("LAST", 8, true), ("IV", 6, true), ("DELTA", 6, true), ("OI", 8, true),
        ])
        if !output.json { Output.line(table.header) }
        do {
            try await Pages.follow(pages, all: output.all) { page in
                let quotes = page.quotes
                if output.json { return output.printJSON(quotes) }
                for q in quotes {
                    Output.line(table.row([
                        Cell.time(q["timestamp"]), Cell.text(q["symbol"]), Cell.text(q["expiry"]), Cell.text(q["option_type"]),
                        Cell.number(q["strike"]), Cell.number(q["bid"]), Cell.number(q["ask"]), Cell.number(q["last"]),
                        Cell.number(q["iv"]), Cell.number(q["delta"]), Cell.text(q["open_interest"]),
                    ]))
                }
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw Output.fail(error)
        }
    }
}
