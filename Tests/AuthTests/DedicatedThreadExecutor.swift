import Foundation

/// A task executor with one thread of its own, for the login timing tests.
///
/// Why it exists: the suites of this test process run in parallel on Swift's
/// cooperative pool (two threads on a 2-core machine), and some of them
/// block those threads for a while. A measured login resumes on that pool
/// after its hash and after its padding pause, so a resumption delayed by
/// another suite lands on whichever kind of login happened to be waiting —
/// noise the daemon (whose pool is its own) never sees. Run under this
/// executor's preference (`withTaskExecutorPreference`), the measured path
/// resumes on this thread only; CPU load still reaches every kind alike.
final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    // `jobs` and `stopped` are guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

    init(name: String) {
        let thread = Thread { [unowned self] in self.run() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: UnownedJob) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread once the jobs enqueued so far have run.
    func shutdown() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty && stopped {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
