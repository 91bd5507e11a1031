#if canImport(Glibc)
import Glibc
#endif
import BSONCore
import RequestDispatch
import Logging
import NIOCore
import WireProtocol

/// One client connection: turns decoded frames into requests, runs them through
/// the dispatcher, and writes each reply as soon as it is ready (so replies may
/// leave in a different order than requests came; clients match by `id`).
///
/// Back-pressure: it stops asking the socket for more bytes while the
/// connection has `maxInFlight` requests in progress or its replies are not
/// being read (the channel is not writable), and resumes when that clears, so a
/// client can never make the daemon queue without bound.
///
/// Confined to its channel's event loop, as every NIO handler is.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = BSONDocument
    typealias OutboundIn = Never
    typealias OutboundOut = ByteBuffer

    private let dispatcher: Dispatcher
    private let maxInFlight: Int
    private let maxReplyBytes: Int
    private var logger: Logger
    private let connectionID: UInt64

    private var inFlight = 0
    private var readRequested = false
    private var draining = false
    private var closed = false

    init(dispatcher: Dispatcher, connectionID: UInt64, maxInFlight: Int, maxReplyBytes: Int, logger: Logger) {
        self.dispatcher = dispatcher
        self.connectionID = connectionID
        self.maxInFlight = maxInFlight
        self.maxReplyBytes = maxReplyBytes
        var logger = logger
        logger[metadataKey: "conn"] = "\(connectionID)"
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        logger.debug("connection opened")
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        logger.debug("connection closed", metadata: ["in_flight": "\(inFlight)"])
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let document = unwrapInboundIn(data)
        let request: Request
        switch Request.parse(document) {
        case .success(let parsed):
            request = parsed
        case .failure(let rejection):
            logger.info("bad request", metadata: ["error": "\(rejection.error)"])
            write(.failure(id: rejection.id, error: rejection.error), context: context, flush: false)
            return
        }
        let now = NIODeadline.now()
        let requestContext = RequestContext(
            eventLoop: context.eventLoop,
            logger: logger,
            connectionID: connectionID,
            receivedAt: now,
            deadline: request.deadlineMilliseconds.map { now + .milliseconds($0) }
        )
        switch dispatcher.dispatch(request, context: requestContext) {
        case .reply(let reply):
            note(reply, op: request.op)
            write(reply, context: context, flush: false)
        case .pending(let future):
            inFlight += 1
            let op = request.op
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            future.whenComplete { result in
                let reply: Reply
                switch result {
                case .success(let value): reply = value
                case .failure(let error):
                    reply = .failure(id: request.id, error: WireError(.internalError, "internal error: \(error)"))
                }
                handler.value.finished(reply, op: op, context: loopBound.value)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        context.fireChannelReadComplete()
    }

    private func finished(_ reply: Reply, op: String, context: ChannelHandlerContext) {
        inFlight -= 1
        note(reply, op: op)
        write(reply, context: context, flush: true)
        if draining {
            closeIfIdle(context: context)
        } else {
            resumeReadingIfAllowed(context: context)
        }
    }

    private func note(_ reply: Reply, op: String) {
        if case .failure(let id, let error) = reply {
            logger.info("request failed", metadata: ["op": "\(op)", "id": "\(id.map(String.init(describing:)) ?? "-")", "code": "\(error.code.rawValue)"])
        }
    }

    private func write(_ reply: Reply, context: ChannelHandlerContext, flush: Bool) {
        guard !closed else { return }
        var document = reply.document
        if document.byteCount > maxReplyBytes, let id = reply.id {
            document = Reply.failure(id: id, error: WireError(
                .resourceExhausted,
                "reply of \(document.byteCount) bytes exceeds max_message_bytes \(maxReplyBytes); ask for fewer records"
            )).document
        }
        var buffer = context.channel.allocator.buffer(capacity: document.byteCount)
        buffer.writeFrame(document)
        if flush {
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        } else {
            context.write(wrapOutboundOut(buffer), promise: nil)
        }
    }

    // MARK: back-pressure

    func read(context: ChannelHandlerContext) {
        if draining || inFlight >= maxInFlight || !context.channel.isWritable {
            readRequested = true
            return
        }
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        resumeReadingIfAllowed(context: context)
        context.fireChannelWritabilityChanged()
    }

    private func resumeReadingIfAllowed(context: ChannelHandlerContext) {
        guard readRequested, !draining, inFlight < maxInFlight, context.channel.isWritable else { return }
        readRequested = false
        context.read()
    }

    // MARK: errors and shutdown

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let frameError = error as? FrameError {
            logger.notice("bad frame, closing connection", metadata: ["error": "\(frameError)"])
            write(.failure(id: nil, error: WireError(.badFrame, frameError.description)), context: context, flush: true)
        } else if let ioError = error as? IOError, ioError.errnoCode == ECONNRESET || ioError.errnoCode == EPIPE {
            logger.debug("connection reset by peer")
        } else {
            logger.notice("connection error, closing", metadata: ["error": "\(error)"])
        }
        closed = true
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is DrainEvent {
            draining = true
            closeIfIdle(context: context)
            return
        }
        if let half = event as? ChannelEvent, half == .inputClosed {
            // The client finished sending: answer what is in progress, then close.
            draining = true
            closeIfIdle(context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func closeIfIdle(context: ChannelHandlerContext) {
        guard inFlight == 0, !closed else { return }
        closed = true
        context.flush()
        context.close(promise: nil)
    }
}
