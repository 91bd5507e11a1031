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
/// It is also the request path, written to cost what a minimal server's does:
/// - Frames are validated and their envelopes read where they arrived, in
///   the buffer of the read (`RequestEnvelope`); a decoded request waiting
///   to start keeps its frame at the front of the input until it runs. The
///   buffer NIO read into is used as it is and dropped by the end of the
///   read, so NIO reuses it; only bytes that must wait (a frame not complete,
///   requests not started) are copied, into a buffer lent by the loop's
///   `BufferPool`.
/// - `ping`, `hello` and a cached `auth.verify` are answered inline
///   (`Dispatcher.answerInline`): no `Request`, no `BSONDocument`, no
///   allocation.
/// - Replies leave as soon as they are ready, so they may leave in a
///   different order than requests came (clients match by `id`). Those of
///   one turn are gathered in one buffer (lent by the pool) and written with
///   one write and one flush, and no promise: the channel's write-buffer
///   water marks are both 1 byte (`DeltaStoreServer`), so `isWritable` right
///   after the flush says whether the socket took everything, and a
///   writability change says when it took the rest. That is how the machine
///   learns which bytes have reached the socket (`flushCompleted(batch:)`).
///
/// Confined to its channel's event loop, as every NIO handler is.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Never
    typealias OutboundOut = ByteBuffer
    typealias Machine = ConnectionStateMachine<PendingRequest>

    /// A request decoded at the head of the input, waiting to be dispatched:
    /// its frame stays the first `frameLength` bytes of `input` until then,
    /// and its fields are places in that frame. Plain numbers only, so that
    /// passing it through the machine copies bytes and counts no reference.
    struct PendingRequest {
        /// The `id` element (type, key, value), copied as it is into the reply.
        var idElement: Range<Int>
        /// The UTF-8 bytes of `op`.
        var op: Range<Int>
        /// The operation's index in the dispatcher (`Dispatcher.route(at:)`);
        /// nil for one the server does not have (UNKNOWN_OP).
        var route: Int?
        var frameLength: Int
        /// Where `args` is in the frame, if the request has them.
        var args: Range<Int>?
        var deadlineMilliseconds: Int64?
    }

    private let dispatcher: Dispatcher
    private let budget: MemoryBudget
    private let maxReplyBytes: Int
    private let logger: Logger
    private let connectionID: UInt64
    private let peer: PeerCredentials?
    /// "conn 3, uid 1001": how log lines name the connection.
    private let who: String
    private let pool: BufferPool
    private var recorder: ServerStatistics.Recorder?
    /// The route of the last request decoded: a connection mostly sends one
    /// operation again and again, found then without a look-up.
    private var lastRoute: Dispatcher.Route?

    private var machine: Machine
    /// Bytes read and not yet consumed: the frame of a decoded request not
    /// yet started, complete frames waiting, then the frame in progress.
    private var input: ByteBuffer?
    /// `input` is the buffer of the read being handled (NIO's), not one of
    /// the pool's: it is given up before `channelRead` returns.
    private var inputIsReadBuffer = false
    /// The frame of the decoded request at the front of `input`, if any.
    private var headBytes = 0
    /// Replies written since the last flush.
    private var output: ByteBuffer?
    /// Bytes flushed that the socket has not taken yet (the channel is not
    /// writable until it has).
    private var awaitingDrain = 0
    /// When the frames now buffered were read (request deadlines count from it).
    private var framesReceivedAt: NIODeadline
    private var timer: Scheduled<Void>?
    private var waiter: MemoryBudget.Waiter?
    private var pumping = false
    private var pumpAgain = false
    /// When the current turn of `pump` began: the time of what the turn
    /// finishes inline, for the machine (whose times are timeouts of seconds).
    private var turnStarted: NIODeadline

    init(
        dispatcher: Dispatcher, budget: MemoryBudget, pool: BufferPool, connectionID: UInt64, peer: PeerCredentials?,
        limits: Machine.Limits, maximumFrameBytes: Int, frameLimitReason: String?, logger: Logger, now: NIODeadline = .now()
    ) {
        self.dispatcher = dispatcher
        self.budget = budget
        self.pool = pool
        self.maxReplyBytes = limits.maxReplyBytes
        self.connectionID = connectionID
        self.peer = peer
        self.machine = Machine(limits: limits, maximumFrameBytes: maximumFrameBytes, frameLimitReason: frameLimitReason, now: now)
        self.framesReceivedAt = now
        self.turnStarted = now
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
        recorder = dispatcher.statistics.recorder(for: loop)
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
        headBytes = 0
        output = nil
        awaitingDrain = 0
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
            if input == nil {
                // Used where it is; what must wait is copied out below.
                input = buffer
                inputIsReadBuffer = true
            } else {
                input?.writeBuffer(&buffer)
            }
        }
        pump(context: context)
        if inputIsReadBuffer { keepWaitingInput() }
    }

    /// The bytes of the read that were not consumed move to a buffer of the
    /// pool, so that the read's buffer goes back to NIO.
    private func keepWaitingInput() {
        inputIsReadBuffer = false
        guard let read = input else { return }
        input = nil
        guard read.readableBytes > 0 else { return }
        var kept = pool.take(capacity: read.readableBytes)
        kept.writeImmutableBuffer(read)
        input = kept
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if awaitingDrain > 0, context.channel.isWritable {
            // The socket took everything flushed.
            let batch = awaitingDrain
            awaitingDrain = 0
            machine.flushCompleted(batch: batch, now: context.eventLoop.now)
            pump(context: context)
        }
        context.fireChannelWritabilityChanged()
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
            // One reading of the clock per turn: the machine's times are
            // timeouts of seconds, a turn takes microseconds.
            let now = context.eventLoop.now
            turnStarted = now
            while let action = machine.next(now: now) {
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
            discardInput(keeping: keeping)
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

    /// What the frame at the head of the input turned out to be.
    private enum Head {
        case invalid(FrameError)
        case rejected(RequestRejection)
        case request(PendingRequest, unbounded: Bool)
    }

    /// Decodes the frame at the head of the input (the machine knows it is
    /// whole) where it is, and tells the machine what it is. A request's
    /// frame stays in the input until the request is dispatched.
    private func decodeHead(context: ChannelHandlerContext) {
        let decoded: (length: Int, head: Head)? = input?.withUnsafeReadableBytes { raw -> (length: Int, head: Head)? in
            guard raw.count >= 4 else { return nil }
            let length = Int(Int32(littleEndian: raw.loadUnaligned(as: Int32.self)))
            guard length >= 5, length <= raw.count else { return nil }
            let frame = UnsafeRawBufferPointer(rebasing: raw[0..<length])
            let embeddedNUL: [String]?
            do throws(FrameError) {
                embeddedNUL = try ReceivedFrame.validate(frame)
            } catch {
                return (length, .invalid(error))
            }
            switch RequestEnvelope.parse(BSONDocumentView(unsafeValidatedBytes: frame), firstEmbeddedNUL: embeddedNUL) {
            case .failure(let rejection):
                return (length, .rejected(rejection))
            case .success(let envelope):
                guard let base = frame.baseAddress else { return nil }
                func place(_ bytes: UnsafeRawBufferPointer) -> Range<Int> {
                    let offset = bytes.baseAddress.map { $0 - base } ?? 0
                    return offset..<(offset + bytes.count)
                }
                let route: Dispatcher.Route?
                if let last = lastRoute, last.isNamed(envelope.opBytes) {
                    route = last
                } else {
                    route = dispatcher.route(utf8: envelope.opBytes)
                    if route != nil { lastRoute = route }
                }
                let pending = PendingRequest(
                    idElement: place(envelope.idElement.elementBytes), op: place(envelope.opBytes), route: route?.index,
                    frameLength: length, args: envelope.args.map { place($0.bytes) }, deadlineMilliseconds: envelope.deadlineMilliseconds
                )
                return (length, .request(pending, unbounded: route?.isUnbounded ?? false))
            }
        }
        guard let decoded else {
            // Cannot happen: the machine counted a whole frame here.
            machine.headInvalid(size: 0, error: .invalidDocument("internal error: the frame is not in the input buffer"))
            return
        }
        switch decoded.head {
        case .invalid(let error):
            consumeInput(decoded.length)
            machine.headInvalid(size: decoded.length, error: error)
        case .rejected(let rejection):
            consumeInput(decoded.length)
            let ticket = machine.headRejected(size: decoded.length)
            dispatcher.statistics.badRequest()
            logger.info(
                "request refused: \(rejection.error.code.rawValue) (\(who)): \(rejection.error.message)",
                metadata: ["id": "\(rejection.id.map(String.init(describing:)) ?? "-")", "code": "\(rejection.error.code.rawValue)"]
            )
            let written = write(.failure(id: rejection.id, error: rejection.error), context: context)
            machine.requestFinished(ticket, replyBytes: written, now: context.eventLoop.now)
        case .request(let pending, let unbounded):
            headBytes = decoded.length
            machine.headDecoded(pending, size: decoded.length, unbounded: unbounded)
        }
    }

    private func dispatch(_ pending: PendingRequest, ticket: Machine.Ticket, context: ChannelHandlerContext) {
        let route = pending.route.flatMap { dispatcher.route(at: $0) }
        if let route, route.hasInline, let written = answerInline(pending, route: route) {
            consumeInput(pending.frameLength)
            headBytes = 0
            machine.requestFinished(ticket, replyBytes: written, now: turnStarted)
            return
        }
        // The general path: the request is copied out of the input.
        guard let request = input?.withUnsafeReadableBytes({ raw in Self.request(pending, in: raw) }) else {
            // Cannot happen: the frame stays in the input until this point.
            consumeInput(pending.frameLength)
            headBytes = 0
            finished(.failure(id: nil, error: WireError(.internalError, "internal error: the request is not in the input buffer")), op: "-", ticket: ticket, context: context)
            return
        }
        consumeInput(pending.frameLength)
        headBytes = 0
        let requestContext = RequestContext(
            eventLoop: context.eventLoop,
            logger: logger,
            connectionID: connectionID,
            receivedAt: framesReceivedAt,
            deadline: request.deadlineMilliseconds.map { framesReceivedAt + .milliseconds($0) },
            peer: peer
        )
        switch dispatcher.dispatch(request, route: route, context: requestContext, recorder: recorder) {
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

    /// The reply of an inline operation, written from the frame where it is
    /// (the first bytes of the input); its size, or nil when the general path
    /// must answer (also for a reply larger than the largest message).
    private func answerInline(_ pending: PendingRequest, route: Dispatcher.Route) -> Int? {
        guard let recorder, machine.isClosed == false else { return nil }
        if output == nil { output = pool.take(capacity: 512) }
        let start = output?.writerIndex ?? 0
        let written: Int? = input?.withUnsafeReadableBytes { raw in
            guard pending.frameLength <= raw.count, pending.idElement.upperBound <= pending.frameLength else { return nil }
            var args: BSONDocumentView?
            if let range = pending.args {
                guard range.upperBound <= pending.frameLength else { return nil }
                args = BSONDocumentView(unsafeValidatedBytes: UnsafeRawBufferPointer(rebasing: raw[range]))
            }
            return dispatcher.answerInline(
                route, idElement: UnsafeRawBufferPointer(rebasing: raw[pending.idElement]), args: args, peer: peer,
                receivedAt: framesReceivedAt, recorder: recorder, into: &output!
            )
        }
        guard let written else { return nil }
        guard written <= maxReplyBytes else {
            output?.moveWriterIndex(to: start)
            return nil
        }
        return written
    }

    /// The request of `pending` as an owned value, read from its frame at
    /// the front of `input` (`raw`); nil if the frame is not there.
    private static func request(_ pending: PendingRequest, in raw: UnsafeRawBufferPointer) -> Request? {
        guard pending.frameLength <= raw.count, pending.idElement.upperBound <= pending.frameLength, pending.op.upperBound <= pending.frameLength else { return nil }
        guard let idElement = BSONElementView(elementBytes: UnsafeRawBufferPointer(rebasing: raw[pending.idElement])) else { return nil }
        let id = RequestEnvelope.requestID(idElement)
        var args = BSONDocument()
        if let range = pending.args {
            guard range.upperBound <= pending.frameLength else { return nil }
            args = BSONDocument(copying: BSONDocumentView(unsafeValidatedBytes: UnsafeRawBufferPointer(rebasing: raw[range])))
        }
        let op = String(decoding: UnsafeRawBufferPointer(rebasing: raw[pending.op]), as: UTF8.self)
        return Request(id: id, op: op, args: args, deadlineMilliseconds: pending.deadlineMilliseconds)
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
        if output == nil { output = pool.take(capacity: size) }
        reply.write(into: &output!)
        return size
    }

    /// Writes what was gathered with one write and one flush. If the channel
    /// is writable again right after, the socket took all of it (the water
    /// marks are 1 byte): the batch is done and the buffer goes back to the
    /// pool. Otherwise the batch waits for `channelWritabilityChanged`.
    private func flush(batch: Int, context: ChannelHandlerContext) {
        var written = output
        output = nil
        if let written { context.write(wrapOutboundOut(written), promise: nil) }
        context.flush()
        guard context.channel.isWritable else {
            awaitingDrain += batch
            return
        }
        let done = awaitingDrain + batch
        awaitingDrain = 0
        if written != nil { pool.give(&written!) }
        machine.flushCompleted(batch: done, now: context.eventLoop.now)
    }

    /// Drops `count` consumed bytes from the front of the input; an emptied
    /// input goes back (the read's buffer to NIO, the pool's to the pool).
    private func consumeInput(_ count: Int) {
        guard let readable = input?.readableBytes else { return }
        input?.moveReaderIndex(forwardBy: min(count, readable))
        releaseConsumedInput()
    }

    /// Lets go of the input once it is empty, and of its storage once it
    /// holds little of what it was grown for (a large frame), so a burst's
    /// buffers are freed as it ends.
    private func releaseConsumedInput() {
        guard let readable = input?.readableBytes, let capacity = input?.capacity else { return }
        if readable == 0 {
            dropInput()
        } else if !inputIsReadBuffer, capacity > 2 * machine.limits.smallBytes, readable <= capacity / 4 {
            var compact = pool.take(capacity: readable)
            if let old = input { compact.writeImmutableBuffer(old) }
            dropInput()
            input = compact
        }
    }

    /// Lets go of the input buffer: the read's back to NIO, a small one of
    /// ours to the pool. A large one (a frame of megabytes) is freed on a
    /// background thread: unmapping its pages takes milliseconds that this
    /// event loop's other connections would otherwise wait.
    private func dropInput() {
        guard var buffer = input else { return }
        input = nil
        if inputIsReadBuffer { return }
        guard buffer.capacity > Self.freeOffLoopBytes else {
            pool.give(&buffer)
            return
        }
        // The box takes the only reference, so the last release is the queue's.
        let box = ReleasedBuffer()
        box.buffer = buffer
        buffer = ByteBuffer()
        Self.releaseQueue.async { box.buffer = nil }
    }

    private static let freeOffLoopBytes = 1 << 20
    private static let releaseQueue = DispatchQueue(label: "deltastore.buffer-release", qos: .utility)

    /// A buffer on its way to be freed on `releaseQueue`: touched by the
    /// handler only before the hand-off, by the queue only after.
    private final class ReleasedBuffer: @unchecked Sendable {
        var buffer: ByteBuffer?
    }

    /// Keeps the first `keeping` bytes after the frame of the decoded request
    /// waiting at the front (that frame stays until it runs).
    private func discardInput(keeping: Int) {
        guard let readable = input?.readableBytes else { return }
        let keep = keeping + headBytes
        if keep <= 0 {
            dropInput()
            return
        }
        if let readerIndex = input?.readerIndex {
            input?.moveWriterIndex(to: readerIndex + min(keep, readable))
        }
        releaseConsumedInput()
    }

    private static func seconds(_ amount: TimeAmount) -> String {
        let value = Double(amount.nanoseconds) / 1e9
        return value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
