#if canImport(Glibc)
import Glibc
#endif
import BSONCore
import Logging
import NIOCore
import WireProtocol

/// Routes a parsed request to its operation and turns every outcome, thrown
/// errors and missed deadlines included, into a `Reply`.
///
/// It knows nothing of sockets: the server hands it requests and writes what it
/// returns, and tests call it directly.
public final class Dispatcher: Sendable {
    /// An operation found by name, with its index in the statistics: what
    /// the server looks up once per request and hands back to dispatch it.
    /// A class, so that a request waiting to start holds one reference,
    /// not a copy of the operation's descriptor.
    /// What the request path reads of it is kept in fields of its own, so
    /// that answering a request copies no descriptor and no closure.
    public final class Route: Sendable {
        public let index: Int
        let operation: Operation
        /// A read operation: its reply size is not bounded by its request.
        public let isUnbounded: Bool
        /// The operation answers its common case inline (`answerInline`).
        public let hasInline: Bool
        let inline: InlineHandler?
        let group: OperationDescriptor.Group
        public let name: String
        /// `name`'s UTF-8 bytes, for `route(utf8:)`.
        let nameBytes: [UInt8]

        init(index: Int, operation: Operation) {
            self.index = index
            self.operation = operation
            self.isUnbounded = operation.descriptor.group == .read
            self.hasInline = operation.inline != nil
            self.inline = operation.inline
            self.group = operation.descriptor.group
            self.name = operation.name
            self.nameBytes = Array(operation.name.utf8)
        }

        /// Whether `name` is this route's name, given as UTF-8 bytes.
        public func isNamed(_ name: UnsafeRawBufferPointer) -> Bool {
            guard name.count == nameBytes.count else { return false }
            return nameBytes.withUnsafeBytes { mine in
                guard let base = mine.baseAddress, let other = name.baseAddress else { return name.isEmpty }
                return memcmp(base, other, name.count) == 0
            }
        }
    }

    private let routes: [String: Route]
    /// The same routes, for a look-up by bytes.
    private let routeList: [Route]
    /// The same routes by their index (`Route.index`).
    private let routesByIndex: [Route?]
    /// Every operation's descriptor, in registration order (core operations first).
    public let descriptors: [OperationDescriptor]
    public let info: ServerInfo
    /// Counters and latencies of every operation and connection, for `stats`.
    public let statistics: ServerStatistics
    /// Who may call what; checked before every non-public operation.
    public let access: AccessControl
    /// Operations this server lacks on purpose, with what UNKNOWN_OP says
    /// instead (e.g. `backup` on MongoDB names mongodump).
    private let absentOperations: [String: String]

    /// Registers the core operations (`hello`, `ping`, `describe`, `stats`) and `extra`.
    /// When two operations share a name the first one registered wins, in the
    /// table and in the descriptors alike.
    ///
    /// `storeStats`, when given, supplies the `store` part of `stats` (what
    /// the store holds, `DataLifecycle.statsDocument`).
    public init(
        info: ServerInfo, operations extra: [Operation], access: AccessControl = AccessControl(.allowAll),
        storeStats: StoreStatsSource? = nil, absentOperations: [String: String] = [:]
    ) {
        let coreDescriptors = [CoreOperations.helloDescriptor, CoreOperations.pingDescriptor, CoreOperations.describeDescriptor, CoreOperations.statsDescriptor]
        // Same rule as the table below, so `hello` and `describe` list exactly
        // the operations that answer, each once.
        var registered = Set<String>()
        let descriptors = (coreDescriptors + extra.map(\.descriptor)).filter { registered.insert($0.name).inserted }
        let names = descriptors.map(\.name)
        let statistics = ServerStatistics(operationNames: names)
        var table: [String: Route] = [:]
        let core = [
            CoreOperations.hello(info: info, opNames: names), CoreOperations.ping(), CoreOperations.describe(descriptors),
            CoreOperations.stats(statistics, info: info, store: storeStats),
        ]
        for operation in core + extra where table[operation.name] == nil {
            // Every registered name is in the statistics: the first of a name wins in both.
            guard let index = statistics.index(of: operation.name) else { continue }
            table[operation.name] = Route(index: index, operation: operation)
        }
        self.routes = table
        self.routeList = table.values.sorted { $0.index < $1.index }
        var byIndex = [Route?](repeating: nil, count: names.count)
        for route in table.values where byIndex.indices.contains(route.index) { byIndex[route.index] = route }
        self.routesByIndex = byIndex
        self.descriptors = descriptors
        self.info = info
        self.statistics = statistics
        self.access = access
        self.absentOperations = absentOperations
    }

    /// The descriptor of `op`, if the server has it.
    public func descriptor(of op: String) -> OperationDescriptor? {
        routes[op]?.operation.descriptor
    }

    /// The route of `op`, if the server has it.
    public func route(_ op: String) -> Route? {
        routes[op]
    }

    /// The route whose `index` is `index`, if any.
    public func route(at index: Int) -> Route? {
        routesByIndex.indices.contains(index) ? routesByIndex[index] : nil
    }

    /// The route of the operation named by these UTF-8 bytes (an `op` read
    /// in place), if the server has it: no `String` is made.
    public func route(utf8 op: UnsafeRawBufferPointer) -> Route? {
        routeList.first { $0.isNamed(op) }
    }

    /// The outcome of a request: a reply now, or one later on `context.eventLoop`.
    public enum Outcome {
        case reply(Reply)
        case pending(EventLoopFuture<Reply>)
    }

