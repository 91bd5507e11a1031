#if canImport(Glibc)
import Glibc
#endif
import BSONCore
import Histogram
import NIOCore
import NIOPosix

enum BenchClock {
    /// Monotonic nanoseconds.
    static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    static func wallMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// When requests count: replies completed in `[measureStart, measureEnd)`.
/// Set once before the connections start, read-only afterwards.
struct Schedule: Sendable {
    var measureStart: UInt64
    var measureEnd: UInt64
    /// Connections stop waiting for replies at this time.
    var hardEnd: UInt64
    /// Minimum nanoseconds between two sends on one connection (0 = closed loop).
    var interval: UInt64
}

/// Counters and the latency histogram of the connections of one event loop;
/// touched only on that loop.
final class LoopStats: @unchecked Sendable {
    var latency = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    var completed: UInt64 = 0
    var rows: UInt64 = 0
    var errors: UInt64 = 0
    var firstError: String?
    var duplicates: UInt64 = 0
}

/// One load connection: keeps `inFlight` requests outstanding (slot `s` uses
/// ids `s, s + P, s + 2P, …`), sends the next request of a slot as soon as its
/// reply arrives, flushes once per read burst, and reads replies without
/// decoding them (the id, `ok`, and for inserts the counts).
final class LoadHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let templates: [RequestTemplate]
    private let inFlight: Int
    private let connectionIndex: Int64
    private let connectionCount: Int64
    private let nonce: Int64
    private let stats: LoopStats
    private let countRows: Bool
    private var schedule: Schedule?
    private var sentAt: [UInt64]
    private var nextID: [Int64]
    private var outstanding = 0
    private var sequence: Int64 = 0
    private var random: UInt64
    private var cumulation: ByteBuffer?
    private var context: ChannelHandlerContext?
    private var pacedSlots: [Int] = []
    private var pacingScheduled = false
    private var lastSend: UInt64 = 0
    let done: EventLoopPromise<Void>

