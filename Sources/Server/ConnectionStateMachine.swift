import NIOCore
import WireProtocol

/// Everything one connection decides on, as a value: the requests running
/// and the frames waiting, whether it reads or is paused and why, the reply
/// bytes not yet written, what it holds of the daemon's memory budget, the
/// progress and the clock of the frame arriving, and how it ends.
///
/// It does no I/O. Events (`bytesReceived`, `requestFinished`,
/// `timerFired`, …) change it; `next(now:)` then says, one at a time, what
/// the connection must do (`Action`), until it says nothing. The channel
/// handler only performs those actions. So every rule of PROTOCOL.md §3, §7
/// and §8 is decided here, and tested here without a socket.
///
/// The rules it keeps:
/// - Frames are taken in order. A complete frame waits, undecoded, until a
///   request can start: fewer than `maxInFlight` run, the unsent reply bytes
///   are under `maxUnsentBytes`, and — for a request whose reply size is not
///   bounded (the read operations) — no other such request runs and the daemon
///   budget gave room for a reply of `maxReplyBytes`.
/// - The socket is read only while nothing waits, fewer than `maxInFlight`
///   run, the unsent bytes are under `maxUnsentBytes`, and the daemon budget
///   allows it (`checkReadPermission`). A frame longer than `smallBytes` gets
///   its whole declared length reserved in the budget before its body is read.
/// - The frame clock runs only while the frame is incomplete and the server
///   reads: time the server itself is not reading does not count.
/// - A framing error, a frame timeout, an end of input inside a frame or a
///   stall under memory pressure stops the reading; every frame complete
///   before it is still run and answered, then the final error reply (no
///   `id`) is written, then the connection closes after its last write.
struct ConnectionStateMachine<Pending> {
    struct Limits: Sendable, Equatable {
        var maxInFlight: Int
        /// Reply bytes written to the channel but not yet to the socket, past
        /// which no request starts and nothing is read.
        var maxUnsentBytes: Int
        /// What a request whose reply size is not bounded holds in the daemon
        /// budget while it runs: the largest reply the server sends.
        var maxReplyBytes: Int
        var frameTimeout: TimeAmount
        /// How long a connection may hold memory without progress while the
        /// daemon budget is exhausted before it is closed.
        var stallTimeout: TimeAmount
        /// Frames up to this size need no reservation; a connection holding
        /// more than this counts as holding much (it stops reading first).
        var smallBytes: Int = 65_536
        /// What a request costs beyond its frame while it runs.
        var requestOverhead: Int = 256
    }

    /// A started request's share of the budget, given back with its reply.
    struct Ticket: Sendable, Equatable {
        var bytes: Int
        /// Its reply size is not bounded: it also holds `maxReplyBytes`.
        var unbounded: Bool
    }

    /// The last reply of a connection that ends on an error, without `id`.
    enum FinalError: Sendable, Equatable {
        case badFrame(FrameError)
        /// Under memory pressure, the client held `heldBytes` of an
        /// unfinished frame without sending more for `stallTimeout`.
        case stalled(heldBytes: Int)
    }

    enum CloseReason: Sendable, Equatable {
        /// Everything to send was written.
        case finished
        /// Under memory pressure, the client read none of its `unsentBytes`
        /// reply bytes for `stallTimeout`.
        case stalledReplies(unsentBytes: Int)
    }

    enum Action {
        /// Pass the read on to the socket.
        case read
        /// Ask the daemon budget whether this connection may read; answer
        /// with `readPermission(granted:)` (refused: wait for `budgetGranted`).
        case checkReadPermission(large: Bool)
        /// Reserve this many bytes in the daemon budget; answer with
        /// `reservation(granted:)` (refused: wait for `budgetGranted`).
        case reserve(Int)
        /// Decode the frame at the head of the input and answer at once with
        /// `headInvalid`, `headRejected` or `headDecoded`.
        case decodeNextFrame
        /// Run the request; give the ticket back with `requestFinished`.
        case dispatch(Pending, Ticket)
        /// Write the final error reply and report it with `finalErrorWritten`.
        case writeFinalError(FinalError)
        /// Flush what was written; report with `flushCompleted(batch:)` once the
        /// socket took it (or the write failed).
        case flush(batch: Int)
        /// Keep only the first `keeping` bytes of the buffered input.
        case discardInput(keeping: Int)
        case scheduleTimer(NIODeadline)
        /// Add this (possibly negative) number of bytes to the daemon budget.
        case adjustBudget(Int)
        /// Withdraw from the daemon budget's queue: what it waited for is no
        /// longer needed.
        case cancelBudgetWait
        case close(CloseReason)
    }

