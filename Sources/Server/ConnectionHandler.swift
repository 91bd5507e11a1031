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
/// Back-pressure: at most `maxInFlight` requests of a connection run at once.
/// Requests decoded beyond that wait in a queue, and while anything waits (or
/// the client is not reading its replies, so the channel is not writable) the
/// handler stops asking the socket for more bytes. The queue therefore never
/// holds more than what one read brought in: a client cannot make the daemon
/// queue without bound.
///
/// Closing: the connection is closed only after its last reply has been
/// written to the socket, so a drain, a half-close or a BAD_FRAME never cuts a
/// reply short.
///
/// Confined to its channel's event loop, as every NIO handler is.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = BSONDocument
    typealias OutboundIn = Never
    typealias OutboundOut = ByteBuffer

    private let dispatcher: Dispatcher
    private let maxInFlight: Int
    private let maxReplyBytes: Int
    private let logger: Logger
    private let connectionID: UInt64
    private let peer: PeerCredentials?

    private var inFlight = 0
    /// Requests waiting for room, with when they were read (deadlines count from then).
    private var waiting = CircularBuffer<(request: Request, receivedAt: NIODeadline)>()
    private var readRequested = false
    /// No more requests will be read: answer what is running or waiting, then close.
    private var draining = false
    private var closed = false
    private var lastWrite: EventLoopFuture<Void>?

    init(dispatcher: Dispatcher, connectionID: UInt64, peer: PeerCredentials?, maxInFlight: Int, maxReplyBytes: Int, logger: Logger) {
        self.dispatcher = dispatcher
        self.connectionID = connectionID
        self.peer = peer
        self.maxInFlight = maxInFlight
        self.maxReplyBytes = maxReplyBytes
        var logger = logger
        logger[metadataKey: "conn"] = "\(connectionID)"
        if let peer {
            logger[metadataKey: "peer_uid"] = "\(peer.uid)"
            logger[metadataKey: "peer_pid"] = "\(peer.pid)"
        }
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        dispatcher.statistics.connectionOpened(id: connectionID, peer: peer)
        logger.debug("connection opened")
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        dispatcher.statistics.connectionClosed(id: connectionID)
        closed = true
        logger.debug("connection closed", metadata: ["in_flight": "\(inFlight)", "waiting": "\(waiting.count)"])
        context.fireChannelInactive()
    }

    // MARK: requests

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Request.parse(unwrapInboundIn(data)) {
        case .success(let request):
            if inFlight >= maxInFlight || !waiting.isEmpty {
                waiting.append((request, NIODeadline.now()))
            } else {
                start(request, receivedAt: NIODeadline.now(), context: context)
            }
        case .failure(let rejection):
            dispatcher.statistics.badRequest()
            logger.info("bad request", metadata: ["error": "\(rejection.error)"])
            write(.failure(id: rejection.id, error: rejection.error), context: context, flush: false)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        // Bytes read after a drain began are answered too; then close again.
        if draining { closeWhenIdle(context: context) }
        context.fireChannelReadComplete()
    }

    private func start(_ request: Request, receivedAt now: NIODeadline, context: ChannelHandlerContext) {
        let requestContext = RequestContext(
            eventLoop: context.eventLoop,
            logger: logger,
            connectionID: connectionID,
            receivedAt: now,
            deadline: request.deadlineMilliseconds.map { now + .milliseconds($0) },
            peer: peer
        )
        switch dispatcher.dispatch(request, context: requestContext) {
        case .reply(let reply):
            note(reply, op: request.op)
            write(reply, context: context, flush: false)
        case .pending(let future):
            inFlight += 1
            let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            let id = request.id
            let op = request.op
            future.whenComplete { result in
                let reply: Reply
                switch result {
                case .success(let value): reply = value
                case .failure(let error): reply = .failure(id: id, error: WireError(.internalError, "internal error: \(error)"))
                }
                handler.value.finished(reply, op: op, context: boundContext.value)
            }
        }
    }

    private func finished(_ reply: Reply, op: String, context: ChannelHandlerContext) {
        inFlight -= 1
        note(reply, op: op)
        write(reply, context: context, flush: false)
        startWaiting(context: context)
        context.flush()
        if draining {
            closeWhenIdle(context: context)
        } else {
            resumeReadingIfAllowed(context: context)
        }
    }

    /// Starts queued requests while there is room.
    private func startWaiting(context: ChannelHandlerContext) {
        while inFlight < maxInFlight, let next = waiting.popFirst() {
            start(next.request, receivedAt: next.receivedAt, context: context)
        }
    }

    private func note(_ reply: Reply, op: String) {
        if case .failure(let id, let error) = reply {
            logger.info("request failed", metadata: ["op": "\(op)", "id": "\(id.map(String.init(describing:)) ?? "-")", "code": "\(error.code.rawValue)"])
        }
    }

    private func write(_ reply: Reply, context: ChannelHandlerContext, flush: Bool) {
        guard !closed else { return }
        var reply = reply
        var size = reply.encodedByteCount
        if size > maxReplyBytes, let id = reply.id {
            reply = Reply.failure(id: id, error: WireError(
                .resourceExhausted,
                "reply of \(size) bytes exceeds max_message_bytes \(maxReplyBytes); ask for fewer records"
            ))
            size = reply.encodedByteCount
        }
        // Encoded straight into the outgoing buffer (no intermediate document).
        var buffer = context.channel.allocator.buffer(capacity: size)
        reply.write(into: &buffer)
        let promise = context.eventLoop.makePromise(of: Void.self)
        lastWrite = promise.futureResult
        if flush {
            context.writeAndFlush(wrapOutboundOut(buffer), promise: promise)
        } else {
            context.write(wrapOutboundOut(buffer), promise: promise)
        }
    }

    // MARK: back-pressure

    func read(context: ChannelHandlerContext) {
        if draining || inFlight >= maxInFlight || !waiting.isEmpty || !context.channel.isWritable {
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
        guard readRequested, !draining, inFlight < maxInFlight, waiting.isEmpty, context.channel.isWritable else { return }
        readRequested = false
        context.read()
    }

    // MARK: errors and shutdown

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let frameError = error as? FrameError {
            dispatcher.statistics.badFrame()
            logger.notice("bad frame, closing connection", metadata: ["error": "\(frameError)"])
            // Requests already decoded before the bad frame are still answered.
            write(.failure(id: nil, error: WireError(.badFrame, frameError.description)), context: context, flush: true)
            draining = true
            closeWhenIdle(context: context)
            return
        }
        if let ioError = error as? IOError, ioError.errnoCode == ECONNRESET || ioError.errnoCode == EPIPE {
            logger.debug("connection reset by peer")
        } else {
            logger.notice("connection error, closing", metadata: ["error": "\(error)"])
        }
        closed = true
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            // Nothing received for the idle timeout: close once nothing is in progress.
            if inFlight == 0 && waiting.isEmpty {
                logger.debug("closing idle connection")
                draining = true
                closeWhenIdle(context: context)
            }
            return
        }
        if event is DrainEvent || (event as? ChannelEvent) == .inputClosed {
            // Shutdown, or the client finished sending: answer what was read, then close.
            draining = true
            closeWhenIdle(context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Closes once nothing runs or waits, after the last reply reached the
    /// socket. If another reply is written meanwhile (a request that was
    /// already read), the close waits for that one instead.
    private func closeWhenIdle(context: ChannelHandlerContext) {
        guard inFlight == 0, waiting.isEmpty, !closed else { return }
        context.flush()
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let written = lastWrite ?? context.eventLoop.makeSucceededVoidFuture()
        lastWrite = written
        written.whenComplete { _ in
            let this = handler.value
            guard !this.closed, this.inFlight == 0, this.waiting.isEmpty, this.lastWrite === written else { return }
            this.closed = true
            boundContext.value.close(promise: nil)
        }
    }
}
