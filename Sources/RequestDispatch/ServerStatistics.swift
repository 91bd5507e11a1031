import BSONCore
import Histogram
import NIOConcurrencyHelpers
import NIOCore

/// The numbers an operator looks at first: connections, and per operation
/// how many calls, how many failed, and latency percentiles — what `stats`
/// reports.
///
/// Every request is recorded, so recording must not make two event loops
/// wait for each other: each event loop records into a `Recorder` of its own
/// (its lock is only ever contended by a `stats` reading it), operations are
/// found by their index in the dispatcher's table rather than by name, and
/// `stats` adds the recorders up. Latencies go into an HdrHistogram (2
/// significant digits, 1 µs to 1 hour), a few tens of KiB per operation and
/// recorder.
public final class ServerStatistics: Sendable {
    struct OperationCounters {
        var count: UInt64 = 0
        var errors: UInt64 = 0
        var latency = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .two)

        mutating func add(_ other: OperationCounters) {
            count &+= other.count
            errors &+= other.errors
            latency.add(other.latency)
        }
    }

    /// One event loop's counters, one slot per operation (by index). Each
    /// connection handler keeps the recorder of its loop.
    public final class Recorder: Sendable {
        fileprivate let counters: NIOLockedValueBox<[OperationCounters]>

        fileprivate init(operations: Int) {
            counters = NIOLockedValueBox(Array(repeating: OperationCounters(), count: operations))
        }

        /// Records one finished request of the operation at `index` (see
        /// `ServerStatistics.index(of:)`), `micros` after it was read.
        public func record(index: Int, failed: Bool, micros: Int64) {
            let value = UInt64(min(max(1, micros), 3_600_000_000))
            counters.withLockedValue { all in
                guard all.indices.contains(index) else { return }
                all[index].count &+= 1
                if failed { all[index].errors &+= 1 }
                _ = all[index].latency.record(value)
            }
        }

        /// Records a request finished now that was read at `start`.
        public func record(index: Int, failed: Bool, since start: NIODeadline) {
            record(index: index, failed: failed, micros: (NIODeadline.now() - start).nanoseconds / 1000)
        }
    }

    private let order: [String]
    private let indexes: [String: Int]
    private let recorders = NIOLockedValueBox<[ObjectIdentifier: Recorder]>([:])
    /// For requests recorded without an event loop's recorder (tests, embedding).
    private let shared: Recorder
    private let connections = NIOLockedValueBox<(open: Int, total: UInt64)>((0, 0))
    private let protocolErrors = NIOLockedValueBox<(badFrames: UInt64, badRequests: UInt64, unknownOps: UInt64)>((0, 0, 0))
    private let clients = NIOLockedValueBox<[UInt64: PeerCredentials]>([:])

    public init(operationNames: [String]) {
        order = operationNames
        indexes = Dictionary(operationNames.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { first, _ in first })
        shared = Recorder(operations: operationNames.count)
    }

    /// The index of `op` in the recorders, if it is an operation of the server.
    public func index(of op: String) -> Int? { indexes[op] }

    /// The recorder of `eventLoop` (made on first use); call it once per
    /// connection, not per request.
    public func recorder(for eventLoop: any EventLoop) -> Recorder {
        let key = ObjectIdentifier(eventLoop)
        let count = order.count
        return recorders.withLockedValue { table in
            if let recorder = table[key] { return recorder }
            let recorder = Recorder(operations: count)
            table[key] = recorder
            return recorder
        }
    }

    /// Records one finished request of a known operation.
    public func record(op: String, failed: Bool, since start: NIODeadline) {
        guard let index = indexes[op] else { return }
        shared.record(index: index, failed: failed, since: start)
    }

    public func connectionOpened(id: UInt64, peer: PeerCredentials?) {
        connections.withLockedValue { $0.open += 1; $0.total += 1 }
        if let peer { clients.withLockedValue { $0[id] = peer } }
    }

    public func connectionClosed(id: UInt64) {
        connections.withLockedValue { $0.open -= 1 }
        clients.withLockedValue { _ = $0.removeValue(forKey: id) }
    }

    public func badFrame() { protocolErrors.withLockedValue { $0.badFrames += 1 } }
    public func badRequest() { protocolErrors.withLockedValue { $0.badRequests += 1 } }
    public func unknownOp() { protocolErrors.withLockedValue { $0.unknownOps += 1 } }

    public var openConnections: Int { connections.withLockedValue { $0.open } }

    /// Every recorder's counters added up, by operation index.
    private func totals() -> [OperationCounters] {
        var totals = shared.counters.withLockedValue { $0 }
        for recorder in recorders.withLockedValue({ Array($0.values) }) {
            let counters = recorder.counters.withLockedValue { $0 }
            for index in totals.indices where index < counters.count && counters[index].count > 0 {
                totals[index].add(counters[index])
            }
        }
        return totals
    }

    /// The `stats` result.
    public func document(uptimeSeconds: Int64) -> BSONDocument {
        let (open, total) = connections.withLockedValue { ($0.open, $0.total) }
        let errors = protocolErrors.withLockedValue { $0 }
        let totals = totals()
        var ops: [(String, BSONValue)] = []
        for (index, name) in order.enumerated() where index < totals.count && totals[index].count > 0 {
            let counters = totals[index]
            ops.append((name, .document([
                "count": .int64(Int64(clamping: counters.count)),
                "errors": .int64(Int64(clamping: counters.errors)),
                "p50_us": .int64(Int64(clamping: counters.latency.valueAtPercentile(50))),
                "p99_us": .int64(Int64(clamping: counters.latency.valueAtPercentile(99))),
                "max_us": .int64(Int64(clamping: counters.latency.max)),
            ])))
        }
        let peers = clients.withLockedValue { $0 }.sorted { $0.key < $1.key }.map { id, peer -> BSONValue in
            .document(["conn": .int64(Int64(clamping: id)), "uid": .int64(Int64(peer.uid)), "gid": .int64(Int64(peer.gid)), "pid": .int32(peer.pid)])
        }
        return [
            "connections": .int64(Int64(open)),
            "connections_total": .int64(Int64(clamping: total)),
            "uptime_s": .int64(uptimeSeconds),
            "protocol_errors": [
                "bad_frames": .int64(Int64(clamping: errors.badFrames)),
                "bad_requests": .int64(Int64(clamping: errors.badRequests)),
                "unknown_ops": .int64(Int64(clamping: errors.unknownOps)),
            ],
            "ops": .document(BSONDocument(ops)),
            "clients": .array(peers),
        ]
    }
}
