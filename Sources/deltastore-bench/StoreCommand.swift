import ArgumentParser
import BSONCore
import Domain
import Foundation
import Histogram
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLiteStore

/// `deltastore-bench store`: the store's own speed. The same inserts and
/// queries the load generator sends, made directly on `SQLiteMarketStore`
/// in this process — no socket, no envelope, no validation of arguments —
/// with the same thread pool and reader count as deltastored.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "The in-process anchor: ticks inserts and queries straight on SQLiteMarketStore (rows/s, queries/s)."
    )

    @Option(help: "SQLite file (created if missing).") var db: String
    @Option(help: "seed, insert, latest or range.") var op: String
    @Option(help: "Concurrent callers (the load generator's C × P).") var concurrency: Int = 1
    @Option(help: "Measured seconds.") var duration: Double = 5
    @Option(help: "Seconds of work before the measurement starts.") var warmup: Double = 1
    @Option(help: "Ticks per insert batch.") var batch: Int = 1000
    @Option(name: .customLong("seed-hours"), help: "Hours of ticks per product to seed (and where range queries look).") var seedHours: Int = 6
    @Option(name: .customLong("worker-threads"), help: "Store threads (default: deltastored's, max(2, cores)).") var workerThreads: Int = max(2, System.coreCount)
    @Option(help: "Label of the JSON line.") var label: String?

    func run() async throws {
        let pool = NIOThreadPool(numberOfThreads: workerThreads)
        pool.start()
        var logger = Logger(label: "deltastore-bench")
        logger.logLevel = .warning
        let store = try await SQLiteMarketStore.open(path: db, threadPool: pool, logger: logger, readerCount: workerThreads)
        do {
            switch op {
            case "seed": try await seed(store)
            case "insert": try await insert(store)
            case "latest", "range": try await query(store, range: op == "range")
            default: throw ValidationError("unknown --op \(op) (seed, insert, latest, range)")
            }
        } catch {
            await store.close()
            try? await pool.shutdownGracefully()
            throw error
        }
        await store.close()
        try? await pool.shutdownGracefully()
    }

    private func seed(_ store: SQLiteMarketStore) async throws {
        var inserted = 0
        var pending: [Tick] = []
        var steps = BenchData.simulator(hours: seedHours).makeSteps()
        while let step = steps.next() {
            for document in step.ticks { pending.append(try Tick(document: document)) }
            while pending.count >= 1000 {
                inserted += try await store.ticks.insert(Array(pending.prefix(1000))).inserted
                pending.removeFirst(1000)
            }
        }
        if !pending.isEmpty { inserted += try await store.ticks.insert(pending).inserted }
        FileHandle.standardError.write(Data("seeded \(inserted) ticks into \(db)\n".utf8))
    }

    /// Batches are built before the clock runs (chunks of `concurrency × 4`),
    /// so only `store.ticks.insert` is timed.
    private func insert(_ store: SQLiteMarketStore) async throws {
        let prices = BenchData.insertPrices(count: batch)
        let nonce = BenchClock.wallMilliseconds() * 1_000_000
        var sequence: Int64 = 0
        func makeChunk() throws -> [[Tick]] {
            try (0..<(concurrency * 4)).map { _ -> [Tick] in
                defer { sequence += 1 }
                let productIndex = Int(sequence % Int64(BenchData.insertProducts.count))
                let now = BenchClock.wallMilliseconds()
                return try (0..<batch).map { i in
                    try Tick(document: BenchData.insertTick(
                        product: BenchData.insertProducts[productIndex], price: prices[productIndex][i % prices[productIndex].count],
                        timestamp: now, tickID: nonce + sequence * Int64(batch) + Int64(i)
                    ))
                }
            }
        }
        var timed: UInt64 = 0
        var rows = 0
        var duplicates = 0
        var batches = 0
        var latency = Self.histogram()
        var warm: UInt64 = 0
        while Double(timed) < duration * 1e9 {
            let chunk = try makeChunk()
            let next = NIOLockedValueBox(0)
            let start = BenchClock.nanoseconds()
            let outcomes = try await withThrowingTaskGroup(of: (Int, Int, [UInt64]).self) { group in
                for _ in 0..<concurrency {
                    group.addTask {
                        var inserted = 0
                        var dup = 0
                        var times: [UInt64] = []
                        while true {
                            let index = next.withLockedValue { value -> Int in
                                defer { value += 1 }
                                return value
                            }
                            guard index < chunk.count else { break }
                            let t0 = BenchClock.nanoseconds()
                            let outcome = try await store.ticks.insert(chunk[index])
                            times.append(BenchClock.nanoseconds() - t0)
                            inserted += outcome.inserted
                            dup += outcome.duplicates
                        }
                        return (inserted, dup, times)
                    }
                }
                var all: [(Int, Int, [UInt64])] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            let elapsed = BenchClock.nanoseconds() - start
            if Double(warm) < warmup * 1e9 {
                warm += elapsed
                continue
            }
            timed += elapsed
            for (inserted, dup, times) in outcomes {
                rows += inserted
                duplicates += dup
                batches += times.count
                for t in times { _ = latency.record(t) }
            }
        }
        let seconds = Double(timed) / 1e9
        report(kind: "insert", operations: batches, rows: rows, duplicates: duplicates, seconds: seconds, latency: latency)
    }

    private func query(_ store: SQLiteMarketStore, range: Bool) async throws {
        let start = BenchClock.nanoseconds()
        let measureStart = start + UInt64(warmup * 1e9)
        let measureEnd = measureStart + UInt64(duration * 1e9)
        let minutes = seedHours * 60 - 1
        let results = try await withThrowingTaskGroup(of: (Int, Histogram<UInt64>).self) { group in
            for task in 0..<concurrency {
                group.addTask {
                    var count = 0
                    var latency = Self.histogram()
                    var random = UInt64(task) &* 0x9E37_79B9_7F4A_7C15 | 1
                    var sequence = task
                    while true {
                        let now = BenchClock.nanoseconds()
                        guard now < measureEnd else { break }
                        let product = BenchData.products[sequence % BenchData.products.count]
                        sequence += concurrency
                        let query: TickQuery
                        if range {
                            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                            let from = BenchData.seedStart + Int64((random >> 33) % UInt64(minutes)) * 60_000
                            query = TickQuery(product: product, range: TimeRange(start: from, end: from + 59_999), limit: 100, order: .ascending)
                        } else {
                            query = TickQuery(product: product, limit: 100)
                        }
                        let page = try await store.ticks.query(query)
                        let done = BenchClock.nanoseconds()
                        guard !page.records.isEmpty else { throw BenchFailure("empty page for \(product): seed the store first") }
                        if done >= measureStart && done < measureEnd {
                            count += 1
                            _ = latency.record(done - now)
                        }
                    }
                    return (count, latency)
                }
            }
            var total = 0
            var latency = Self.histogram()
            for try await (count, histogram) in group {
                total += count
                latency.add(histogram)
            }
            return (total, latency)
        }
        report(kind: range ? "range" : "latest", operations: results.0, rows: 0, duplicates: 0, seconds: duration, latency: results.1)
    }

    static func histogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    }

    private func report(kind: String, operations: Int, rows: Int, duplicates: Int, seconds: Double, latency: Histogram<UInt64>) {
        let perSecond = Double(operations) / seconds
        var summary = "store \(kind) ×\(concurrency): \(Format.rate(perSecond)) \(kind == "insert" ? "batches" : "queries")/s"
        if rows > 0 { summary += ", \(Format.rate(Double(rows) / seconds)) rows/s" }
        summary += "; latency p50 \(Format.micros(Double(latency.valueAtPercentile(50)) / 1000)), p99 \(Format.micros(Double(latency.valueAtPercentile(99)) / 1000))"
        if duplicates > 0 { summary += "; \(duplicates) DUPLICATES" }
        FileHandle.standardError.write(Data((summary + "\n").utf8))
        var line = JSONLine(bench: "store", label: label)
        line.add("op", kind)
        line.add("concurrency", concurrency)
        line.add("batch", kind == "insert" ? batch : 0)
        line.add("seconds", seconds)
        line.add("requests", operations)
        line.add("requests_per_s", perSecond)
        line.add("rows_per_s", Double(rows) / seconds)
        line.add("p50_us", Double(latency.valueAtPercentile(50)) / 1000)
        line.add("p99_us", Double(latency.valueAtPercentile(99)) / 1000)
        line.add("p999_us", Double(latency.valueAtPercentile(99.9)) / 1000)
        line.add("duplicates", duplicates)
        line.print()
    }
}
