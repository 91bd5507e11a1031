import BSONCore
import NIOCore
import WireProtocol

/// The operations every server has whatever its store: `hello`, `ping`,
/// `describe`, `stats` (the dispatcher registers them before all others).
enum CoreOperations {
    static let helloDescriptor = OperationDescriptor(
        name: "hello", group: .public,
        summary: "Protocol and server versions, store kind, limits and the list of operations.",
        arguments: [.init("client", "string", "Free-form client name and version, for logs (at most 128 bytes).")],
        result: "{protocol: int32, server: string, version: string, store: string, limits: {max_message_bytes, max_batch, max_page, max_in_flight}, ops: [string]}"
    )

    static let pingDescriptor = OperationDescriptor(
        name: "ping", group: .public,
        summary: "Liveness check. With delay_ms, answers after that many milliseconds without blocking anything (for testing timeouts and draining).",
        arguments: [.init("delay_ms", "int32|int64", "Delay before the reply, 0 to 10000 ms.")],
        result: "{pong: true}"
    )

    static let describeDescriptor = OperationDescriptor(
        name: "describe", group: .public,
        summary: "Arguments, result shape and error codes of one operation or of all.",
        arguments: [.init("op", "string", "Describe only this operation.")],
        result: "{ops: [{name, group, summary, args: [{name, type, required, summary}], result, errors: [string]}]}",
        errors: [.notFound]
    )

    static let statsDescriptor = OperationDescriptor(
        name: "stats", group: .admin,
        summary: "Connections, uptime, protocol errors, per-operation counts, errors and latency percentiles since start, and the connected clients.",
        result: "{connections: int64, connections_total: int64, uptime_s: int64, protocol_errors: {bad_frames, bad_requests, unknown_ops}, ops: {<name>: {count, errors, p50_us, p99_us, max_us}}, clients: [{conn, uid, gid, pid}], store?: {kind: string, error?: string, bytes: int64, collections: {ticks|quotes|chains: {count: int64, oldest?: datetime, newest?: datetime, retain_s?: int64}}, backup?: {name: string, pages_done: int64, pages_total: int64}}}"
    )

    /// With `store`, the result gains `store` (read from the store on its
    /// thread pool, so the reply comes later).
    static func stats(_ statistics: ServerStatistics, info: ServerInfo, store: StoreStatsSource? = nil) -> Operation {
        Operation(statsDescriptor) { _, context in
            guard let store else { return .value(statistics.document(uptimeSeconds: info.uptimeSeconds)) }
            return AsyncWork.run(context) {
                let held = await store(context.logger)
                return statistics.document(uptimeSeconds: info.uptimeSeconds).appending("store", .document(held))
            }
        }
    }

    static func hello(info: ServerInfo, opNames: [String]) -> Operation {
        let limits = info.limits
        let result: BSONDocument = [
            "protocol": .int32(ProtocolVersion.current),
            "server": .string(ProtocolVersion.serverName),
            "version": .string(ProtocolVersion.serverVersion),
            "store": .string(info.storeKind),
            "limits": [
                "max_message_bytes": .int64(Int64(limits.maxMessageBytes)),
                "max_batch": .int64(Int64(limits.maxBatch)),
                "max_page": .int64(Int64(limits.maxPage)),
                "max_in_flight": .int64(Int64(limits.maxInFlight)),
            ],
            "ops": .array(opNames.map { .string($0) }),
        ]
        // Without arguments (the usual hello), answered inline from the prepared result.
        let inline: InlineHandler = { args, out in
            guard args?.isEmpty ?? true else { return false }
            out.writeBSONDocument(result)
            return true
        }
        return Operation(helloDescriptor, inline: inline) { arguments, context in
            if let client = try arguments.string("client", maxBytes: 128) {
                context.logger.debug("client said hello", metadata: ["client": "\(client)"])
            }
            return .value(result)
        }
    }

    static func ping() -> Operation {
        let pong: BSONDocument = ["pong": true]
        let inline: InlineHandler = { args, out in
            guard args?.isEmpty ?? true else { return false }
            out.writeBSONDocument(pong)
            return true
        }
        return Operation(pingDescriptor, inline: inline) { arguments, context in
            let delay = try arguments.integer("delay_ms", in: 0...10_000) ?? 0
            if delay == 0 { return .value(pong) }
            let task = context.eventLoop.scheduleTask(in: .milliseconds(delay)) { pong }
            return .future(task.futureResult)
        }
    }

    static func describe(_ descriptors: [OperationDescriptor]) -> Operation {
        let all = descriptors.map { BSONValue.document($0.document) }
        let byName = Dictionary(descriptors.map { ($0.name, $0.document) }, uniquingKeysWith: { first, _ in first })
        return Operation(describeDescriptor) { arguments, _ in
            guard let name = try arguments.string("op", maxBytes: Request.maxOpBytes) else {
                return .value(["ops": .array(all)])
            }
            guard let one = byName[name] else { throw WireError(.notFound, "no operation named '\(name)'") }
            return .value(["ops": [.document(one)]])
        }
    }
}