    /// Call it on `context.eventLoop`, as the connection handler does: the
    /// bookkeeping of a deadline is confined to that loop.
    public func dispatch(_ request: Request, context: RequestContext) -> Outcome {
        dispatch(request, route: routes[request.op], context: context, recorder: nil)
    }

    /// `dispatch(_:context:)` with the route already looked up, recording into
    /// the event loop's `recorder` (the server's path).
    public func dispatch(_ request: Request, route: Route?, context: RequestContext, recorder: ServerStatistics.Recorder?) -> Outcome {
        guard let route else {
            statistics.unknownOp()
            let message = absentOperations[request.op] ?? "unknown operation '\(request.op)'"
            return .reply(.failure(id: request.id, error: WireError(.unknownOp, message)))
        }
        let outcome = run(route.operation, request, context)
        let statistics = self.statistics
        let index = route.index
        let start = context.receivedAt
        let op = request.op
        @Sendable func record(_ reply: Reply) {
            if let recorder {
                recorder.record(index: index, failed: reply.isFailure, since: start)
            } else {
                statistics.record(op: op, failed: reply.isFailure, since: start)
            }
        }
        switch outcome {
        case .reply(let reply):
            record(reply)
        case .pending(let future):
            future.whenSuccess { reply in record(reply) }
        }
        return outcome
    }

    /// Answers a request from its bytes where they arrived, when its
    /// operation has an inline handler and that handler takes the case: the
    /// whole reply `{id, ok: true, result}` is appended to `buffer` and its
    /// size returned. Otherwise nothing is appended and nil returned: the
    /// request then goes to `dispatch`, which answers every case (a denied
    /// access included, with its log line). Allocates nothing itself.
    /// The request's `id` is its element as it is in the frame
    /// (`RequestEnvelope.idElement`), copied into the reply as it is.
    public func answerInline(
        _ route: Route, idElement: UnsafeRawBufferPointer, args: BSONDocumentView?, peer: PeerCredentials?,
        receivedAt: NIODeadline, recorder: ServerStatistics.Recorder, into buffer: inout ByteBuffer
    ) -> Int? {
        guard let inline = route.inline else { return nil }
        if route.group != .public {
            guard access.check(peer, op: route.name, group: route.group, logger: Self.silent) == nil else { return nil }
        }
        guard let size = Reply.writeSuccess(idElement: idElement, into: &buffer, result: { inline(args, &$0) }) else { return nil }
        recorder.record(index: route.index, failed: false, since: receivedAt)
        return size
    }

    /// For the access check of `answerInline`: a denial is logged by `dispatch`.
    private static let silent = Logger(label: "deltastore.inline", factory: { _ in SwiftLogNoOpLogHandler() })

    private func run(_ operation: Operation, _ request: Request, _ context: RequestContext) -> Outcome {
        if let denied = access.check(context.peer, op: "'\(request.op)'", group: operation.descriptor.group, logger: context.logger) {
            return .reply(.failure(id: request.id, error: denied))
        }
        let result: HandlerResult
        do {
            result = try operation.run(request.args, context: context)
        } catch {
            return .reply(.failure(id: request.id, error: Self.wireError(error, op: request.op, logger: context.logger)))
        }
        switch result {
        case .value(let document):
            return .reply(.success(id: request.id, result: document))
        case .future(let future):
            let id = request.id
            let op = request.op
            let logger = context.logger
            let reply = future.hop(to: context.eventLoop).map { Reply.success(id: id, result: $0) }
                .recover { Reply.failure(id: id, error: Self.wireError($0, op: op, logger: logger)) }
            guard let deadline = context.deadline else { return .pending(reply) }
            return .pending(Self.bound(reply, by: deadline, id: id, on: context.eventLoop))
        }
    }

    /// Answers DEADLINE_EXCEEDED at `deadline` unless `reply` came first. The
    /// work itself is not interrupted: a write may still complete.
    private static func bound(_ reply: EventLoopFuture<Reply>, by deadline: NIODeadline, id: RequestID, on loop: any EventLoop) -> EventLoopFuture<Reply> {
        let promise = loop.makePromise(of: Reply.self)
        // Both callbacks run on `loop`; the box records which one answered first.
        let answered = NIOLoopBoundBox(false, eventLoop: loop)
        let timeout = loop.scheduleTask(deadline: deadline) {
            guard !answered.value else { return }
            answered.value = true
            promise.succeed(.failure(id: id, error: WireError(.deadlineExceeded, "deadline passed before the operation completed")))
        }
        reply.whenSuccess { value in
            timeout.cancel()
            guard !answered.value else { return }
            answered.value = true
            promise.succeed(value)
        }
        return promise.futureResult
    }

    /// Maps any error to its protocol form; unknown errors become INTERNAL and are
    /// logged, since they are bugs, without exposing their text to the client.
    static func wireError(_ error: any Error, op: String, logger: Logger) -> WireError {
        if let wire = error as? WireError { return wire }
        if let convertible = error as? any WireErrorConvertible { return convertible.wireError }
        if let loopError = error as? EventLoopError, case .shutdown = loopError {
            return WireError(.unavailable, "the server is shutting down")
        }
        logger.error("\(op) failed unexpectedly (answered INTERNAL): \(String(reflecting: error))", metadata: ["op": "\(op)", "error": "\(String(reflecting: error))"])
        return WireError(.internalError, "internal error while running '\(op)'")
    }
}
