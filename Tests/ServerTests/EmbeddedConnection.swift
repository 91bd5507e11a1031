import BSONCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import RequestDispatch
@testable import Server
import TestSupport
import WireProtocol

/// A `ConnectionHandler` in an `EmbeddedChannel`, with a client that reads
/// only when the test says so (not a test file).
///
/// `SlowSocket` sits at the socket's end of the pipeline: it keeps the
/// handler's writes until `drain()`, as a socket whose peer does not read
/// would, and says so as NIO's socket channel does with the server's water
/// marks of 1 byte (not writable while a byte waits; a writability change
/// once everything is taken). It counts the reads the handler passes on.
/// Time is the embedded loop's: `advance(by:)` moves it.
final class EmbeddedConnection {
    final class SlowSocket: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var pending: [(ByteBuffer, EventLoopPromise<Void>?)] = []
        var delivered: [UInt8] = []
        var reads = 0
        var flushes = 0
        var writes = 0
        var promises = 0
        var draining = false
        private var context: ChannelHandlerContext?

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            self.context = nil
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            writes += 1
            if promise != nil { promises += 1 }
            pending.append((unwrapOutboundIn(data), promise))
        }

        func flush(context: ChannelHandlerContext) {
            flushes += 1
            if draining {
                drain()
            } else if !pending.isEmpty, let channel = context.channel as? EmbeddedChannel {
                channel.isWritable = false
            }
        }

        func read(context: ChannelHandlerContext) {
            reads += 1
        }

        /// The client reads everything written so far.
        func drain() {
            let batch = pending
            pending = []
            for (buffer, promise) in batch {
                delivered += buffer.readableBytesView
                promise?.succeed()
            }
            if let context, let channel = context.channel as? EmbeddedChannel, !channel.isWritable {
                channel.isWritable = true
                context.fireChannelWritabilityChanged()
            }
        }

        var pendingBytes: Int { pending.reduce(0) { $0 + $1.0.readableBytes } }

        /// The replies (frames) in the writes not delivered yet.
        var pendingReplies: Int {
            var bytes = pending.flatMap { Array($0.0.readableBytesView) }[...]
            var count = 0
            while bytes.count >= 4 {
                let length = Int(Int32(littleEndian: Array(bytes.prefix(4)).withUnsafeBytes { $0.load(as: Int32.self) }))
                guard length >= 5, bytes.count >= length else { break }
                bytes = bytes.dropFirst(length)
                count += 1
            }
            return count
        }
    }

    /// A read operation (its reply size is not bounded) whose runs the test counts:
    /// `{bytes, delay_ms}` answers `{data: <bytes>}` after `delay_ms`.
    static let queryDescriptor = OperationDescriptor(
        name: "test.query", group: .read, summary: "test",
        arguments: [.init("bytes", "int32|int64", "Result size (default 10)."), .init("delay_ms", "int32|int64", "Delay before the result (default 0).")],
        result: "{data}"
    )

    let channel = EmbeddedChannel()
    let socket = SlowSocket()
    let logs = LogRecords()
    let budget: MemoryBudget
    let queriesStarted = NIOLockedValueBox(0)
    var loop: EmbeddedEventLoop { channel.embeddedEventLoop }

    init(
        limits: ConnectionHandler.Machine.Limits = EmbeddedConnection.limits(),
        budget: MemoryBudget = MemoryBudget(limit: 256 << 20),
        maximumFrameBytes: Int = 16 << 20, frameLimitReason: String? = nil,
        peer: PeerCredentials? = PeerCredentials(pid: 4321, uid: 1001, gid: 1001)
    ) throws {
        self.budget = budget
        let started = queriesStarted
        let query = RequestDispatch.Operation(Self.queryDescriptor) { args, context in
            started.withLockedValue { $0 += 1 }
            let bytes = Int(try args.integer("bytes", in: 0...Int64(Int32.max)) ?? 10)
            let delay = try args.integer("delay_ms", in: 0...Int64.max) ?? 0
            let result: BSONDocument = ["data": .binary(subtype: 0, data: [UInt8](repeating: 7, count: bytes))]
            let task = context.eventLoop.scheduleTask(in: .milliseconds(delay)) { result }
            return .future(task.futureResult)
        }
        let dispatcher = Dispatcher(info: ServerInfo(storeKind: "sqlite"), operations: [query])
        let records = logs
        var logger = Logger(label: "server-tests") { _ in CapturingLogHandler(records: records) }
        logger.logLevel = .debug
        let handler = ConnectionHandler(
            dispatcher: dispatcher, budget: budget, pool: BufferPool(allocator: channel.allocator), connectionID: 7, peer: peer, limits: limits,
            maximumFrameBytes: maximumFrameBytes, frameLimitReason: frameLimitReason, logger: logger,
            now: channel.embeddedEventLoop.now
        )
        try channel.pipeline.syncOperations.addHandlers([socket, handler])
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/tmp/embedded.sock")).wait()
        channel.read()
    }

    static func limits(
        maxInFlight: Int = 128, maxUnsentBytes: Int = 1 << 20, maxReplyBytes: Int = 16 << 20,
        frameTimeout: TimeAmount = .seconds(30), stallTimeout: TimeAmount = .seconds(2)
    ) -> ConnectionHandler.Machine.Limits {
        .init(maxInFlight: maxInFlight, maxUnsentBytes: maxUnsentBytes, maxReplyBytes: maxReplyBytes, frameTimeout: frameTimeout, stallTimeout: stallTimeout)
    }

    /// The client sends bytes; NIO then asks for the next read, as autoRead does.
    func send(_ bytes: [UInt8]) throws {
        try channel.writeInbound(channel.allocator.buffer(bytes: bytes))
        channel.read()
    }

    func send(_ documents: BSONDocument...) throws {
        try send(documents.flatMap(\.bytes))
    }

    func advance(by amount: TimeAmount) {
        loop.advanceTime(by: amount)
    }

    /// The replies the client has read so far (taken: the next call returns only newer ones).
    func replies() throws -> [BSONDocument] {
        var out: [BSONDocument] = []
        var bytes = socket.delivered[...]
        while bytes.count >= 4 {
            let length = Int(Int32(littleEndian: Array(bytes.prefix(4)).withUnsafeBytes { $0.load(as: Int32.self) }))
            guard bytes.count >= length else { break }
            out.append(try BSONDocument(validating: Array(bytes.prefix(length))))
            bytes = bytes.dropFirst(length)
        }
        socket.delivered = Array(bytes)
        return out
    }

    /// The client reads what was written, then the replies.
    func drainReplies() throws -> [BSONDocument] {
        socket.drain()
        loop.run()
        return try replies()
    }

    var isOpen: Bool { channel.isActive }

    deinit {
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }
}

extension BSONDocument {
    var replyID: BSONValue? { self["id"] }
    var errorCode: String? { self["error"]?.documentValue?["code"]?.stringValue }
}
