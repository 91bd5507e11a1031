import BSONCore
import NIOCore
import WireProtocol

/// The client side of one connection: sends requests and completes each
/// caller's promise when the reply with its `id` arrives, in whatever order
/// replies come. Confined to the channel's event loop.
final class ReplyRouter: ChannelDuplexHandler {
    typealias InboundIn = BSONDocument
    typealias OutboundIn = (BSONDocument, RequestID, EventLoopPromise<Reply>)
    typealias OutboundOut = ByteBuffer

    private var waiting: [RequestID: EventLoopPromise<Reply>] = [:]
    private var failure: DeltaStoreError?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let (document, id, replyPromise) = unwrapOutboundIn(data)
        if let failure {
            replyPromise.fail(failure)
            promise?.fail(failure)
            return
        }
        waiting[id] = replyPromise
        var buffer = context.channel.allocator.buffer(capacity: document.byteCount)
        buffer.writeFrame(document)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let document = unwrapInboundIn(data)
        guard let reply = Reply(document) else {
            failAll(.protocolViolation("server sent a document that is not a reply: \(document)"))
            context.close(promise: nil)
            return
        }
        if let id = reply.id, let promise = waiting.removeValue(forKey: id) {
            promise.succeed(reply)
        } else if case .failure(nil, let error) = reply, error.code == .badFrame {
            // BAD_FRAME concerns the whole connection, which the server closes.
            failAll(.server(error))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.connection("connection closed by the server"))
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
