import BSONCore
import Logging
import NIOCore
import WireProtocol

/// Closes a connection whose current frame does not finish arriving within
/// `timeout` of its first byte, with a BAD_FRAME reply first. Sits before the
/// frame decoder and only watches the bytes go by.
final class FrameTimeoutHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let timeout: TimeAmount
    private let logger: Logger
    private var progress = FrameProgress()
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount, logger: Logger) {
        self.timeout = timeout
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let wasInside = progress.isInsideFrame
        let completed = buffer.withUnsafeReadableBytes { progress.consume(UnsafeBufferPointer(start: $0.baseAddress?.assumingMemoryBound(to: UInt8.self), count: $0.count)) }
        if !progress.isInsideFrame {
            timer?.cancel()
            timer = nil
        } else if timer == nil || completed > 0 || !wasInside {
            // A new frame started in this read: its clock starts now.
            timer?.cancel()
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let timeout = self.timeout
            let logger = self.logger
            timer = context.eventLoop.scheduleTask(in: timeout) {
                logger.notice("frame not completed in time, closing connection", metadata: ["timeout_ms": "\(timeout.nanoseconds / 1_000_000)"])
                Self.expire(context: bound.value, after: timeout)
            }
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    private static func expire(context: ChannelHandlerContext, after timeout: TimeAmount) {
        let reply = Reply.failure(id: nil, error: WireError(.badFrame, "frame not completed within \(timeout.nanoseconds / 1_000_000) ms of its first byte")).document
        var buffer = context.channel.allocator.buffer(capacity: reply.byteCount)
        buffer.writeFrame(reply)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(NIOAny(buffer)).whenComplete { _ in bound.value.close(promise: nil) }
    }
}
