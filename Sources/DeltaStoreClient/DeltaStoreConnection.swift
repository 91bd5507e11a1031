import BSONCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WireProtocol

/// One connection to deltastored, shared by any number of concurrent callers:
/// each call gets a fresh request id (an `int64` counter, never reused) and
/// waits for its own reply, so replies may come in any order.
///
/// It does not reconnect: when the daemon closes it, every waiting call fails
/// with `DeltaStoreError.connection` and later calls fail the same way.
/// `DeltaStoreClient` adds a pool, reconnection and typed operations on top.
public final class DeltaStoreConnection: Sendable {
    private let channel: any Channel
    private let nextID = NIOLockedValueBox<Int64>(0)
    private let requestLimit: NIOLockedValueBox<Int>

    private init(channel: any Channel, maxRequestBytes: Int) {
        self.channel = channel
        self.requestLimit = NIOLockedValueBox(maxRequestBytes)
    }

    /// Connects to the daemon's socket.
    ///
    /// `maxMessageBytes` bounds both the replies accepted and the requests
    /// sent until `setMaxRequestBytes(_:)` is told the server's `hello` limit;
    /// the default is the largest limit a server can have (§3.4).
    public static func connect(
        socketPath: String,
        maxMessageBytes: Int = DeltaStoreConnection.largestServerMessageBytes,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> DeltaStoreConnection {
        let bootstrap = ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(BSONFrameDecoder(maximumFrameBytes: maxMessageBytes)),
                        ReplyRouter(),
                    ])
                }
            }
        do {
            let channel = try await bootstrap.connect(unixDomainSocketPath: socketPath).get()
            return DeltaStoreConnection(channel: channel, maxRequestBytes: maxMessageBytes)
        } catch {
            throw DeltaStoreError.connection(ConnectFailure.reason(error, socketPath: socketPath))
        }
    }

    /// The largest `max_message_bytes` a server can be configured with (64 MiB).
    public static let largestServerMessageBytes = 64 * 1024 * 1024

    /// False once the connection is closed, by either side.
    public var isActive: Bool { channel.isActive }

    /// The largest request this connection sends; larger ones fail with
    /// `DeltaStoreError.requestTooLarge` without being sent.
    public var maxRequestBytes: Int { requestLimit.withLockedValue { $0 } }

    /// Sets the request limit, normally to `hello`'s `limits.max_message_bytes`.
    public func setMaxRequestBytes(_ bytes: Int) {
        requestLimit.withLockedValue { $0 = bytes }
    }

    /// Sends a request and returns the whole reply (success or failure).
    ///
    /// `deadlineMilliseconds` is sent as `deadline_ms` (the server's budget);
    /// `timeout` is the client's own timer: when it fires first, the call
    /// fails with `DeltaStoreError.timedOut` and the late reply is discarded.
    public func send(
        op: String, args: BSONDocument = BSONDocument(), deadlineMilliseconds: Int64? = nil, timeout: TimeAmount? = nil
    ) async throws -> Reply {
        do {
            return try await submit(op: op, args: args, deadlineMilliseconds: deadlineMilliseconds, timeout: timeout)
        } catch let notSent as RequestNotSent {
            throw notSent.reason
        }
    }

    /// Calls `op` and returns its `result`, throwing `DeltaStoreError.server` for
    /// an error reply.
    public func call(
        _ op: String, _ args: BSONDocument = BSONDocument(), deadlineMilliseconds: Int64? = nil, timeout: TimeAmount? = nil
    ) async throws -> BSONDocument {
        try Self.result(of: try await send(op: op, args: args, deadlineMilliseconds: deadlineMilliseconds, timeout: timeout))
    }

    /// Closes the connection; calls still waiting fail with a connection error.
    public func close() async {
        try? await channel.close()
    }

    /// The `result` of a success reply, or the error reply thrown.
    static func result(of reply: Reply) throws -> BSONDocument {
        switch reply {
        case .success(_, let result): return result
        case .failure(_, let error): throw DeltaStoreError.server(error)
        }
    }

    /// Like `send`, but throws `RequestNotSent` when the connection was already
    /// closed before the request could be written (so it can be sent elsewhere).
    func submit(op: String, args: BSONDocument, deadlineMilliseconds: Int64?, timeout: TimeAmount?) async throws -> Reply {
        let id = RequestID.int64(nextID.withLockedValue { value in
            value += 1
            return value
        })
        let request = Request(id: id, op: op, args: args, deadlineMilliseconds: deadlineMilliseconds)
        return try await submit(document: request.document, id: id, timeout: timeout)
    }

    /// Sends an already-built request envelope whose id is `id` (which must not
    /// collide with the counter's ids: tests use it to send vector documents).
    func submit(document: BSONDocument, id: RequestID, timeout: TimeAmount?) async throws -> Reply {
        let limit = maxRequestBytes
        guard document.byteCount <= limit else {
            throw DeltaStoreError.requestTooLarge(bytes: document.byteCount, limit: limit)
        }
        guard channel.isActive else {
            throw RequestNotSent(reason: .connection("connection is closed"))
        }
        let channel = self.channel
        let promise = channel.eventLoop.makePromise(of: Reply.self)
        let timer = timeout.map { amount in
            channel.eventLoop.scheduleTask(in: amount) {
                let error = DeltaStoreError.timedOut("no reply within \(Self.describe(amount))")
                channel.triggerUserOutboundEvent(WithdrawRequest(id: id, error: error), promise: nil)
            }
        }
        promise.futureResult.whenComplete { _ in timer?.cancel() }
        // A write that fails completes the caller too (a reply promise never
        // registered with the router would otherwise wait forever).
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { error in
            if case ChannelError.ioOnClosedChannel = error {
                promise.fail(RequestNotSent(reason: .connection("connection is closed")))
            } else {
                promise.fail(DeltaStoreError.connection("cannot write the request: \(error)"))
            }
        }
        channel.writeAndFlush((document, id, promise), promise: written)
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            channel.triggerUserOutboundEvent(WithdrawRequest(id: id, error: CancellationError()), promise: nil)
        }
    }

    private static func describe(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}