    private enum Phase: Equatable {
        case serving
        /// No more input: answer what was read, then close.
        case ending
        case closed
    }

    private enum BudgetWait: Equatable {
        case read
        case frame(Int)
        case reply
    }

    let limits: Limits
    private var progress: FrameProgress

    // Input.
    /// Complete frames at the head of the input, not decoded yet.
    private(set) var bufferedFrames = 0
    private(set) var bufferedFrameBytes = 0
    /// What the frame in progress holds in `held` (0 before it is charged).
    private var partialCharge = 0
    /// A large frame in progress that needs room in the budget before more is read.
    private var partialNeedsReservation: Int?
    private var inputStopped = false
    private var decoding = false
    /// A decoded request that could not start yet.
    private var head: (pending: Pending, ticket: Ticket)?
    private var headReserved = false

    // Requests and replies.
    private(set) var running = 0
    private(set) var runningUnbounded = 0
    /// What the running requests hold in `held` (kept until they finish, even
    /// after the connection closed: their memory is real until then).
    private var runningCharge = 0
    private(set) var unsent = 0
    private var unflushed = 0

    // The daemon budget.
    /// Everything this connection holds: frames, running requests, unsent replies.
    private(set) var held = 0
    /// What the daemon budget was told of `held`.
    private var reported = 0
    private var budgetWait: BudgetWait?
    private var cancelWaitPending = false
    private var readPermitted = false

    // Reading, timing, ending.
    private var wantsRead = false
    private var phase = Phase.serving
    private var finalError: FinalError?
    private var finalErrorEmitted = false
    private var discardPending = false
    private var closeRequested: CloseReason?
    private var clockAccumulated = TimeAmount.zero
    private var clockRunningSince: NIODeadline?
    private var clockActive = false
    private var lastInputAt: NIODeadline
    private var lastOutputAt: NIODeadline
    private var lastStallCheck: NIODeadline
    private var timerAt: NIODeadline?

    init(limits: Limits, maximumFrameBytes: Int, frameLimitReason: String? = nil, now: NIODeadline) {
        self.limits = limits
        self.progress = FrameProgress(maximumFrameBytes: maximumFrameBytes, limitReason: frameLimitReason)
        self.lastInputAt = now
        self.lastOutputAt = now
        self.lastStallCheck = now
    }

    // MARK: what it holds, for logs and tests

    var isInsideFrame: Bool { progress.isInsideFrame && !inputStopped }
    var isClosed: Bool { phase == .closed }
    var isEnding: Bool { phase != .serving }
    /// The partial frame's bytes received so far (for the stall message).
    var receivedOfCurrentFrame: Int { progress.receivedOfCurrentFrame }
    /// Time the frame in progress has spent arriving while the server read.
    func frameClock(now: NIODeadline) -> TimeAmount {
        clockAccumulated + (clockRunningSince.map { now - $0 } ?? .zero)
    }

    /// Why reading is held back now (empty: it reads, or would).
    var readPauses: ConnectionReadPause {
        var pauses: ConnectionReadPause = []
        if phase != .serving || inputStopped { pauses.insert(.ending) }
        if bufferedFrames > 0 || head != nil { pauses.insert(.waiting) }
        if running >= limits.maxInFlight { pauses.insert(.inFlight) }
        if unsent >= limits.maxUnsentBytes { pauses.insert(.unsentReplies) }
        switch budgetWait {
        case .read, .frame: pauses.insert(.memoryBudget)
        case .reply, nil: break
        }
        return pauses
    }

    private var canStart: Bool { running < limits.maxInFlight && unsent < limits.maxUnsentBytes }

    // MARK: events: input

    /// NIO asks for more bytes.
    mutating func readRequested() {
        wantsRead = true
    }

