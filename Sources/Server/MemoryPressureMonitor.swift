import Atomics
import Dispatch

/// Gives memory back to the system once a burst is over: when the daemon
/// budget, having held at least `armBytes`, falls to `calmBytes` or below,
/// `onCalm` runs once (on a background queue, a second later, so that the
/// buffers of the connections that just closed are freed first).
///
/// The daemon passes a trim of the allocator's free lists (`malloc_trim`):
/// glibc keeps freed small blocks in its arenas, so without it the resident
/// size stays at the burst's peak.
final class MemoryPressureMonitor: Sendable {
    let armBytes: Int
    let calmBytes: Int
    private let armed = ManagedAtomic<Bool>(false)
    private let onCalm: @Sendable () -> Void
    private let delay: DispatchTimeInterval

    init(armBytes: Int, calmBytes: Int, delay: DispatchTimeInterval = .seconds(1), onCalm: @escaping @Sendable () -> Void) {
        self.armBytes = armBytes
        self.calmBytes = calmBytes
        self.delay = delay
        self.onCalm = onCalm
    }

    /// Called with the budget's total after each change.
    func observe(used: Int) {
        if used >= armBytes {
            if !armed.load(ordering: .relaxed) { armed.store(true, ordering: .relaxed) }
        } else if used <= calmBytes, armed.load(ordering: .relaxed),
                  armed.compareExchange(expected: true, desired: false, ordering: .relaxed).exchanged {
            let onCalm = self.onCalm
            DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + delay) { onCalm() }
        }
    }
}
