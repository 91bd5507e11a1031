import BSONCore
import NIOCore
import WireProtocol

/// The client side of one connection: sends requests and completes each
/// caller's promise when the reply with its `id` arrives, in whatever order
/// replies come. Confined to the channel's event loop.
///
/// - A reply whose id nobody waits for (its caller timed out or was
///   cancelled) is dropped.
/// - `BAD_FRAME` (no id) marks the connection as failing: no new request is
///   written, replies to earlier requests are still delivered until the
///   server closes (§3.3), then the rest fail with a connection error.
/// - A document that is not a reply envelope fails every waiting request and
///   closes the connection (§3.5).
final class ReplyRouter: ChannelDuplexHandler {
    typealias InboundIn = BSONDocument
    typealias OutboundIn = (BSONDocument, RequestID, EventLoopPromise<Reply>)
    typealias OutboundOut = ByteBuffer

    private var waiting: [RequestID: EventLoopPromise<Reply>] = [:]
    private var failure: DeltaStoreError?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let (document, id, replyPromise) = unwrapOutboundIn(data)
        if let failure {
            replyPromise.fail(RequestNotSent(reason: failure))
            promise?.fail(failure)
            return
        }
        waiting[id] = replyPromise
        var buffer = context.channel.allocator.buffer(capacity: document.byteCount)
        buffer.writeFrame(document)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let withdraw = event as? WithdrawRequest else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        waiting.removeValue(forKey: withdraw.id)?.fail(withdraw.error)
        promise?.succeed(())
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let document = unwrapInboundIn(data)
        guard let reply = Reply(document) else {
            failAll(.protocolViolation("server sent a document that is not a reply: \(document)"))
            context.close(promise: nil)
            return
        }
        if let id = reply.id {
            waiting.removeValue(forKey: id)?.succeed(reply)
        } else if case .failure(nil, let error) = reply, error.code == .badFrame {
            // The server closes after answering what it read before the bad
            // frame: stop writing, keep delivering, fail the rest at the end.
            failure = failure ?? .server(error)
        }
        // A BAD_REQUEST without id answers an envelope this client cannot have
        // built (§4.2); it cannot be matched to a caller, so it is dropped.
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.connection("connection closed by the server before the reply"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(.connection("\(error)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: DeltaStoreError) {
        failure = failure ?? error
        let pending = waiting
        waiting = [:]
        for promise in pending.values { promise.fail(error) }
    }
}
