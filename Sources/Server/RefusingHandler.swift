import BSONCore
import NIOCore
import WireProtocol

/// Answers a connection the server cannot take (a connection limit was
/// reached) with one RESOURCE_EXHAUSTED reply, without `id`, and closes it.
final class RefusingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let reason: String

    init(reason: String) {
        self.reason = reason
    }

    func channelActive(context: ChannelHandlerContext) {
        let reply = Reply.failure(id: nil, error: WireError(.resourceExhausted, reason + "; try again later")).document
        var buffer = context.channel.allocator.buffer(capacity: reply.byteCount)
        buffer.writeFrame(reply)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in bound.value.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Whatever the client sends is ignored.
    }
}