    /// Bytes arrived; returns how many of them to keep (the rest belong to a
    /// bad frame, or arrived after the input stopped).
    mutating func bytesReceived(_ bytes: UnsafeRawBufferPointer, now: NIODeadline) -> Int {
        guard phase == .serving, !inputStopped else { return 0 }
        lastInputAt = now
        var offset = 0
        while true {
            switch progress.advance(bytes, from: &offset) {
            case .needMore:
                chargePartialFrame(now: now)
                return bytes.count
            case .started:
                continue
            case .completed(let length):
                if partialCharge > 0 {
                    partialCharge = 0
                } else {
                    held += length
                }
                bufferedFrames += 1
                bufferedFrameBytes += length
                clockActive = false
                clockAccumulated = .zero
                clockRunningSince = nil
            case .failed(let error):
                stopInput(with: .badFrame(error))
                // Keep the frames complete before the bad one (its prefix may
                // have begun in an earlier read: `discardInput` drops that).
                return max(0, offset - 4)
            }
        }
    }

    /// The frame left incomplete by a read: a small one is charged its
    /// declared length, a large one waits for room; its clock starts.
    private mutating func chargePartialFrame(now: NIODeadline) {
        guard progress.isInsideFrame else { return }
        if !clockActive {
            clockActive = true
            clockAccumulated = .zero
            clockRunningSince = now
        }
        guard partialCharge == 0, partialNeedsReservation == nil, let length = progress.currentLength else { return }
        if length <= limits.smallBytes {
            partialCharge = length
            held += length
        } else {
            partialNeedsReservation = length
        }
    }

    /// The client shut down its side (or the stream ended).
    mutating func inputClosed() {
        guard phase == .serving else { return }
        if progress.isInsideFrame && !inputStopped {
            let received = progress.receivedOfCurrentFrame
            stopInput(with: .badFrame(.truncated(received: received, expected: progress.currentLength ?? 4)))
        } else {
            stopInput(with: nil)
        }
    }

    /// Shutdown (answer what was read, then close) or the idle timeout
    /// (close only if nothing is in progress). Returns false when an idle
    /// connection turned out busy.
    @discardableResult
    mutating func drain(idleOnly: Bool = false) -> Bool {
        guard phase == .serving else { return true }
        if idleOnly && (running > 0 || bufferedFrames > 0 || head != nil || progress.isInsideFrame) { return false }
        stopInput(with: nil)
        return true
    }

    private mutating func stopInput(with error: FinalError?) {
        if finalError == nil { finalError = error }
        phase = phase == .closed ? .closed : .ending
        guard !inputStopped else { return }
        inputStopped = true
        discardPending = true
        held -= partialCharge
        partialCharge = 0
        partialNeedsReservation = nil
        switch budgetWait {
        case .frame, .read:
            budgetWait = nil
            cancelWaitPending = true
        case .reply, nil:
            break
        }
        clockActive = false
        clockRunningSince = nil
    }

    // MARK: events: decoding the head frame (after `decodeNextFrame`)

    /// The head frame is not a valid document: nothing after it is run.
    mutating func headInvalid(size: Int, error: FrameError) {
        decoding = false
        takeHeadFrame(size: size)
        held -= size
        held -= bufferedFrameBytes
        bufferedFrames = 0
        bufferedFrameBytes = 0
        stopInput(with: nil)
        // It comes before anything found later in the stream (a bad length,
        // the end of input, a timeout): it is the error to report.
        finalError = .badFrame(error)
        discardPending = true
    }

    /// The head frame is a document but not a request: answered at once
    /// (write the reply, then `requestFinished`).
    mutating func headRejected(size: Int) -> Ticket {
        decoding = false
        takeHeadFrame(size: size)
        running += 1
        let ticket = Ticket(bytes: size, unbounded: false)
        runningCharge += ticket.bytes
        return ticket
    }

    /// The head frame is a request; it starts when it may (`dispatch`).
    mutating func headDecoded(_ pending: Pending, size: Int, unbounded: Bool) {
        decoding = false
        takeHeadFrame(size: size)
        held += limits.requestOverhead
        head = (pending, Ticket(bytes: size + limits.requestOverhead, unbounded: unbounded))
        headReserved = false
    }

    private mutating func takeHeadFrame(size: Int) {
        bufferedFrames -= 1
        bufferedFrameBytes -= size
    }

    // MARK: events: requests and writes

