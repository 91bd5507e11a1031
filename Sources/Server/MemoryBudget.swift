import Atomics
import NIOConcurrencyHelpers

/// The daemon's one bound on what clients can make it hold: bytes of frames
/// received (partly or wholly) but not answered, of requests running, of
/// reply bytes not yet written to a socket, and `max_message_bytes` for each
/// running request whose reply size is not bounded, over all connections.
///
/// It exists so that no set of local clients — many connections each
/// sending most of a frame, or asking for replies they never read — can run
/// the daemon's memory up; a per-connection limit alone cannot, since the
/// connections are many.
///
/// Two levels keep the daemon serving at the bound: large holders (a
/// connection holding more than `smallBytes`, and every reservation for a
/// large frame or reply) may only grow while the total is under
/// `largeLimit` (the limit less a reserve of an eighth); small holders — a
/// new connection's `ping` — may use the rest. A connection refused room
/// waits in a queue (first come, first served among reservations) and is
/// woken, on its own event loop, once there is room.
///
/// Thread-safe: the total is an atomic; the queue is under a lock, taken only
/// when someone waits.
final class MemoryBudget: Sendable {
    /// One connection waiting for room. `wake` is called with the bytes
    /// reserved on its behalf (0 for a read permission).
    struct Waiter: Sendable {
        let id: UInt64
        let wake: @Sendable (Int) -> Void
    }

    private enum Need: Sendable {
        case read(large: Bool)
        case reservation(Int)
    }

    private struct Queued: Sendable {
        let waiter: Waiter
        let need: Need
    }

    let limit: Int
    /// What large holders and reservations may bring the total to.
    let largeLimit: Int
    /// Up to this much a connection holds "little".
    let smallBytes: Int

    private let usedBytes = ManagedAtomic<Int>(0)
    private let waiterCount = ManagedAtomic<Int>(0)
    private let queue = NIOLockedValueBox<[Queued]>([])
    private let pressure: MemoryPressureMonitor?
    /// Told when the first connection starts waiting (true) and when the
    /// last one stops (false), with the bytes held then: for the log.
    private let onPressure: (@Sendable (Bool, Int) -> Void)?

    init(limit: Int, smallBytes: Int = 65_536, monitor: MemoryPressureMonitor? = nil, onPressure: (@Sendable (Bool, Int) -> Void)? = nil) {
        self.limit = limit
        self.largeLimit = limit - limit / 8
        self.smallBytes = smallBytes
        self.pressure = monitor
        self.onPressure = onPressure
    }

    /// The bytes held now.
    var used: Int { usedBytes.load(ordering: .relaxed) }

    /// True while some connection waits for room: connections holding memory
    /// without progress are then closed (`ConnectionStateMachine.timerFired`).
    var isUnderPressure: Bool { waiterCount.load(ordering: .relaxed) > 0 }

    /// May a connection read now? Small holders may while the total is under
    /// `limit`, large ones while it is under `largeLimit`. If not, `waiter` is
    /// queued and woken (with 0) when it may.
    func mayRead(large: Bool, waiter: Waiter) -> Bool {
        if usedBytes.load(ordering: .relaxed) < (large ? largeLimit : limit) { return true }
        return enqueue(Queued(waiter: waiter, need: .read(large: large)))
    }

    /// Reserves `bytes` (a large frame, or the reply of a read operation)
    /// if the total stays within `largeLimit` and no earlier reservation
    /// waits. If not, `waiter` is queued and woken once the bytes are
    /// reserved for it.
    func reserve(_ bytes: Int, waiter: Waiter) -> Bool {
        if waiterCount.load(ordering: .relaxed) == 0, tryAdd(bytes, within: largeLimit) { return true }
        return enqueue(Queued(waiter: waiter, need: .reservation(bytes)))
    }

    /// Adds what a connection took (positive) or gave back (negative), with
    /// no check: these bytes are already in memory, or are leaving it.
    func adjust(_ delta: Int) {
        guard delta != 0 else { return }
        let now = usedBytes.wrappingIncrementThenLoad(by: delta, ordering: .sequentiallyConsistent)
        pressure?.observe(used: now)
        if delta < 0, waiterCount.load(ordering: .sequentiallyConsistent) > 0 { wakeWaiters() }
    }

    /// Forgets a waiter (its connection closed).
    func cancel(waiterID: UInt64) {
        let (removed, ended) = queue.withLockedValue { queue in
            let before = queue.count
            queue.removeAll { $0.waiter.id == waiterID }
            return (before - queue.count, before > queue.count && queue.isEmpty)
        }
        if removed > 0 { waiterCount.wrappingDecrement(by: removed, ordering: .relaxed) }
        if ended { onPressure?(false, used) }
    }

    private func tryAdd(_ bytes: Int, within bound: Int) -> Bool {
        var current = usedBytes.load(ordering: .relaxed)
        while current + bytes <= bound {
            let (exchanged, original) = usedBytes.compareExchange(expected: current, desired: current + bytes, ordering: .sequentiallyConsistent)
            if exchanged {
                pressure?.observe(used: current + bytes)
                return true
            }
            current = original
        }
        return false
    }

    /// Queues the waiter, unless room appeared meanwhile (then it is granted
    /// at once and this returns true). The count goes up before the check, so
    /// a release that did not see this waiter left room the check sees.
    private func enqueue(_ entry: Queued) -> Bool {
        let (granted, first) = queue.withLockedValue { queue -> (Bool, Bool) in
            waiterCount.wrappingIncrement(ordering: .sequentiallyConsistent)
            let fits: Bool
            switch entry.need {
            case .read(let large):
                fits = usedBytes.load(ordering: .sequentiallyConsistent) < (large ? largeLimit : limit)
            case .reservation(let bytes):
                fits = !queue.contains { if case .reservation = $0.need { return true } else { return false } }
                    && tryAdd(bytes, within: largeLimit)
            }
            if fits {
                waiterCount.wrappingDecrement(ordering: .sequentiallyConsistent)
                return (true, false)
            }
            queue.append(entry)
            return (false, queue.count == 1)
        }
        if first { onPressure?(true, used) }
        return granted
    }

    /// Grants, in order, what fits now: every read permission whose level has
    /// room, and reservations first come first served (one that does not fit
    /// stops the later ones, so large requests are not starved by smaller).
    private func wakeWaiters() {
        let (woken, ended): ([(Waiter, Int)], Bool) = queue.withLockedValue { queue in
            var woken: [(Waiter, Int)] = []
            var reservationsBlocked = false
            queue.removeAll { entry in
                switch entry.need {
                case .read(let large):
                    guard usedBytes.load(ordering: .relaxed) < (large ? largeLimit : limit) else { return false }
                    woken.append((entry.waiter, 0))
                    return true
                case .reservation(let bytes):
                    guard !reservationsBlocked, tryAdd(bytes, within: largeLimit) else {
                        reservationsBlocked = true
                        return false
                    }
                    woken.append((entry.waiter, bytes))
                    return true
                }
            }
            if !woken.isEmpty { waiterCount.wrappingDecrement(by: woken.count, ordering: .relaxed) }
            return (woken, !woken.isEmpty && queue.isEmpty)
        }
        if ended { onPressure?(false, used) }
        for (waiter, bytes) in woken { waiter.wake(bytes) }
    }
}