    init(templates: [RequestTemplate], inFlight: Int, connectionIndex: Int, connectionCount: Int, nonce: Int64, stats: LoopStats, done: EventLoopPromise<Void>) {
        self.templates = templates
        self.inFlight = inFlight
        self.connectionIndex = Int64(connectionIndex)
        self.connectionCount = Int64(connectionCount)
        self.nonce = nonce
        self.stats = stats
        self.done = done
        self.countRows = templates.first.map { $0.rows > 0 } ?? false
        sentAt = Array(repeating: 0, count: inFlight)
        nextID = (0..<inFlight).map { Int64($0) }
        random = UInt64(connectionIndex) &* 0x9E37_79B9_7F4A_7C15 | 1
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    /// Starts the slots (on the channel's loop).
    func start(_ schedule: Schedule) {
        guard let context else { return }
        self.schedule = schedule
        for slot in 0..<inFlight { send(slot: slot, context: context) }
        context.flush()
    }

    private func send(slot: Int, context: ChannelHandlerContext) {
        guard let schedule else { return }
        let now = BenchClock.nanoseconds()
        guard now < schedule.measureEnd else {
            finishIfIdle(context: context)
            return
        }
        if schedule.interval > 0, now < lastSend + schedule.interval {
            pacedSlots.append(slot)
            schedulePacing(context: context, at: lastSend + schedule.interval)
            return
        }
        lastSend = now
        let id = nextID[slot]
        nextID[slot] += Int64(inFlight)
        let sequenceNumber = sequence * connectionCount + connectionIndex
        sequence += 1
        let template = templates[Int(sequenceNumber % Int64(templates.count))]
        let buffer = template.write(id: id, sequence: sequenceNumber, nonce: nonce, allocator: context.channel.allocator, random: &random)
        sentAt[slot] = BenchClock.nanoseconds()
        outstanding += 1
        context.write(wrapOutboundOut(buffer), promise: nil)
    }

    private func schedulePacing(context: ChannelHandlerContext, at time: UInt64) {
        guard !pacingScheduled else { return }
        pacingScheduled = true
        let now = BenchClock.nanoseconds()
        let delay = time > now ? Int64(time - now) : 0
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .nanoseconds(delay)) {
            let handler = bound.value
            handler.pacingScheduled = false
            let slots = handler.pacedSlots
            handler.pacedSlots.removeAll()
            for slot in slots { handler.send(slot: slot, context: boundContext.value) }
            boundContext.value.flush()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if cumulation == nil {
            cumulation = incoming
        } else {
            cumulation!.writeBuffer(&incoming)
        }
        while let length = cumulation!.getInteger(at: cumulation!.readerIndex, endianness: .little, as: Int32.self) {
            guard length >= 5 else {
                fail("server sent a frame of length \(length)", context: context)
                return
            }
            guard cumulation!.readableBytes >= Int(length) else { break }
            let frameStart = cumulation!.readerIndex
            let ok = cumulation!.withUnsafeReadableBytes { raw in
                handleReply(UnsafeRawBufferPointer(rebasing: raw[0..<Int(length)]))
            }
            cumulation!.moveReaderIndex(to: frameStart + Int(length))
            if !ok {
                fail("reply without a known id", context: context)
                return
            }
        }
        if cumulation!.readableBytes == 0 {
            cumulation = nil
        } else if cumulation!.readerIndex > 1 << 20 {
            cumulation!.discardReadBytes()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    /// Returns false when the reply cannot be matched to a slot.
    private func handleReply(_ frame: UnsafeRawBufferPointer) -> Bool {
        let now = BenchClock.nanoseconds()
        var id: Int64?
        var ok: Bool?
        // Fast path: the server writes `id` then `ok` first.
        if frame.count >= 21, frame[4] == 0x12, frame[5] == UInt8(ascii: "i"), frame[6] == UInt8(ascii: "d"), frame[7] == 0,
           frame[16] == 0x08, frame[17] == UInt8(ascii: "o"), frame[18] == UInt8(ascii: "k"), frame[19] == 0 {
            id = WireBytes.readInt64(frame, 8)
            ok = frame[20] != 0
        } else {
            WireBytes.forEachElement(frame) { element in
                if element.type == 0x12, WireBytes.keyEquals(frame, element, "id") { id = WireBytes.readInt64(frame, element.valueStart) }
                if element.type == 0x08, WireBytes.keyEquals(frame, element, "ok") { ok = frame[element.valueStart] != 0 }
                return true
            }
        }
        guard let id, id >= 0 else {
            if ok == false { recordError(frame) }
            return false
        }
        let slot = Int(id % Int64(inFlight))
        guard slot < inFlight, nextID[slot] == id + Int64(inFlight), let schedule else { return false }
        outstanding -= 1
        let measured = now >= schedule.measureStart && now < schedule.measureEnd
        if ok == true {
            if measured {
                stats.completed += 1
                _ = stats.latency.record(max(1, now - sentAt[slot]))
                if countRows { countInserted(frame) }
            }
        } else {
            // Errors are counted in and out of the window: a benchmark with errors is suspect.
            recordError(frame)
        }
        if let context { send(slot: slot, context: context) }
        return true
    }

    private func countInserted(_ frame: UnsafeRawBufferPointer) {
        guard let result = WireBytes.offset(of: "result", type: 0x03, in: frame) else { return }
        WireBytes.forEachElement(frame, start: result) { element in
            if element.type == 0x10 {
                let value = UInt64(max(0, WireBytes.readInt32(frame, element.valueStart)))
                if WireBytes.keyEquals(frame, element, "inserted") { stats.rows += value }
                if WireBytes.keyEquals(frame, element, "duplicates") { stats.duplicates += value }
            }
            return true
        }
    }

    private func recordError(_ frame: UnsafeRawBufferPointer) {
        stats.errors += 1
        guard stats.firstError == nil else { return }
        if let document = try? BSONDocument(validating: Array(frame)), let error = document["error"]?.documentValue {
            stats.firstError = "\(error["code"]?.stringValue ?? "?"): \(error["message"]?.stringValue ?? "")"
        } else {
            stats.firstError = "malformed reply"
        }
    }

    private func finishIfIdle(context: ChannelHandlerContext) {
        if outstanding == 0 { finish() }
    }

    private var finished = false
    private func finish() {
        guard !finished else { return }
        finished = true
        done.succeed(())
    }

    private func fail(_ message: String, context: ChannelHandlerContext) {
        stats.errors += 1
        if stats.firstError == nil { stats.firstError = message }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if schedule == nil || BenchClock.nanoseconds() < (schedule?.measureEnd ?? 0) {
            stats.errors += 1
            if stats.firstError == nil { stats.firstError = "connection closed by the server" }
        }
        finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail("connection error: \(error)", context: context)
    }
}

/// The result of one load run.
struct LoadResult {
    var requests: UInt64
    var rows: UInt64
    var duplicates: UInt64
    var errors: UInt64
    var firstError: String?
    var seconds: Double
    var latency: Histogram<UInt64>

    var requestsPerSecond: Double { Double(requests) / seconds }
    var rowsPerSecond: Double { Double(rows) / seconds }
    /// Microseconds at a percentile (the histogram holds nanoseconds).
    func micros(_ percentile: Double) -> Double { Double(latency.valueAtPercentile(percentile)) / 1000 }
}

/// Opens the connections, runs the schedule, gathers the numbers.
enum LoadRunner {
    static func run(
        socketPath: String, group: MultiThreadedEventLoopGroup, templates: [RequestTemplate],
        connections: Int, inFlight: Int, warmup: Double, duration: Double, rate: Double
    ) async throws -> LoadResult {
        let loops = Array(group.makeIterator())
        let stats = loops.map { _ in LoopStats() }
        let nonce = BenchClock.wallMilliseconds() * 1_000_000
        var channels: [(any Channel, LoadHandler)] = []
        channels.reserveCapacity(connections)
        // Connect in waves, so a large C does not overflow the listen backlog.
        var index = 0
        while index < connections {
            let wave = min(connections - index, 64)
            try await withThrowingTaskGroup(of: (any Channel, LoadHandler).self) { tasks in
                for i in index..<(index + wave) {
                    let loopIndex = i % loops.count
                    let loop = loops[loopIndex]
                    let handler = LoadHandler(
                        templates: templates, inFlight: inFlight, connectionIndex: i, connectionCount: connections,
                        nonce: nonce, stats: stats[loopIndex], done: loop.makePromise()
                    )
                    tasks.addTask {
                        // A full listen backlog makes a Unix-socket connect fail with EAGAIN: retry for a while.
                        var attempt = 0
                        while true {
                            do {
                                let channel = try await ClientBootstrap(group: loop)
                                    .channelInitializer { channel in
                                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
                                    }
                                    .connect(unixDomainSocketPath: socketPath).get()
                                return (channel, handler)
                            } catch let error as IOError where error.errnoCode == EAGAIN && attempt < 200 {
                                attempt += 1
                                try await Task.sleep(nanoseconds: 10_000_000)
                            }
                        }
                    }
                }
                for try await pair in tasks { channels.append(pair) }
            }
            index += wave
        }

        let start = BenchClock.nanoseconds()
        let measureStart = start + UInt64(warmup * 1e9)
        let measureEnd = measureStart + UInt64(duration * 1e9)
        let interval = rate > 0 ? UInt64(1e9 / (rate / Double(connections))) : 0
        let schedule = Schedule(measureStart: measureStart, measureEnd: measureEnd, hardEnd: measureEnd + 30_000_000_000, interval: interval)
        for (channel, handler) in channels {
            channel.eventLoop.execute { handler.start(schedule) }
        }
        // Wait for the window, then for outstanding replies (bounded).
        let waitAll = EventLoopFuture.andAllComplete(channels.map { $0.1.done.futureResult }, on: loops[0])
        let timeout = loops[0].scheduleTask(deadline: NIODeadline.uptimeNanoseconds(schedule.hardEnd)) {}
        _ = try? await waitAll.or(timeout.futureResult).get()
        timeout.cancel()
        for (channel, _) in channels { try? await channel.close() }

        var total = LoadResult(
            requests: 0, rows: 0, duplicates: 0, errors: 0, firstError: nil, seconds: duration,
            latency: Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        )
        for (loop, stat) in zip(loops, stats) {
            let snapshot = try await loop.submit { (stat.completed, stat.rows, stat.duplicates, stat.errors, stat.firstError, stat.latency) }.get()
            total.requests += snapshot.0
            total.rows += snapshot.1
            total.duplicates += snapshot.2
            total.errors += snapshot.3
            total.firstError = total.firstError ?? snapshot.4
            total.latency.add(snapshot.5)
        }
        return total
    }
}

extension EventLoopFuture where Value == Void {
    /// Completes when either future does.
    func or(_ other: EventLoopFuture<Void>) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        whenComplete { _ in promise.succeed(()) }
        other.hop(to: eventLoop).whenComplete { _ in promise.succeed(()) }
        return promise.futureResult
    }
}
