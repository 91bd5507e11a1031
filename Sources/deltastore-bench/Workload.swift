import BSONCore
import MarketSimulation
import NIOCore

/// The data every benchmark agrees on: what `seed` stores, where queries look,
/// what inserts write. The daemon and the in-process anchor get exactly the
/// same ticks, so their queries read the same rows.
enum BenchData {
    /// 2025-01-30T09:15:00Z: the seeded market opens here.
    static let seedStart: Int64 = 1_738_228_500_000
    static let products = ["NIFTY", "BANKNIFTY", "FINNIFTY"]
    /// Inserts go to products of their own, so queries read the seeded rows only.
    static let insertProducts = ["INS.NIFTY", "INS.BANKNIFTY", "INS.FINNIFTY"]
    static let email = "bench@example.com"
    static let password = "bench-password-1"

    static func simulator(hours: Int) -> MarketSimulator {
        MarketSimulator(configuration: .init(
            start: seedStart, durationMilliseconds: Int64(hours) * 3_600_000 - 1000,
            tickIntervalMilliseconds: 1000, snapshotIntervalMilliseconds: Int64(hours) * 3_600_000, strikesPerSide: 1, expiryCount: 1
        ))
    }

    /// Realistic prices to fill insert batches with (a GBM path, one per product).
    static func insertPrices(count: Int) -> [[Double]] {
        let sim = simulator(hours: 1)
        var prices = Array(repeating: [Double](), count: products.count)
        sim.run { step in
            for (index, tick) in step.ticks.enumerated() where prices[index % products.count].count < count {
                prices[index % products.count].append(tick["price"]?.doubleValue ?? 20_000)
            }
        }
        return prices
    }

    /// One insert tick: the shape the enricher writes, with an int64 tick_id.
    static func insertTick(product: String, price: Double, timestamp: Int64, tickID: Int64) -> BSONDocument {
        [
            "product": .string(product), "price": .double(price), "timestamp": .datetime(timestamp),
            "tick_id": .int64(tickID), "processed_at": .datetime(timestamp + 5),
        ]
    }
}

/// An operation the load generator can send, as a request template: the
/// encoded request with `id` (int64) first, plus the offsets of the values
/// that change per request. Filling a request is a copy and a few integer
/// stores: the generator spends its CPU on the socket, not on encoding.
struct RequestTemplate: Sendable {
    enum Patch: Sendable {
        case none
        /// tick_id and timestamp of every tick of the batch.
        case ticks(tickIDs: [Int], timestamps: [Int])
        /// A one-minute range at a random minute of the seeded data.
        case range(start: Int, end: Int, minutes: Int)
    }

    var bytes: [UInt8]
    var patch: Patch
    /// Rows written per request (inserts), for rows/s.
    var rows: Int

    /// Where the int64 `id` value sits: after the length, type byte and "id\0".
    static let idOffset = 8

    static func make(op: String, args: BSONDocument) -> RequestTemplate {
        let pairs: [(String, BSONValue)] = args.isEmpty
            ? [("id", .int64(0)), ("op", .string(op))]
            : [("id", .int64(0)), ("op", .string(op)), ("args", .document(args))]
        return RequestTemplate(bytes: BSONDocument(pairs).bytes, patch: .none, rows: 0)
    }

    /// Writes request `sequence` (unique across the run) with `id` into a new buffer.
    func write(id: Int64, sequence: Int64, nonce: Int64, allocator: ByteBufferAllocator, random: inout UInt64) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        let base = buffer.readerIndex
        buffer.setInteger(id, at: base + Self.idOffset, endianness: .little)
        switch patch {
        case .none:
            break
        case .ticks(let tickIDs, let timestamps):
            let first = sequence * Int64(tickIDs.count)
            for i in 0..<tickIDs.count {
                buffer.setInteger(nonce + first + Int64(i), at: base + tickIDs[i], endianness: .little)
            }
            let now = BenchClock.wallMilliseconds()
            for i in 0..<timestamps.count {
                buffer.setInteger(now, at: base + timestamps[i], endianness: .little)
            }
        case .range(let start, let end, let minutes):
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let minute = Int64((random >> 33) % UInt64(max(1, minutes)))
            let from = BenchData.seedStart + minute * 60_000
            buffer.setInteger(from, at: base + start, endianness: .little)
            buffer.setInteger(from + 59_999, at: base + end, endianness: .little)
        }
        return buffer
    }

    /// The templates of `op`; requests rotate over them (one per product).
    static func templates(op: String, batch: Int, seedHours: Int, token: String?) throws -> [RequestTemplate] {
        switch op {
        case "ping":
            return [make(op: "ping", args: BSONDocument())]
        case "ticks.insert":
            let prices = BenchData.insertPrices(count: batch)
            return BenchData.insertProducts.enumerated().map { index, product in
                let ticks: [BSONValue] = (0..<batch).map { i in
                    .document(BenchData.insertTick(product: product, price: prices[index][i % prices[index].count], timestamp: 0, tickID: 0))
                }
                var template = make(op: "ticks.insert", args: ["ticks": .array(ticks)])
                let (ids, times) = template.bytes.withUnsafeBytes { raw -> ([Int], [Int]) in
                    guard let args = WireBytes.offset(of: "args", type: 0x03, in: raw),
                          let array = WireBytes.offset(of: "ticks", type: 0x04, in: raw, start: args)
                    else { return ([], []) }
                    return (
                        WireBytes.offsetsInArrayOfDocuments(raw, arrayStart: array, key: "tick_id", type: 0x12),
                        WireBytes.offsetsInArrayOfDocuments(raw, arrayStart: array, key: "timestamp", type: 0x09)
                    )
                }
                precondition(ids.count == batch && times.count == batch, "insert template: offsets not found")
                template.patch = .ticks(tickIDs: ids, timestamps: times)
                template.rows = batch
                return template
            }
        case "ticks.query.latest":
            return BenchData.products.map { make(op: "ticks.query", args: ["product": .string($0), "limit": .int32(100)]) }
        case "ticks.query.range":
            return BenchData.products.map { product in
                var template = make(op: "ticks.query", args: ["product": .string(product), "start": .datetime(0), "end": .datetime(0), "order": "asc"])
                let (start, end) = template.bytes.withUnsafeBytes { raw -> (Int?, Int?) in
                    guard let args = WireBytes.offset(of: "args", type: 0x03, in: raw) else { return (nil, nil) }
                    return (WireBytes.offset(of: "start", type: 0x09, in: raw, start: args), WireBytes.offset(of: "end", type: 0x09, in: raw, start: args))
                }
                guard let start, let end else { preconditionFailure("range template: offsets not found") }
                template.patch = .range(start: start, end: end, minutes: seedHours * 60 - 1)
                return template
            }
        case "auth.verify":
            guard let token else { throw BenchFailure("auth.verify needs a token (the load generator logs in first)") }
            return [make(op: "auth.verify", args: ["token": .string(token)])]
        case "auth.login":
            // One client per connection (connection i sends template i of 8):
            // the daemon admits at most 5 logins of one origin on one email at
            // once, so 8 connections logging in as one peer would measure
            // refusals. A gateway forwards its users as `client` the same way
            // (the bench runs as the daemon's own user, which may).
            return (0..<8).map { index in
                make(op: "auth.login", args: ["email": .string(BenchData.email), "password": .string(BenchData.password), "client": .string("bench-\(index)")])
            }
        default:
            throw BenchFailure("unknown --op \(op) (ping, ticks.insert, ticks.query.latest, ticks.query.range, auth.verify, auth.login)")
        }
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
