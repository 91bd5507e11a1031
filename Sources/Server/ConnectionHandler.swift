#if canImport(Glibc)
import Glibc
#endif
import BSONCore
import Dispatch
import RequestDispatch
import Logging
import NIOCore
import WireProtocol

/// One client connection: performs what its `ConnectionStateMachine` decides
/// — reading, decoding the next frame when a request may start, running
/// requests through the dispatcher, writing and flushing replies, asking the
/// daemon's `MemoryBudget` for room, timing frames, closing — and feeds back
/// what happened. It makes no decision of its own.
///
/// Replies leave as soon as they are ready, so they may leave in a different
/// order than requests came; clients match by `id`. Replies written in one
/// turn are flushed together with one completion callback (`flush(batch:)`),
/// which is how the machine learns which bytes have reached the socket.
///
/// Confined to its channel's event loop, as every NIO handler is.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Never
    typealias OutboundOut = ByteBuffer
    typealias Machine = ConnectionStateMachine<Request>

    private let dispatcher: Dispatcher
    private let budget: MemoryBudget
    private let maxReplyBytes: Int
    private let logger: Logger
    private let connectionID: UInt64
    private let peer: PeerCredentials?
    /// "conn 3, uid 1001": how log lines name the connection.
    private let who: String

    private var machine: Machine
    /// Bytes read and not yet decoded: complete frames waiting, then the
    /// frame in progress.
    private var input: ByteBuffer?
    /// The last reply written since the last flush: it is written with the
    /// flush's promise, so one callback covers the whole batch.
    private var deferred: ByteBuffer?
    /// When the frames now buffered were read (request deadlines count from it).
    private var framesReceivedAt: NIODeadline
    private var timer: Scheduled<Void>?
    private var waiter: MemoryBudget.Waiter?
    private var pumping = false
    private var pumpAgain = false

    init(
        dispatcher: Dispatcher, budget: MemoryBudget, connectionID: UInt64, peer: PeerCredentials?,
        limits: Machine.Limits, maximumFrameBytes: Int, frameLimitReason: String?, logger: Logger, now: NIODeadline = .now()
    ) {
        self.dispatcher = dispatcher
        self.budget = budget
        self.maxReplyBytes = limits.maxReplyBytes
        self.connectionID = connectionID
        self.peer = peer
        self.machine = Machine(limits: limits, maximumFrameBytes: maximumFrameBytes, frameLimitReason: frameLimitReason, now: now)
        self.framesReceivedAt = now
        self.who = "conn \(connectionID), uid \(peer.map { String($0.uid) } ?? "-")"
        var logger = logger
        logger[metadataKey: "conn"] = "\(connectionID)"
        if let peer {
            logger[metadataKey: "peer_uid"] = "\(peer.uid)"
            logger[metadataKey: "peer_pid"] = "\(peer.pid)"
        }
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        waiter = MemoryBudget.Waiter(id: connectionID) { bytes in
            loop.execute { handler.value.budgetWoken(bytes, context: bound.value) }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // The waiter's closure holds this handler: let both go.
        waiter = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        dispatcher.statistics.connectionOpened(id: connectionID, peer: peer)
        logger.debug("connection opened (\(who))")
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        dispatcher.statistics.connectionClosed(id: connectionID)
        logger.debug("connection closed (\(who))", metadata: ["running": "\(machine.running)", "waiting": "\(machine.bufferedFrames)"])
        machine.channelClosed()
        budget.cancel(waiterID: connectionID)
        timer?.cancel()
        timer = nil
        dropInput()
        deferred = nil
        pump(context: context)
        context.fireChannelInactive()
    }

    // MARK: events from the channel

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let now = context.eventLoop.now
        let keep = buffer.withUnsafeReadableBytes { machine.bytesReceived($0, now: now) }
        if keep > 0 {
            framesReceivedAt = now
            if keep < buffer.readableBytes { buffer.moveWriterIndex(to: buffer.readerIndex + keep) }
            if input == nil || input?.readableBytes == 0 {
                input = buffer
            } else {
                input?.writeBuffer(&buffer)
            }
        }
        pump(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        pump(context: context)
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        machine.readRequested()
        pump(context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            // Nothing received for the idle timeout: close once nothing is in progress.
            if machine.drain(idleOnly: true) { logger.debug("closing idle connection (\(who))") }
            pump(context: context)
            return
        }
        if event is DrainEvent {
            machine.drain()
            pump(context: context)
            return
        }
        if (event as? ChannelEvent) == .inputClosed {
            // The client finished sending: answer what was read, then close.
            machine.inputClosed()
            pump(context: context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let ioError = error as? IOError, ioError.errnoCode == ECONNRESET || ioError.errnoCode == EPIPE {
            logger.debug("connection reset by peer (\(who))")
        } else {
            logger.notice("connection error, closing (\(who)): \(error)", metadata: ["error": "\(error)"])
        }
        context.close(promise: nil)
    }

    // MARK: performing the machine's actions

    private func pump(context: ChannelHandlerContext) {
        guard !pumping else {
            pumpAgain = true
            return
        }
        pumping = true
        repeat {
            pumpAgain = false
            while let action = machine.next(now: context.eventLoop.now) {
                perform(action, context: context)
            }
        } while pumpAgain
        pumping = false
    }

    private func perform(_ action: Machine.Action, context: ChannelHandlerContext) {
        switch action {
        case .read:
            context.read()
        case .checkReadPermission(let large):
            machine.readPermission(granted: waiter.map { budget.mayRead(large: large, waiter: $0) } ?? true)
        case .reserve(let bytes):
            machine.reservation(granted: waiter.map { budget.reserve(bytes, waiter: $0) } ?? false, now: context.eventLoop.now)
        case .decodeNextFrame:
            decodeHead(context: context)
        case .dispatch(let request, let ticket):
            dispatch(request, ticket: ticket, context: context)
        case .writeFinalError(let error):
            writeFinal(error, context: context)
        case .flush(let batch):
            flush(batch: batch, context: context)
        case .discardInput(let keeping):
            discardInput(keeping: keeping, allocator: context.channel.allocator)
        case .scheduleTimer(let deadline):
            timer?.cancel()
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(deadline: deadline) {
                handler.value.timerFired(context: bound.value)
            }
        case .adjustBudget(let delta):
            budget.adjust(delta)
        case .cancelBudgetWait:
            budget.cancel(waiterID: connectionID)
        case .close(let reason):
            if case .stalledReplies(let unsent) = reason {
                logger.notice(
                    "closing connection (\(who)): its client read none of \(unsent) reply bytes for \(Self.seconds(machine.limits.stallTimeout)) while the memory budget of \(budget.limit) bytes was exhausted",
                    metadata: ["code": "RESOURCE_EXHAUSTED", "unsent_bytes": "\(unsent)"]
                )
            }
            context.close(promise: nil)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        machine.timerFired(now: context.eventLoop.now, underPressure: budget.isUnderPressure)
        pump(context: context)
    }

    private func budgetWoken(_ bytes: Int, context: ChannelHandlerContext) {
        if bytes > 0 && machine.awaitedReservation != bytes {
            // Granted after this connection stopped needing it.
            budget.adjust(-bytes)
            return
        }
        machine.budgetGranted(now: context.eventLoop.now)
        pump(context: context)
    }

    // MARK: frames and requests

    /// Decodes the frame at the head of the input (the machine knows it is
    /// whole) and tells the machine what it is.
    private func decodeHead(context: ChannelHandlerContext) {
        guard let length = input.flatMap({ $0.getInteger(at: $0.readerIndex, endianness: .little, as: Int32.self) }),
              let bytes = input?.readBytes(length: Int(length))
        else {
            // Cannot happen: the machine counted a whole frame here.
            machine.headInvalid(size: 0, error: .invalidDocument("internal error: the frame is not in the input buffer"))
            return
        }
        releaseConsumedInput(allocator: context.channel.allocator)
        let frame: ReceivedFrame
        do {
            frame = try ReceivedFrame(validating: bytes)
        } catch {
            machine.headInvalid(size: bytes.count, error: error)
            return
        }
        switch Request.parse(frame) {
        case .success(let request):
            let unbounded = dispatcher.descriptor(of: request.op)?.group == .read
            machine.headDecoded(request, size: bytes.count, unbounded: unbounded)
        case .failure(let rejection):
            let ticket = machine.headRejected(size: bytes.count)
            dispatcher.statistics.badRequest()
            logger.info(
                "request refused: \(rejection.error.code.rawValue) (\(who)): \(rejection.error.message)",
                metadata: ["id": "\(rejection.id.map(String.init(describing:)) ?? "-")", "code": "\(rejection.error.code.rawValue)"]
            )
            let written = write(.failure(id: rejection.id, error: rejection.error), context: context)
            machine.requestFinished(ticket, replyBytes: written, now: context.eventLoop.now)
        }
    }

    private func dispatch(_ request: Request, ticket: Machine.Ticket, context: ChannelHandlerContext) {
        let requestContext = RequestContext(
            eventLoop: context.eventLoop,
            logger: logger,
            connectionID: connectionID,
            receivedAt: framesReceivedAt,
            deadline: request.deadlineMilliseconds.map { framesReceivedAt + .milliseconds($0) },
            peer: peer
        )
        switch dispatcher.dispatch(request, context: requestContext) {
        case .reply(let reply):
            finished(reply, op: request.op, ticket: ticket, context: context)
        case .pending(let future):
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let id = request.id
            let op = request.op
            future.whenComplete { result in
                let reply: Reply
                switch result {
                case .success(let value): reply = value
                case .failure(let error): reply = .failure(id: id, error: WireError(.internalError, "internal error: \(error)"))
                }
                handler.value.finished(reply, op: op, ticket: ticket, context: bound.value)
                handler.value.pump(context: bound.value)
            }
        }
    }

    private func finished(_ reply: Reply, op: String, ticket: Machine.Ticket, context: ChannelHandlerContext) {
        if case .failure(_, let error) = reply {
            logger.info(
                "request failed: \(op) \(error.code.rawValue) (\(who))",
                metadata: ["op": "\(op)", "id": "\(reply.id.map(String.init(describing:)) ?? "-")", "code": "\(error.code.rawValue)"]
            )
        }
        let written = machine.isClosed ? 0 : write(reply, context: context)
        machine.requestFinished(ticket, replyBytes: written, now: context.eventLoop.now)
    }

    private func writeFinal(_ error: Machine.FinalError, context: ChannelHandlerContext) {
        let wire: WireError
        switch error {
        case .badFrame(let frameError):
            dispatcher.statistics.badFrame()
            wire = WireError(.badFrame, frameError.description)
            logger.notice(
                "bad frame (\(who)): \(frameError.description); closing after the replies to the requests read before it",
                metadata: ["code": "BAD_FRAME", "error": "\(frameError)"]
            )
        case .stalled(let heldBytes):
            wire = WireError(
                .resourceExhausted,
                "the server's memory budget is exhausted and this connection held \(heldBytes) bytes of an unfinished frame for \(Self.seconds(machine.limits.stallTimeout)) without sending more; closing"
            )
            logger.notice(
                "closing connection (\(who)): it held \(heldBytes) bytes of an unfinished frame for \(Self.seconds(machine.limits.stallTimeout)) without sending more while the memory budget of \(budget.limit) bytes was exhausted",
                metadata: ["code": "RESOURCE_EXHAUSTED", "held_bytes": "\(heldBytes)"]
            )
        }
        let written = write(.failure(id: nil, error: wire), context: context)
        machine.finalErrorWritten(bytes: written, now: context.eventLoop.now)
    }

    // MARK: bytes

    /// Encodes a reply into the outgoing buffer; returns its size. A reply
    /// over the largest message is replaced by RESOURCE_EXHAUSTED (§5.4).
    private func write(_ reply: Reply, context: ChannelHandlerContext) -> Int {
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
        if let previous = deferred {
            context.write(wrapOutboundOut(previous), promise: nil)
        }
        deferred = buffer
        return size
    }

    private func flush(batch: Int, context: ChannelHandlerContext) {
        guard let last = deferred else {
            context.flush()
            machine.flushCompleted(batch: batch, now: context.eventLoop.now)
            return
        }
        deferred = nil
        let promise = context.eventLoop.makePromise(of: Void.self)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        promise.futureResult.whenComplete { _ in
            // Written, or failed because the connection closed: either way
            // these bytes are no longer held.
            handler.value.machine.flushCompleted(batch: batch, now: bound.value.eventLoop.now)
            handler.value.pump(context: bound.value)
        }
        context.write(wrapOutboundOut(last), promise: promise)
        context.flush()
    }

    /// Lets go of the input's storage once it holds little of what it was
    /// grown for (a large frame), so a burst's buffers are freed as it ends.
    private func releaseConsumedInput(allocator: ByteBufferAllocator) {
        guard let buffer = input else { return }
        if buffer.readableBytes == 0 {
            dropInput()
        } else if buffer.capacity > 2 * machine.limits.smallBytes, buffer.readableBytes <= buffer.capacity / 4 {
            var compact = allocator.buffer(capacity: buffer.readableBytes)
            compact.writeImmutableBuffer(buffer)
            dropInput()
            input = compact
        }
    }

    /// Lets go of the input buffer. A large one (a frame of megabytes) is
    /// freed on a background thread: unmapping its pages takes milliseconds
    /// that this event loop's other connections would otherwise wait.
    private func dropInput() {
        guard let capacity = input?.capacity else { return }
        guard capacity > Self.freeOffLoopBytes else {
            input = nil
            return
        }
        // The box takes the only reference, so the last release is the queue's.
        let box = ReleasedBuffer()
        swap(&box.buffer, &input)
        Self.releaseQueue.async { box.buffer = nil }
    }

    private static let freeOffLoopBytes = 1 << 20
    private static let releaseQueue = DispatchQueue(label: "deltastore.buffer-release", qos: .utility)

    /// A buffer on its way to be freed on `releaseQueue`: touched by the
    /// handler only before the hand-off, by the queue only after.
    private final class ReleasedBuffer: @unchecked Sendable {
        var buffer: ByteBuffer?
    }

    private func discardInput(keeping: Int, allocator: ByteBufferAllocator) {
        guard var buffer = input else { return }
        if keeping <= 0 {
            dropInput()
            return
        }
        buffer.moveWriterIndex(to: buffer.readerIndex + min(keeping, buffer.readableBytes))
        input = buffer
        releaseConsumedInput(allocator: allocator)
    }

    private static func seconds(_ amount: TimeAmount) -> String {
        let value = Double(amount.nanoseconds) / 1e9
        return value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
