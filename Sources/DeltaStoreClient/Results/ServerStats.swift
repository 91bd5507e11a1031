import BSONCore

/// The result of `stats`: connections, uptime, per-operation counters and
/// what the store holds.
/// The whole document is kept in `document` for fields this type does not name.
public struct ServerStats: Sendable, Equatable {
    /// Counters of one operation.
    public struct OperationCounters: Sendable, Equatable {
        public var count: Int64
        public var errors: Int64
        public var p50Microseconds: Int64
        public var p99Microseconds: Int64
    }

    /// Connections open now.
    public var connections: Int64
    public var uptimeSeconds: Int64
    /// By operation name, for the operations called at least once.
    public var operations: [String: OperationCounters]
    /// What the store holds (§14.1.5 `store`); nil from a server that does not send it.
    public var store: StoreHoldings?
    /// The result as the server sent it.
    public var document: BSONDocument

    init(_ document: BSONDocument) throws {
        let reader = ResultReader(document, op: "stats")
        self.document = document
        connections = try reader.integer("connections")
        uptimeSeconds = try reader.integer("uptime_s")
        var operations: [String: OperationCounters] = [:]
        for (name, value) in try reader.subdocument("ops").elements {
            guard let counters = value.documentValue else { continue }
            let op = ResultReader(counters, op: "stats.ops.\(name)")
            operations[name] = OperationCounters(
                count: try op.integer("count"), errors: try op.integer("errors"),
                p50Microseconds: try op.integer("p50_us"), p99Microseconds: try op.integer("p99_us")
            )
        }
        self.operations = operations
        store = document["store"] == nil ? nil : try StoreHoldings(reader.reader("store"))
    }
}