    /// A request's reply was written to the channel (`replyBytes` 0 if none
    /// was: the connection is closed).
    mutating func requestFinished(_ ticket: Ticket, replyBytes: Int, now: NIODeadline) {
        running -= 1
        runningCharge -= ticket.bytes
        held -= ticket.bytes
        if ticket.unbounded {
            runningUnbounded -= 1
            runningCharge -= limits.maxReplyBytes
            held -= limits.maxReplyBytes
        }
        guard phase != .closed else { return }
        wrote(replyBytes, now: now)
    }

    mutating func finalErrorWritten(bytes: Int, now: NIODeadline) {
        guard phase != .closed else { return }
        wrote(bytes, now: now)
    }

    private mutating func wrote(_ bytes: Int, now: NIODeadline) {
        if unsent <= limits.smallBytes && unsent + bytes > limits.smallBytes { lastOutputAt = now }
        unsent += bytes
        unflushed += bytes
        held += bytes
    }

    /// The socket took a flushed batch (or the write failed).
    mutating func flushCompleted(batch: Int, now: NIODeadline) {
        guard phase != .closed else { return }
        unsent -= batch
        held -= batch
        lastOutputAt = now
    }

    // MARK: events: the daemon budget

    mutating func readPermission(granted: Bool) {
        if granted {
            budgetWait = nil
            readPermitted = true
        }
    }

    mutating func reservation(granted: Bool, now: NIODeadline) {
        if granted { applyGrant(now: now) }
    }

    /// The budget has room again: what this connection waited for is granted
    /// (a reservation is already made on its behalf).
    mutating func budgetGranted(now: NIODeadline) {
        if budgetWait == .read {
            budgetWait = nil
            readPermitted = true
        } else {
            applyGrant(now: now)
        }
    }

    /// The reservation this connection waits for, if any: a grant of any
    /// other size (one it stopped needing, or closed meanwhile) the handler
    /// gives back.
    var awaitedReservation: Int? {
        guard phase != .closed else { return nil }
        switch budgetWait {
        case .frame(let length): return length
        case .reply: return limits.maxReplyBytes
        case .read, nil: return nil
        }
    }

    private mutating func applyGrant(now: NIODeadline) {
        switch budgetWait {
        case .frame(let length):
            partialNeedsReservation = nil
            partialCharge = length
            held += length
            reported += length
            lastInputAt = now
        case .reply:
            headReserved = true
            held += limits.maxReplyBytes
            reported += limits.maxReplyBytes
        case .read, nil:
            break
        }
        budgetWait = nil
    }

    // MARK: events: time and the end

    mutating func timerFired(now: NIODeadline, underPressure: Bool) {
        timerAt = nil
        guard phase != .closed else { return }
        updateClock(now: now)
        if clockActive, frameClock(now: now) >= limits.frameTimeout {
            stopInput(with: .badFrame(.timedOut(milliseconds: limits.frameTimeout.nanoseconds / 1_000_000)))
            return
        }
        guard underPressure else {
            lastStallCheck = now
            return
        }
        if holdsReservedFrameWhileReading, now - lastInputAt >= limits.stallTimeout {
            stopInput(with: .stalled(heldBytes: progress.receivedOfCurrentFrame))
        } else if unsent > limits.smallBytes, now - lastOutputAt >= limits.stallTimeout {
            closeRequested = .stalledReplies(unsentBytes: unsent)
        }
    }

    /// The channel closed. What the running requests hold stays charged until
    /// they finish; everything else is given back.
    mutating func channelClosed() {
        phase = .closed
        inputStopped = true
        held = runningCharge
        unsent = 0
        unflushed = 0
        head = nil
        bufferedFrames = 0
        bufferedFrameBytes = 0
        partialCharge = 0
        partialNeedsReservation = nil
        budgetWait = nil
        clockRunningSince = nil
    }

    private var holdsReservedFrameWhileReading: Bool {
        partialCharge > limits.smallBytes && clockRunningSince != nil
    }

    // MARK: the next action

