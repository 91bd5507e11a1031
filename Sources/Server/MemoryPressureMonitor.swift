import Atomics
import Dispatch
import NIOConcurrencyHelpers

/// Gives memory back to the system once a burst is over: when the daemon
/// budget, having held at least `armBytes`, falls to `calmBytes` or below,
/// `onCalm` runs (on a background queue, `delay` later, so that the buffers
/// of the connections that just closed are freed first).
///
/// Calls are coalesced and spaced: however many bursts end meanwhile, at
/// most one call is pending, and calls are at least `minimumInterval` apart
/// (a trim walks every arena of the allocator, holding their locks).
///
/// The daemon passes a trim of the allocator's free lists (`malloc_trim`):
/// glibc keeps freed small blocks in its arenas, so without it the resident
/// size stays at the burst's peak.
final class MemoryPressureMonitor: Sendable {
    let armBytes: Int
    let calmBytes: Int
    private let armed = ManagedAtomic<Bool>(false)
    private let onCalm: @Sendable () -> Void
    /// Seconds.
    private let delay: Double
    private let minimumInterval: Double
    private let schedule = NIOLockedValueBox(Schedule())

    private struct Schedule {
        var pending = false
        var last: DispatchTime?
    }

    init(armBytes: Int, calmBytes: Int, delay: Double = 1, minimumInterval: Double = 5, onCalm: @escaping @Sendable () -> Void) {
        self.armBytes = armBytes
        self.calmBytes = calmBytes
        self.delay = delay
        self.minimumInterval = minimumInterval
        self.onCalm = onCalm
    }

    /// Called with the budget's total after each change.
    func observe(used: Int) {
        if used >= armBytes {
            if !armed.load(ordering: .relaxed) { armed.store(true, ordering: .relaxed) }
        } else if used <= calmBytes, armed.load(ordering: .relaxed),
                  armed.compareExchange(expected: true, desired: false, ordering: .relaxed).exchanged {
            scheduleCall()
        }
    }

    private func scheduleCall() {
        let now = DispatchTime.now()
        let at: DispatchTime? = schedule.withLockedValue { schedule in
            guard !schedule.pending else { return nil }
            schedule.pending = true
            var at = now + delay
            if let last = schedule.last, last + minimumInterval > at { at = last + minimumInterval }
            return at
        }
        guard let at else { return }
        let onCalm = self.onCalm
        let schedule = self.schedule
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: at) {
            schedule.withLockedValue {
                $0.pending = false
                $0.last = DispatchTime.now()
            }
            onCalm()
        }
    }
}
