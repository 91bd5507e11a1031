import NIOCore
@testable import Server
import WireProtocol

/// Drives a `ConnectionStateMachine` the way `ConnectionHandler` does, with
/// the handler's side scripted (not a test file): what each frame decodes to,
/// whether the budget grants, and a clock the test moves. It records every
/// action, and sums the budget adjustments the machine asked for.
struct MachineHarness {
    typealias Machine = ConnectionStateMachine<String>

    /// What the frame at the head of the input turns out to be when decoded.
    enum Decoded {
        case request(String, unbounded: Bool = false)
        case rejected
        case invalid(FrameError)
    }

    var machine: Machine
    var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
    /// Sizes and meanings of the complete frames, in arrival order.
    var frames: [(size: Int, decoded: Decoded)] = []
    var grantReads = true
    var grantReservations = true
    var actions: [Machine.Action] = []
    /// The bytes the machine kept of what it was given.
    var keptBytes = 0
    /// What the daemon budget holds for this connection (the sum of `adjustBudget`
    /// and of the reservations granted).
    var budgetHeld = 0
    /// Reply size of requests rejected at decoding.
    var rejectionReplyBytes = 60
    /// Size of the final error reply (BAD_FRAME, RESOURCE_EXHAUSTED), written
    /// at once as the handler does.
    var finalErrorBytes = 90

    init(limits: Machine.Limits = MachineHarness.limits(), maximumFrameBytes: Int = 16 << 20) {
        machine = Machine(limits: limits, maximumFrameBytes: maximumFrameBytes, now: now)
    }

    static func limits(
        maxInFlight: Int = 4, maxUnsentBytes: Int = 10_000, maxReplyBytes: Int = 1 << 20,
        frameTimeout: TimeAmount = .seconds(2), stallTimeout: TimeAmount = .seconds(1)
    ) -> Machine.Limits {
        Machine.Limits(
            maxInFlight: maxInFlight, maxUnsentBytes: maxUnsentBytes, maxReplyBytes: maxReplyBytes,
            frameTimeout: frameTimeout, stallTimeout: stallTimeout, smallBytes: 65_536, requestOverhead: 256
        )
    }

    /// A frame of `size` bytes as the machine sees it: its length prefix, then filler.
    static func frameBytes(_ size: Int) -> [UInt8] {
        withUnsafeBytes(of: Int32(size).littleEndian) { Array($0) } + [UInt8](repeating: 0x61, count: max(0, size - 4))
    }

    /// Feeds bytes; each complete frame among them is described by `decoded` in order.
    mutating func receive(_ bytes: [UInt8], as decoded: [Decoded] = []) {
        var offset = 0
        var sizes: [Int] = []
        var progress = self.progress
        defer { self.progress = progress }
        bytes.withUnsafeBytes { raw in
            while true {
                switch progress.advance(raw, from: &offset) {
                case .completed(let length): sizes.append(length)
                case .started: continue
                case .needMore, .failed: return
                }
            }
        }
        // A frame completed here may have begun in an earlier `receive`.
        pendingSizes += sizes
        var descriptions = decoded
        while !descriptions.isEmpty, !pendingSizes.isEmpty {
            frames.append((pendingSizes.removeFirst(), descriptions.removeFirst()))
        }
        keptBytes += bytes.withUnsafeBytes { machine.bytesReceived($0, now: now) }
    }

    private var pendingSizes: [Int] = []
    /// The harness's own view of the frame boundaries, across calls.
    private var progress = FrameProgress(maximumFrameBytes: .max)

    /// Frames whose sizes were seen in an earlier `receive` that did not say what they were.
    mutating func describeNextFrames(_ decoded: [Decoded]) {
        for description in decoded where !pendingSizes.isEmpty {
            frames.append((pendingSizes.removeFirst(), description))
        }
    }

    /// Runs the machine until it has nothing to do; returns the actions of this run.
    @discardableResult
    mutating func run() -> [Machine.Action] {
        var out: [Machine.Action] = []
        while let action = machine.next(now: now) {
            out.append(action)
            switch action {
            case .checkReadPermission:
                machine.readPermission(granted: grantReads)
            case .reserve(let bytes):
                machine.reservation(granted: grantReservations, now: now)
                if grantReservations { budgetHeld += bytes }
            case .decodeNextFrame:
                let (size, decoded) = frames.removeFirst()
                switch decoded {
                case .request(let name, let unbounded):
                    machine.headDecoded(name, size: size, unbounded: unbounded)
                case .rejected:
                    let ticket = machine.headRejected(size: size)
                    machine.requestFinished(ticket, replyBytes: rejectionReplyBytes, now: now)
                case .invalid(let error):
                    machine.headInvalid(size: size, error: error)
                }
            case .writeFinalError:
                machine.finalErrorWritten(bytes: finalErrorBytes, now: now)
            case .adjustBudget(let delta):
                budgetHeld += delta
            default:
                break
            }
        }
        actions += out
        return out
    }

    /// The budget grants what the machine waited for (the bytes already reserved).
    mutating func grantWaiting(bytes: Int) {
        budgetHeld += bytes
        machine.budgetGranted(now: now)
    }

    mutating func advance(_ amount: TimeAmount) {
        now = now + amount
    }

    /// The requests dispatched by `actions`, with their tickets.
    static func dispatched(_ actions: [Machine.Action]) -> [(String, Machine.Ticket)] {
        actions.compactMap { if case .dispatch(let name, let ticket) = $0 { return (name, ticket) } else { return nil } }
    }

    static func flushes(_ actions: [Machine.Action]) -> [Int] {
        actions.compactMap { if case .flush(let batch) = $0 { return batch } else { return nil } }
    }
}
