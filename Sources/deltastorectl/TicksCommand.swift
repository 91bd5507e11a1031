import ArgumentParser
import BSONCore
import DeltaStoreClient

/// `deltastorectl ticks PRODUCT`: a product's ticks, newest first.
struct TicksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticks",
        abstract: "Show a product's underlying ticks (newest first).",
        discussion: "Examples:\n  deltastorectl ticks NIFTY --since 10m --limit 20\n  deltastorectl ticks NIFTY --latest\n  deltastorectl ticks NIFTY --start 2025-01-30T09:15:00Z --end 2025-01-30T09:30:00Z --asc --all --json"
    )

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Product, e.g. NIFTY.") var product: String
    @OptionGroup var range: TimeRangeOptions
    @Option(name: .long, help: "Records per page (server default 100).") var limit: Int?
    @Flag(name: .long, help: "Oldest first.") var asc = false
    @Flag(name: .long, help: "Only the newest tick.") var latest = false
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let client = try await connection.connect()
        defer { Task { await client.close() } }
        let table = Table([("TIMESTAMP", 24, false), ("PRICE", 12, true), ("TICK_ID", 20, false)])
        func show(_ ticks: [BSONDocument]) {
            if output.json { return output.printJSON(ticks) }
            for tick in ticks {
                Output.line(table.row([Cell.time(tick["timestamp"]), Cell.number(tick["price"]), Cell.text(tick["tick_id"])]))
            }
        }
        do {
            if latest {
                let tick = try await client.latestTick(product: product)
                if !output.json { Output.line(table.header) }
                show([tick])
                return
            }
            let bounds = try range.bounds()
            let pages = client.tickPages(product: product, start: bounds.start, end: bounds.end, limit: limit, order: asc ? .ascending : nil)
            if !output.json { Output.line(table.header) }
            try await Pages.follow(pages, all: output.all) { show($0.ticks) }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw Output.fail(error)
        }
    }
}
