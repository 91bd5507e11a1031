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

    func validate() throws {
        _ = try barWindow()
    }

    private func barWindow() throws -> OHLCWindow {
        guard let parsed = OHLCWindow(rawValue: window) else {
            throw ValidationError("--window must be one of \(OHLCWindow.allCases.map(\.rawValue).joined(separator: ", ")), not '\(window)'")
        }
        return parsed
    }

    func run() async throws {
        let client = try await connection.connect()
        defer { Task { await client.close() } }
        let bounds = try range.bounds()
        let series: OHLCSeries
        do {
            series = try await client.ohlc(product: product, window: try barWindow(), start: bounds.start, end: bounds.end, limit: limit)
        } catch {
            throw Output.fail(error)
        }
        if json {
            for bar in series.bars {
                let document: BSONDocument = [
                    "start": .datetime(bar.start.bsonMilliseconds), "open": .double(bar.open), "high": .double(bar.high),
                    "low": .double(bar.low), "close": .double(bar.close), "count": .int64(Int64(bar.count)),
                ]
                Output.line(document.relaxedExtendedJSON)
            }
            return
        }
        let table = Table([("START", 24, false), ("OPEN", 10, true), ("HIGH", 10, true), ("LOW", 10, true), ("CLOSE", 10, true), ("TICKS", 6, true)])
        Output.line(table.header)
        for bar in series.bars {
            Output.line(table.row([
                TimeArgument.format(bar.start.bsonMilliseconds), ShortestDoubleText.cell(bar.open), ShortestDoubleText.cell(bar.high),
                ShortestDoubleText.cell(bar.low), ShortestDoubleText.cell(bar.close), String(bar.count),
            ]))
        }
    }
}
