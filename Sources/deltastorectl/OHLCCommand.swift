import ArgumentParser
import BSONCore
import DeltaStoreClient

/// `deltastorectl ohlc PRODUCT --window 5m`: candles of a product's ticks.
struct OHLCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ohlc",
        abstract: "Show open/high/low/close bars of a product's ticks (oldest first).",
        discussion: "Example:\n  deltastorectl ohlc NIFTY --window 5m --since 2h"
    )

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Product, e.g. NIFTY.") var product: String
    @Option(name: .long, help: "1m, 5m, 15m or 1h.") var window: String = "1m"
    @OptionGroup var range: TimeRangeOptions
    @Option(name: .long, help: "Number of bars (server default 100).") var limit: Int?
    @Flag(name: .long, help: "Print bars as JSON lines.") var json = false

    func run() async throws {
        let client = try await connection.connect()
        defer { Task { await client.close() } }
        var args: [(String, BSONValue)] = [("product", .string(product)), ("window", .string(window))] + (try range.arguments())
        if let limit { args.append(("limit", .int64(Int64(limit)))) }
        let result: BSONDocument
        do {
            result = try await client.call("ticks.ohlc", BSONDocument(args))
        } catch {
            throw Output.fail(error)
        }
        let bars = (result["bars"]?.arrayValue ?? []).compactMap(\.documentValue)
        if json {
            for bar in bars { Output.line(bar.relaxedExtendedJSON) }
            return
        }
        let table = Table([("START", 24, false), ("OPEN", 10, true), ("HIGH", 10, true), ("LOW", 10, true), ("CLOSE", 10, true), ("TICKS", 6, true)])
        Output.line(table.header)
        for bar in bars {
            Output.line(table.row([
                Cell.time(bar["start"]), Cell.number(bar["open"]), Cell.number(bar["high"]),
                Cell.number(bar["low"]), Cell.number(bar["close"]), Cell.text(bar["count"]),
            ]))
        }
    }
}