    mutating func next(now: NIODeadline) -> Action? {
        if phase == .closed { return budgetSync() }
        if let reason = closeRequested {
            closeRequested = nil
            phase = .closed
            return .close(reason)
        }
        updateClock(now: now)
        if discardPending {
            discardPending = false
            return .discardInput(keeping: bufferedFrameBytes)
        }
        if cancelWaitPending {
            cancelWaitPending = false
            return .cancelBudgetWait
        }
        if let action = startNext() { return action }
        if let error = finalError, !finalErrorEmitted, running == 0, head == nil, bufferedFrames == 0 {
            finalErrorEmitted = true
            return .writeFinalError(error)
        }
        if unflushed > 0 {
            let batch = unflushed
            unflushed = 0
            return .flush(batch: batch)
        }
        if phase == .ending, running == 0, head == nil, bufferedFrames == 0, finalError == nil || finalErrorEmitted, unsent == 0 {
            phase = .closed
            return .close(.finished)
        }
        if let action = readAction() { return action }
        if let deadline = timerDeadline(), timerAt.map({ deadline < $0 }) ?? true {
            timerAt = deadline
            return .scheduleTimer(deadline)
        }
        return budgetSync()
    }

    private mutating func budgetSync() -> Action? {
        guard held != reported else { return nil }
        let delta = held - reported
        reported = held
        return .adjustBudget(delta)
    }

    private mutating func startNext() -> Action? {
        if let head {
            guard canStart, budgetWait == nil else { return nil }
            if head.ticket.unbounded {
                guard runningUnbounded == 0 else { return nil }
                if !headReserved {
                    budgetWait = .reply
                            return .reserve(limits.maxReplyBytes)
                }
            }
            self.head = nil
            headReserved = false
            running += 1
            runningCharge += head.ticket.bytes
            if head.ticket.unbounded {
                runningUnbounded += 1
                runningCharge += limits.maxReplyBytes
            }
            return .dispatch(head.pending, head.ticket)
        }
        guard bufferedFrames > 0, canStart, !decoding else { return nil }
        decoding = true
        return .decodeNextFrame
    }

    private mutating func readAction() -> Action? {
        guard wantsRead, phase == .serving, !inputStopped, bufferedFrames == 0, head == nil,
              running < limits.maxInFlight, unsent < limits.maxUnsentBytes, budgetWait == nil
        else { return nil }
        if let length = partialNeedsReservation {
            budgetWait = .frame(length)
            return .reserve(length)
        }
        if partialCharge <= limits.smallBytes && !readPermitted {
            budgetWait = .read
            return .checkReadPermission(large: held > limits.smallBytes)
        }
        wantsRead = false
        readPermitted = false
        return .read
    }

    /// Starts or stops the frame clock: it runs while a frame is incomplete
    /// and the server is not holding back a read.
    private mutating func updateClock(now: NIODeadline) {
        let paused = wantsRead && phase == .serving
        let shouldRun = clockActive && !paused && !inputStopped
        if shouldRun, clockRunningSince == nil {
            clockRunningSince = now
        } else if !shouldRun, let since = clockRunningSince {
            clockAccumulated = clockAccumulated + (now - since)
            clockRunningSince = nil
        }
    }

    private func timerDeadline() -> NIODeadline? {
        var deadline: NIODeadline?
        func consider(_ candidate: NIODeadline) {
            deadline = deadline.map { min($0, candidate) } ?? candidate
        }
        if let since = clockRunningSince {
            consider(since + (limits.frameTimeout - clockAccumulated))
        }
        if holdsReservedFrameWhileReading {
            consider(max(lastInputAt, lastStallCheck) + limits.stallTimeout)
        }
        if unsent > limits.smallBytes {
            consider(max(lastOutputAt, lastStallCheck) + limits.stallTimeout)
        }
        return deadline
    }
}

extension ConnectionStateMachine.Action: Equatable where Pending: Equatable {}

/// Why the connection is not reading.
struct ConnectionReadPause: OptionSet, Sendable, CustomStringConvertible {
    let rawValue: Int
    static let inFlight = ConnectionReadPause(rawValue: 1)
    static let waiting = ConnectionReadPause(rawValue: 2)
    static let unsentReplies = ConnectionReadPause(rawValue: 4)
    static let memoryBudget = ConnectionReadPause(rawValue: 8)
    static let ending = ConnectionReadPause(rawValue: 16)

    var description: String {
        let names: [(ConnectionReadPause, String)] = [(.inFlight, "in-flight limit"), (.waiting, "requests waiting"), (.unsentReplies, "unsent replies"), (.memoryBudget, "memory budget"), (.ending, "ending")]
        return names.filter { contains($0.0) }.map(\.1).joined(separator: ", ")
    }
}
