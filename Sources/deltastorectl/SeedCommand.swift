import ArgumentParser
import BSONCore
import DeltaStoreClient
import Foundation
import MarketSimulation

/// `deltastorectl seed`: fills the store with a realistic synthetic market
/// through the protocol, in batches, with a progress bar.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Write realistic synthetic market data (ticks, quotes, chains) through the daemon.",
        discussion: """
        Prices follow a geometric Brownian motion; quotes carry Black–Scholes prices and \
        greeks for a ladder of strikes around the spot; chains carry PCR, ATM straddle and \
        max pain. Ticks carry a tick_id, so re-running with the same --end and --seed adds nothing.
        """
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(name: .long, help: "Comma-separated products (known: NIFTY, BANKNIFTY, FINNIFTY).") var products: String = "NIFTY,BANKNIFTY,FINNIFTY"
    @Option(name: .long, help: "Minutes of market to generate, ending at --end.") var minutes: Int = 60
    @Option(name: .long, help: "End of the generated period, ISO-8601 (default: now).") var end: String?
    @Option(name: .long, help: "Seconds between ticks.") var tickInterval: Int = 1
    @Option(name: .long, help: "Seconds between quote and chain snapshots.") var snapshotInterval: Int = 60
    @Option(name: .long, help: "Strikes on each side of the money.") var strikes: Int = 10
    @Option(name: .long, help: "Weekly expiries per product.") var expiries: Int = 3
    @Option(name: .long, help: "Records per insert request (capped by the server's max_batch).") var batchSize: Int = 1000
    @Option(name: .long, help: "Random seed.") var seed: UInt64 = 42

    func validate() throws {
        guard (1...10_080).contains(minutes) else { throw ValidationError("--minutes must be between 1 and 10080") }
        guard (1...3600).contains(tickInterval) else { throw ValidationError("--tick-interval must be between 1 and 3600") }
        guard (1...86_400).contains(snapshotInterval) else { throw ValidationError("--snapshot-interval must be between 1 and 86400") }
        guard (0...50).contains(strikes) else { throw ValidationError("--strikes must be between 0 and 50") }
        guard (1...8).contains(expiries) else { throw ValidationError("--expiries must be between 1 and 8") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be positive") }
    }

    func run() async throws {
        let known = Dictionary(uniqueKeysWithValues: MarketSimulator.Product.defaults.map { ($0.name, $0) })
        var chosen: [MarketSimulator.Product] = []
        for name in products.split(separator: ",").map({ String($0).uppercased() }) {
            guard let product = known[name] else {
                throw ValidationError("unknown product \(name); known: \(known.keys.sorted().joined(separator: ", "))")
            }
            chosen.append(product)
        }
        let endTime = try end.map { try TimeArgument.parse($0, option: "--end") } ?? TimeArgument.nowMilliseconds()
        let duration = Int64(minutes) * 60_000
        let simulator = MarketSimulator(configuration: .init(
            products: chosen, start: (endTime - duration) / 1000 * 1000, durationMilliseconds: duration,
            tickIntervalMilliseconds: Int64(tickInterval) * 1000, snapshotIntervalMilliseconds: Int64(snapshotInterval) * 1000,
            strikesPerSide: strikes, expiryCount: expiries, seed: seed
        ))

        let client = try await connection.connect()
        defer { Task { await client.close() } }
        let started = Date()
        do {
            let maxBatch = try await client.serverHello().limits.maxBatch
            let writer = BatchWriter(client: client, batchSize: min(batchSize, maxBatch), progress: Progress(total: simulator.totals))
            try await writer.write(simulator)
            let elapsed = Date().timeIntervalSince(started)
            writer.progress.finish()
            Output.line(String(
                format: "seeded %d ticks, %d quotes, %d chains (%d already present) for %@ in %.1f s",
                writer.inserted.ticks, writer.inserted.quotes, writer.inserted.chains, writer.duplicates,
                chosen.map(\.name).joined(separator: ", "), elapsed
            ))
        } catch {
            throw Output.fail(error)
        }
    }
}

/// Buffers generated documents and sends them in batches, in time order.
final class BatchWriter {
    let client: DeltaStoreClient
    let batchSize: Int
    let progress: Progress
    private(set) var inserted = (ticks: 0, quotes: 0, chains: 0)
    private(set) var duplicates = 0
    private var pending = (ticks: [BSONDocument](), quotes: [BSONDocument](), chains: [BSONDocument]())

    init(client: DeltaStoreClient, batchSize: Int, progress: Progress) {
        self.client = client
        self.batchSize = batchSize
        self.progress = progress
    }

    func write(_ simulator: MarketSimulator) async throws {
        for step in simulator.makeSteps() {
            pending.ticks += step.ticks
            pending.quotes += step.quotes
            pending.chains += step.chains
            try await flush(force: false)
        }
        try await flush(force: true)
    }

    private func flush(force: Bool) async throws {
        while pending.ticks.count >= batchSize || (force && !pending.ticks.isEmpty) {
            let batch = Array(pending.ticks.prefix(batchSize))
            pending.ticks.removeFirst(batch.count)
            inserted.ticks += counted(try await client.insertTicks(batch))
            progress.advance(ticks: batch.count)
        }
        while pending.quotes.count >= batchSize || (force && !pending.quotes.isEmpty) {
            let batch = Array(pending.quotes.prefix(batchSize))
            pending.quotes.removeFirst(batch.count)
            inserted.quotes += counted(try await client.insertQuotes(batch))
            progress.advance(quotes: batch.count)
        }
        // Chains are large (two arrays of quotes): smaller batches keep frames small.
        let chainBatch = max(1, min(batchSize, 50))
        while pending.chains.count >= chainBatch || (force && !pending.chains.isEmpty) {
            let batch = Array(pending.chains.prefix(chainBatch))
            pending.chains.removeFirst(batch.count)
            inserted.chains += counted(try await client.insertChains(batch))
            progress.advance(chains: batch.count)
        }
    }

    /// The records a batch stored; its duplicates are counted apart.
    private func counted(_ result: InsertResult) -> Int {
        duplicates += result.duplicates
        return result.inserted
    }
}

/// A one-line progress bar on stderr (only when stderr is a terminal).
final class Progress {
    private let total: Int
    private var done = 0
    private var lastDrawn = -1
    private let isTerminal = isatty(STDERR_FILENO) == 1

    init(total: (ticks: Int, quotes: Int, chains: Int)) {
        self.total = max(1, total.ticks + total.quotes + total.chains)
    }

    func advance(ticks: Int = 0, quotes: Int = 0, chains: Int = 0) {
        done += ticks + quotes + chains
        draw()
    }

    private func draw() {
        guard isTerminal else { return }
        let percent = min(100, done * 100 / total)
        guard percent != lastDrawn else { return }
        lastDrawn = percent
        let width = 30
        let filled = percent * width / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(percent)% \(done)/\(total) records".utf8))
    }

    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
