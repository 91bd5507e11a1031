import BSONCore
import Histogram
import NIOConcurrencyHelpers
import NIOCore

/// The numbers an operator looks at first: connections, and per operation
/// how many calls, how many failed, and latency percentiles — what `stats`
/// reports.
///
/// Shared by every event loop: each operation's counters sit behind their own
/// lock, so two loops only contend when they finish the same operation at the
/// same instant. Latencies go into an HdrHistogram (2 significant digits, 1 µs
/// to 1 hour), a few tens of KiB per operation.
public final class ServerStatistics: Sendable {
    struct OperationCounters {
        var count: UInt64 = 0
        var errors: UInt64 = 0
        var latency = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .two)
    }

    private let operations: [String: NIOLockedValueBox<OperationCounters>]
    private let order: [String]
    private let connections = NIOLockedValueBox<(open: Int, total: UInt64)>((0, 0))
    private let protocolErrors = NIOLockedValueBox<(badFrames: UInt64, badRequests: UInt64, unknownOps: UInt64)>((0, 0, 0))
    private let clients = NIOLockedValueBox<[UInt64: PeerCredentials]>([:])

    public init(operationNames: [String]) {
        order = operationNames
        operations = Dictionary(operationNames.map { ($0, NIOLockedValueBox(OperationCounters())) }, uniquingKeysWith: { first, _ in first })
    }

    /// Records one finished request of a known operation.
    public func record(op: String, failed: Bool, since start: NIODeadline) {
        guard let box = operations[op] else { return }
        let micros = UInt64(max(1, (NIODeadline.now() - start).nanoseconds / 1000))
        box.withLockedValue { counters in
            counters.count += 1
            if failed { counters.errors += 1 }
            _ = counters.latency.record(min(micros, 3_600_000_000))
        }
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

    /// The `stats` result.
    public func document(uptimeSeconds: Int64) -> BSONDocument {
        let (open, total) = connections.withLockedValue { ($0.open, $0.total) }
        let errors = protocolErrors.withLockedValue { $0 }
        var ops: [(String, BSONValue)] = []
        for name in order {
            guard let box = operations[name] else { continue }
            let counters = box.withLockedValue { $0 }
            guard counters.count > 0 else { continue }
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
