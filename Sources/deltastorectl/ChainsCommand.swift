import ArgumentParser
import BSONCore
import DeltaStoreClient

/// `deltastorectl chains PRODUCT`: option-chain snapshots and their analytics.
struct ChainsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chains",
        abstract: "Show a product's option-chain snapshots (newest first).",
        discussion: "Examples:\n  deltastorectl chains NIFTY --expiry 2025-01-30 --latest\n  deltastorectl chains NIFTY --expiry 2025-01-30 --fields pcr_oi,pcr_volume --since 1h --all"
    )

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Product, e.g. NIFTY.") var product: String
    @Option(name: .long, help: "Expiry YYYY-MM-DD.") var expiry: String?
    @Flag(name: .long, help: "Only the newest chain of --expiry, in full.") var latest = false
    @Option(name: .long, help: "Comma-separated top-level fields to return (e.g. pcr_oi,max_pain_strike).") var fields: String?
    @OptionGroup var range: TimeRangeOptions
    @Option(name: .long, help: "Records per page (server default 10).") var limit: Int?
    @Flag(name: .long, help: "Oldest first.") var asc = false
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if latest && expiry == nil { throw ValidationError("--latest needs --expiry") }
        if latest && fields != nil { throw ValidationError("--latest prints the whole chain: --fields selects fields of the pages of chains (without --latest)") }
    }

    func run() async throws {
        let client = try await connection.connect()
        defer { Task { await client.close() } }
        let table = Table([
            ("TIMESTAMP", 24, false), ("EXPIRY", 10, false), ("SPOT", 10, true), ("PCR_OI", 6, true), ("PCR_VOL", 7, true),
            ("ATM", 8, true), ("STRADDLE", 8, true), ("MAX_PAIN", 8, true), ("CALLS", 5, true), ("PUTS", 5, true),
        ])
        func show(_ chains: [BSONDocument]) {
            if output.json { return output.printJSON(chains) }
            for c in chains {
                Output.line(table.row([
                    Cell.time(c["timestamp"]), Cell.text(c["expiry"]), Cell.number(c["spot_price"]), Cell.number(c["pcr_oi"]),
                    Cell.number(c["pcr_volume"]), Cell.number(c["atm_strike"]), Cell.number(c["atm_straddle_price"]),
                    Cell.number(c["max_pain_strike"]), c["calls"]?.arrayValue.map { String($0.count) } ?? "-",
                    c["puts"]?.arrayValue.map { String($0.count) } ?? "-",
                ]))
            }
        }
        do {
            if latest, let expiry {
                let chain = try await client.latestChain(product: product, expiry: expiry)
                if output.json { return output.printJSON([chain]) }
                Output.line(Output.pretty(chain.relaxedExtendedJSON))
                return
            }
            let bounds = try range.bounds()
            let pages = client.chainPages(
                product: product, expiry: expiry, start: bounds.start, end: bounds.end, limit: limit, order: asc ? .ascending : nil,
                fields: fields.map { $0.split(separator: ",").map(String.init) }
            )
            if !output.json { Output.line(table.header) }
            try await Pages.follow(pages, all: output.all) { show($0.chains) }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw Output.fail(error)
        }
    }
}
