import BSONCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WireProtocol

/// One connection to deltastored, shared by any number of concurrent callers:
/// each call gets a fresh request id and waits for its own reply.
public final class DeltaStoreConnection: Sendable {
    private let channel: any Channel
    private let nextID = NIOLockedValueBox<Int64>(0)

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Connects to the daemon's socket.
    public static func connect(
        socketPath: String,
        maxMessageBytes: Int = BSONFrameDecoder.defaultMaximumFrameBytes,
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
            return DeltaStoreConnection(channel: channel)
        } catch {
            throw DeltaStoreError.connection("cannot connect to \(socketPath): \(error)")
        }
    }

    /// Sends a request and returns the whole reply (success or failure).
    public func send(op: String, args: BSONDocument = BSONDocument(), deadlineMilliseconds: Int64? = nil) async throws -> Reply {
        let id = RequestID.int64(nextID.withLockedValue { value in
            value += 1
            return value
        })
        let request = Request(id: id, op: op, args: args, deadlineMilliseconds: deadlineMilliseconds)
        let promise = channel.eventLoop.makePromise(of: Reply.self)
        channel.writeAndFlush((request.document, id, promise), promise: nil)
        return try await promise.futureResult.get()
    }

    /// Calls `op` and returns its `result`, throwing `DeltaStoreError.server` for
    /// an error reply.
    public func call(_ op: String, _ args: BSONDocument = BSONDocument(), deadlineMilliseconds: Int64? = nil) async throws -> BSONDocument {
        switch try await send(op: op, args: args, deadlineMilliseconds: deadlineMilliseconds) {
        case .success(_, let result): return result
        case .failure(_, let error): throw DeltaStoreError.server(error)
        }
    }

    public func close() async {
        try? await channel.close()
    }
}
